"""Callback delivery: POST each stream event to the account's callback URL, off the ingest path.

Workers hand bodies over from their threads (`submit` never blocks); one asyncio consumer per
stream POSTs them in order with back-off, so a slow or dead receiver delays only its own stream's
callbacks, never ingestion or longpoll (events are in the event log before they are queued here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from audd_server.streams._payloads import is_placeholder
from audd_server.streams._settings import StreamSettings

log = logging.getLogger("audd_server.streams")

Key = tuple[int, int]  # (account_id, radio_id)


def backoff_delay(attempt: int, base: float, cap: float, jitter: float = 0.0) -> float:
    """`min(base * 2**attempt, cap)`, spread by ±`jitter`/2 (0 for a deterministic delay)."""
    delay = float(min(base * (2**attempt), cap))
    return delay * (1 - jitter / 2 + jitter * random.random()) if jitter else delay


class CallbackDispatcher:
    """Per-stream FIFO of undelivered callbacks, drained by one task each on the server loop."""

    def __init__(
        self,
        callback_url: Callable[[int], str | None],
        settings: StreamSettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._callback_url = callback_url
        self.s = settings or StreamSettings()
        self._client = client
        self._own_client = client is None
        self._sleep = sleep
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queues: dict[Key, asyncio.Queue[dict[str, Any]]] = {}
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self.delivered = 0
        self.dropped = 0

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.s.callback_timeout,
                headers={"User-Agent": "audd-server", "Content-Type": "application/json"},
            )

    def submit(self, account_id: int, radio_id: int, body: dict[str, Any]) -> None:
        """Queue `body` for delivery; callable from any thread, never blocks."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop shutting down
            loop.call_soon_threadsafe(self._enqueue, (account_id, radio_id), body)

    def _enqueue(self, key: Key, body: dict[str, Any]) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = asyncio.Queue()
            self._tasks[key] = asyncio.get_running_loop().create_task(self._consume(key, queue))
        if queue.qsize() >= self.s.callback_queue_max:
            queue.get_nowait()
            queue.task_done()
            self.dropped += 1
            log.warning("callback queue of radio %s full: oldest callback dropped", key[1])
        queue.put_nowait(body)

    async def _consume(self, key: Key, queue: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            body = await queue.get()
            try:
                await self._deliver(key, body)
            except Exception:  # a bug here must not kill the stream's delivery
                log.exception("callback delivery for radio %s failed", key[1])
            finally:
                queue.task_done()

    async def _deliver(self, key: Key, body: dict[str, Any]) -> None:
        for attempt in range(self.s.callback_attempts):
            url = await asyncio.to_thread(self._callback_url, key[0])
            if url is None or is_placeholder(url):
                return  # longpoll-only account: accepted and discarded, no network call
            assert self._client is not None
            try:
                resp = await self._client.post(url, json=body)
                if 200 <= resp.status_code < 300:
                    self.delivered += 1
                    return
                reason = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                reason = exc.__class__.__name__
            if attempt + 1 < self.s.callback_attempts:
                delay = backoff_delay(
                    attempt, self.s.callback_backoff, self.s.callback_backoff_max, jitter=0.5
                )
                log.info("callback to %s failed (%s); retry in %.1fs", url, reason, delay)
                await self._sleep(delay)
        self.dropped += 1
        log.warning("callback for radio %s dropped after %d attempts", key[1], attempt + 1)

    async def join(self, timeout: float | None = None) -> None:
        """Wait until every queued callback was delivered or dropped (for tests and shutdown)."""

        async def _all() -> None:
            for queue in list(self._queues.values()):
                await queue.join()

        await asyncio.wait_for(_all(), timeout)

    async def aclose(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        self._queues.clear()
        if self._own_client and self._client is not None:
            await self._client.aclose()
        self._client = None

"""Harness for longpoll unit tests: a scripted fake server and one async driver for both twins.

Each scenario is written once as ``async def scenario(lp)`` and runs on the sync client (whose
blocking calls go through ``asyncio.to_thread``) and on the async client.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from sdk_helpers import Twin

EMPTY_URL = {"status": "success", "result": "https://audd.tech/empty/"}


def song_event(n: int, ts: int, radio_id: int = 1, **extra: Any) -> dict[str, Any]:
    """A longpoll event body carrying recognition ``n`` at server time ``ts``."""
    return {
        "status": "success",
        "result": {
            "radio_id": radio_id,
            "timestamp": f"2026-01-01 00:00:{n % 60:02d}",
            "play_length": 100 + n,
            "results": [{"artist": "Artist", "title": f"Song {n}", "score": 90}],
        },
        "timestamp": ts,
        **extra,
    }


def notification_event(code: int, ts: int, time_s: int = 1_700_000_000) -> dict[str, Any]:
    return {
        "status": "-",
        "notification": {
            "radio_id": 1,
            "stream_running": code == 0,
            "notification_code": code,
            "notification_message": f"code {code}",
        },
        "time": time_s,
        "timestamp": ts,
    }


Reply = httpx.Response | BaseException | dict[str, Any] | Callable[[httpx.Request], Any]


class FakeServer:
    """MockTransport handler: ``getCallbackUrl`` plus a longpoll that serves ``events``.

    ``script`` replies are used first (one per longpoll request); then each poll returns the
    first event newer than ``since_time`` (or all of them in ``events`` list form with
    ``list_form``), or holds until ``release()`` (sync) / cancellation (async).
    """

    def __init__(self, *script: Reply, events: list[dict[str, Any]] | None = None) -> None:
        self.script: list[Reply] = list(script)
        self.events: list[dict[str, Any]] = list(events or [])
        self.list_form = False
        self.callback_url: Reply = EMPTY_URL
        self.requests: list[httpx.Request] = []
        self.polls: list[httpx.Request] = []
        self.lock = threading.Lock()
        self.first_poll = threading.Event()
        self._released = threading.Event()
        self.poll_count_reached: dict[int, threading.Event] = {}

    def release(self) -> None:
        """Let held polls (sync twin) return at once."""
        self._released.set()

    def wait_polls(self, n: int) -> threading.Event:
        with self.lock:
            event = self.poll_count_reached.setdefault(n, threading.Event())
            if len(self.polls) >= n:
                event.set()
            return event

    def since_times(self) -> list[int | None]:
        values = [req.url.params.get("since_time") for req in self.polls]
        return [int(v) if v is not None else None for v in values]

    def __call__(self, request: httpx.Request) -> Any:
        with self.lock:
            self.requests.append(request)
            if request.url.path == "/longpoll/":
                self.polls.append(request)
                count = len(self.polls)
                for n, event in self.poll_count_reached.items():
                    if count >= n:
                        event.set()
        if request.url.path != "/longpoll/":
            return self._reply(self.callback_url, request)
        self.first_poll.set()
        with self.lock:
            scripted = self.script.pop(0) if self.script else None
        if scripted is not None:
            return self._reply(scripted, request)
        since = int(request.url.params.get("since_time", "0"))
        newer = [e for e in self.events if e.get("timestamp", 0) > since]
        if newer:
            if self.list_form:
                return httpx.Response(200, json={"events": newer})
            return httpx.Response(200, json=newer[0])
        idle = {"timeout": "no events before timeout", "timestamp": since}
        if _in_event_loop():
            return self._hold_async(idle)
        self._released.wait(30)
        return httpx.Response(200, json=idle)

    async def _hold_async(self, idle: dict[str, Any]) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200, json=idle)

    @staticmethod
    def _reply(reply: Reply, request: httpx.Request) -> Any:
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        if isinstance(reply, dict):
            return httpx.Response(200, json=reply)
        return reply(request)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Handle:
    """Async facade over a sync or async longpoll subscription."""

    def __init__(self, lp: LP, sub: Any) -> None:
        self.lp = lp
        self.sub = sub
        self.exit_seconds: float | None = None
        self.keep_holding = False
        """Sync twin: keep a held poll blocked during close (else it is released first, since
        a MockTransport handler cannot be aborted and close would wait out its grace period)."""

    async def __aenter__(self) -> Handle:
        if self.lp.is_async:
            await self.sub.__aenter__()
        else:
            self.sub.__enter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if not self.lp.is_async and not self.keep_holding:
            self.lp.server.release()
        started = time.monotonic()
        if self.lp.is_async:
            await self.sub.aclose()
        else:
            self.sub.close()
        self.exit_seconds = time.monotonic() - started
        self.lp.server.release()

    async def take(self, channel: str, n: int, timeout: float = 5.0) -> list[Any]:
        """The first ``n`` items of ``channel`` (fewer if it ends first)."""
        source = getattr(self.sub, channel)
        if self.lp.is_async:

            async def collect() -> list[Any]:
                items: list[Any] = []
                if n == 0:
                    return items
                async for item in source:
                    items.append(item)
                    if len(items) >= n:
                        break
                return items

            return await asyncio.wait_for(collect(), timeout)
        return await asyncio.wait_for(
            asyncio.to_thread(lambda: list(itertools.islice(iter(source), n))), timeout
        )

    async def drain(self, channel: str, timeout: float = 5.0) -> list[Any]:
        """Everything ``channel`` yields until it ends."""
        return await self.take(channel, 10**9, timeout)


class LP:
    """Builds a client of the twin over a `FakeServer` and opens longpolls on it."""

    def __init__(self, twin: Twin, server: FakeServer, **client_kwargs: Any) -> None:
        self.twin = twin
        self.is_async = twin.is_async
        self.server = server
        self.client = twin.client(server, **client_kwargs)
        self.sleeps = twin.sleeps

    async def open(self, **kwargs: Any) -> Handle:
        kwargs.setdefault("timeout", 30)
        if self.is_async:
            sub = await self.client.streams.longpoll(**kwargs)
        else:
            sub = self.client.streams.longpoll(**kwargs)
        return Handle(self, sub)

    @contextlib.asynccontextmanager
    async def subscribed(self, **kwargs: Any) -> AsyncIterator[Handle]:
        handle = await self.open(**kwargs)
        async with handle:
            yield handle


def run(scenario: Callable[[], Any]) -> Any:
    """Run an async scenario to completion (fresh event loop)."""
    return asyncio.run(scenario())


async def wait_event(event: threading.Event, timeout: float = 5.0) -> bool:
    return await asyncio.to_thread(event.wait, timeout)

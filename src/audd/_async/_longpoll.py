"""Async longpoll: the subscription handle (an asyncio task) and the tokenless consumer.

Polling starts on ``async with``; leaving it cancels the task, which cancels the in-flight
request (httpx closes its connection) and ends every iterator.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from audd._core._config import (
    BACKOFF_CAP_SECONDS,
    DEFAULT_BACKOFF_FACTOR,
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
    LOGGER_NAME,
)
from audd._core._options import user_agent
from audd._core._stream_models import StreamCallbackMatch, StreamCallbackNotification
from audd._core._streams import (
    LONGPOLL_DEFAULT_TIMEOUT,
    LONGPOLL_QUEUE_SIZE,
    LongpollState,
    LongpollStep,
    longpoll_http_timeout,
    longpoll_url,
    needs_user_agent,
    validate_base_url,
    validate_category,
    validate_longpoll_timeout,
    validate_queue_size,
    validate_since_time,
)
from audd.errors import AudDError
from audd.events import AudDEvent

__all__ = ["AsyncLongpollConsumer", "AsyncLongpollSubscription"]

_log = logging.getLogger(LOGGER_NAME)

T = TypeVar("T")

_CLOSE_GRACE_SECONDS = 0.5
"""How long ``aclose()`` waits for the cancelled poller task."""


class _Group:
    """State shared by the channels of one subscription: one condition, and whether any
    channel is being read."""

    def __init__(self) -> None:
        self.cond = asyncio.Condition()
        self.reading = False


class _AsyncChannel(Generic[T]):
    """A bounded hand-off from the poller task to ``async for`` consumers.

    A full channel makes the poller wait (backpressure) while it is being read, or while no
    channel of the subscription is read yet. A channel nobody reads while another one is read
    (say, notifications when only matches are consumed) keeps only its newest ``maxsize``
    items, so it can neither grow without bound nor stall the subscription.
    """

    def __init__(self, name: str, maxsize: int, group: _Group) -> None:
        self._name = name
        self._maxsize = maxsize
        self._items: collections.deque[T] = collections.deque()
        self._group = group
        self._cond = group.cond
        self._state = "idle"  # idle → open → draining (ended, items left) | closed
        self._consumed = False
        self._dropped = 0

    def open(self) -> None:
        if self._state == "idle":
            self._state = "open"

    async def put(self, item: T) -> bool:
        """Queue ``item``; False once the channel is closed (the poller should stop)."""
        async with self._cond:
            while (
                len(self._items) >= self._maxsize
                and self._state == "open"
                and (self._consumed or not self._group.reading)
            ):
                await self._cond.wait()
            if self._state != "open":
                return False
            if len(self._items) >= self._maxsize:
                self._items.popleft()
                self._dropped += 1
                if self._dropped == 1:
                    _log.warning(
                        "longpoll %s are not being consumed; keeping only the newest %d",
                        self._name,
                        self._maxsize,
                    )
            self._items.append(item)
            self._cond.notify_all()
            return True

    async def finish(self, *, discard: bool) -> None:
        """End the channel: iterators stop at once (``discard``) or after the queued items."""
        async with self._cond:
            if discard:
                self._items.clear()
                self._state = "closed"
            elif self._state in ("idle", "open"):
                self._state = "draining"
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._items)

    def __aiter__(self) -> AsyncIterator[T]:
        if self._state == "idle":
            raise RuntimeError(
                "the longpoll has not started: use it as an async context manager "
                "(`poll = await audd.streams.longpoll(...)`, then `async with poll:`)"
            )
        self._consumed = True
        self._group.reading = True
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        async with self._cond:
            self._cond.notify_all()  # a poller waiting on an unread channel may drop now
        while True:
            async with self._cond:
                while not self._items and self._state == "open":
                    await self._cond.wait()
                if not self._items or self._state == "closed":
                    return
                item = self._items.popleft()
                self._cond.notify_all()
            yield item


def _emit(on_event: Callable[[AudDEvent], Any] | None, event: AudDEvent) -> None:
    if on_event is None:
        return
    try:
        on_event(event)
    except Exception:
        _log.debug("on_event hook raised; ignored", exc_info=True)


class AsyncLongpollSubscription:
    """A running longpoll: ``async for`` over ``matches``, ``notifications`` and ``errors``.

    Use it as an async context manager; polling runs in an asyncio task from ``__aenter__``
    until ``__aexit__`` (or ``aclose()``). Transient failures (network errors, timeouts, HTTP
    408/429/5xx) reconnect with capped backoff and resume from the last ``since_time``;
    a permanent failure is put on ``errors`` and ends the subscription.
    """

    def __init__(
        self,
        *,
        category: str,
        base_url: str,
        timeout: int = LONGPOLL_DEFAULT_TIMEOUT,
        since_time: int | None = None,
        httpx_client: httpx.AsyncClient | None = None,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        max_backoff: float = BACKOFF_CAP_SECONDS,
        queue_size: int = LONGPOLL_QUEUE_SIZE,
        on_event: Callable[[AudDEvent], Any] | None = None,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._state = LongpollState(
            category=validate_category(category),
            timeout=validate_longpoll_timeout(timeout),
            since_time=validate_since_time(since_time),
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
        )
        size = validate_queue_size(queue_size)
        group = _Group()
        self._url = longpoll_url(base_url)
        self._http = httpx_client
        self._owns_http = httpx_client is None
        self._on_event = on_event
        self._sleep = sleep
        self._rand = rand
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._matches: _AsyncChannel[StreamCallbackMatch] = _AsyncChannel("matches", size, group)
        self._notifications: _AsyncChannel[StreamCallbackNotification] = _AsyncChannel(
            "notifications", size, group
        )
        self._errors: _AsyncChannel[AudDError] = _AsyncChannel("errors", 1, group)
        self._attempt = 0

    # -- public surface --------------------------------------------------------------------

    @property
    def matches(self) -> _AsyncChannel[StreamCallbackMatch]:
        """Async iterable of `StreamCallbackMatch`, ending when the subscription ends."""
        return self._matches

    @property
    def notifications(self) -> _AsyncChannel[StreamCallbackNotification]:
        """Async iterable of `StreamCallbackNotification` lifecycle events."""
        return self._notifications

    @property
    def errors(self) -> _AsyncChannel[AudDError]:
        """Single-shot: at most one terminal error, after which the subscription has ended."""
        return self._errors

    @property
    def category(self) -> str:
        """The longpoll category being polled."""
        return self._state.category

    @property
    def since_time(self) -> int | None:
        """Server timestamp (ms) the next poll resumes from; pass it to resume elsewhere."""
        return self._state.since_time

    @property
    def closed(self) -> bool:
        """Whether ``aclose()`` was called."""
        return self._closed

    @property
    def running(self) -> bool:
        """Whether the poller is active."""
        return self._task is not None and not self._task.done() and not self._closed

    async def start(self) -> AsyncLongpollSubscription:
        """Start polling (what ``__aenter__`` does)."""
        if self._task is not None or self._closed:
            raise RuntimeError("a longpoll subscription can be started only once")
        if self._http is None:
            self._http = httpx.AsyncClient(
                headers={"User-Agent": user_agent()}, follow_redirects=False
            )
        for channel in (self._matches, self._notifications, self._errors):
            channel.open()
        self._task = asyncio.create_task(self._run(), name=f"audd-longpoll-{self.category}")
        return self

    async def aclose(self) -> None:
        """Stop polling: cancel the in-flight request and end every iterator. Idempotent."""
        self._closed = True
        await self._matches.finish(discard=True)
        await self._notifications.finish(discard=True)
        await self._errors.finish(discard=False)  # a terminal error stays readable after exit
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=_CLOSE_GRACE_SECONDS)
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncLongpollSubscription:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"<AsyncLongpollSubscription category={self.category!r} "
            f"since_time={self.since_time!r} running={self.running}>"
        )

    # -- poller task -----------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._closed:
                step = await self._poll_once()
                if step is None or not await self._deliver(step):
                    return
                if step.error is not None:
                    await self._errors.put(step.error)
                    await self._end()
                    return
                if step.delay > 0:
                    await self._wait(step.delay)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must end the subscription visibly, not silently
            if not self._closed:
                error = AudDError(f"longpoll stopped unexpectedly: {exc!r}")
                error.__cause__ = exc
                await self._errors.put(error)
                await self._end()

    async def _end(self) -> None:
        for channel in (self._matches, self._notifications, self._errors):
            await channel.finish(discard=False)

    async def _wait(self, delay: float) -> None:
        if self._sleep is not None:
            await self._sleep(delay)
        else:
            await asyncio.sleep(delay)

    async def _deliver(self, step: LongpollStep) -> bool:
        for match in step.matches:
            if not await self._matches.put(match):
                return False
        for notification in step.notifications:
            if not await self._notifications.put(notification):
                return False
        return not self._closed

    async def _poll_once(self) -> LongpollStep | None:
        http = self._http
        assert http is not None
        self._attempt += 1
        headers = {"User-Agent": user_agent()} if needs_user_agent(http.headers) else None
        request = http.build_request(
            "GET",
            self._url,
            params=self._state.params(),
            headers=headers,
            timeout=longpoll_http_timeout(self._state.timeout),
        )
        url = str(request.url)
        extras = {"attempt": self._attempt, "http_method": "GET", "retry_class": "read"}
        _emit(self._on_event, AudDEvent("request", "longpoll", url, extras=dict(extras)))
        started = time.monotonic()
        try:
            response = await http.send(request, stream=True)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            if self._closed:
                return None
            elapsed_ms = (time.monotonic() - started) * 1000
            step = self._state.on_transport_error(exc, self._rand())
            _emit(
                self._on_event,
                AudDEvent(
                    "exception",
                    "longpoll",
                    url,
                    elapsed_ms=elapsed_ms,
                    extras={**extras, "exception": type(exc).__name__, "will_retry": True},
                ),
            )
            _log.info("longpoll %s: %s; reconnecting in %.2fs", self.category, exc, step.delay)
            return step
        elapsed = time.monotonic() - started
        if self._closed:
            return None
        request_id = response.headers.get("x-request-id")
        step = self._state.on_response(
            response.status_code,
            response.headers,
            content,
            elapsed=elapsed,
            rand=self._rand(),
            request_id=request_id,
        )
        _emit(
            self._on_event,
            AudDEvent(
                "response",
                "longpoll",
                url,
                request_id=request_id,
                http_status=response.status_code,
                elapsed_ms=elapsed * 1000,
                error_code=getattr(step.error, "error_code", None),
                extras={**extras, "outcome": step.reason, "will_retry": step.error is None},
            ),
        )
        return step


class AsyncLongpollConsumer:
    """Tokenless async longpoll consumer: subscribes with a category alone, never a token.

    ::

        async with AsyncLongpollConsumer(category=category) as consumer:
            async with consumer.iterate(timeout=30) as poll:
                async for match in poll.matches:
                    print(match.song.artist, "—", match.song.title)
    """

    def __init__(
        self,
        category: str,
        *,
        base_url: str | None = None,
        httpx_client: httpx.AsyncClient | None = None,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        max_backoff: float = BACKOFF_CAP_SECONDS,
        queue_size: int = LONGPOLL_QUEUE_SIZE,
        on_event: Callable[[AudDEvent], Any] | None = None,
    ) -> None:
        self.category = validate_category(category)
        self.base_url = validate_base_url(base_url, os.environ.get(ENV_BASE_URL), DEFAULT_BASE_URL)
        if httpx_client is not None and not isinstance(httpx_client, httpx.AsyncClient):
            raise TypeError("httpx_client must be an httpx.AsyncClient (use LongpollConsumer)")
        self._http = httpx_client
        self._backoff_factor = backoff_factor
        self._max_backoff = max_backoff
        self._queue_size = validate_queue_size(queue_size)
        self._on_event = on_event
        self._sleep: Callable[[float], Awaitable[Any]] | None = None
        self._subscriptions: list[AsyncLongpollSubscription] = []
        self._closed = False

    def iterate(
        self, timeout: int = LONGPOLL_DEFAULT_TIMEOUT, since_time: int | None = None
    ) -> AsyncLongpollSubscription:
        """A subscription handle; polling starts when its ``async with`` block is entered."""
        if self._closed:
            raise RuntimeError("the AsyncLongpollConsumer is closed")
        subscription = AsyncLongpollSubscription(
            category=self.category,
            base_url=self.base_url,
            timeout=timeout,
            since_time=since_time,
            httpx_client=self._http,
            backoff_factor=self._backoff_factor,
            max_backoff=self._max_backoff,
            queue_size=self._queue_size,
            on_event=self._on_event,
            sleep=self._sleep,
        )
        self._subscriptions = [s for s in self._subscriptions if not s.closed]
        self._subscriptions.append(subscription)
        return subscription

    async def aclose(self) -> None:
        """Stop every subscription made by this consumer (an injected client stays open)."""
        self._closed = True
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            with contextlib.suppress(Exception):
                await subscription.aclose()

    async def __aenter__(self) -> AsyncLongpollConsumer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncLongpollConsumer category={self.category!r} base_url={self.base_url!r}>"

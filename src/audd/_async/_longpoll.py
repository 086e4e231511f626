"""Async longpoll: the subscription handle (an asyncio task) and the tokenless consumer.

Polling starts on ``async with``; leaving it cancels the task, which cancels the in-flight
request (httpx closes its connection) and ends every iterator.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from audd._core._config import BACKOFF_CAP_SECONDS, DEFAULT_BACKOFF_FACTOR
from audd._core._options import user_agent
from audd._core._stream_models import StreamCallbackMatch, StreamCallbackNotification
from audd._core._streams import (
    LONGPOLL_DEFAULT_TIMEOUT,
    LONGPOLL_QUEUE_SIZE,
    ChannelBuffer,
    ChannelGroup,
    LongpollStep,
)
from audd._longpoll_base import ConsumerBase, SubscriptionBase
from audd.errors import AudDError
from audd.events import AudDEvent

__all__ = ["AsyncLongpollConsumer", "AsyncLongpollSubscription"]

T = TypeVar("T")

_CLOSE_GRACE_SECONDS = 0.5
"""How long ``aclose()`` waits for the cancelled poller task."""


class _Group(ChannelGroup):
    """The channels of one subscription: one condition, and whether any channel is read."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = asyncio.Condition()


class _AsyncChannel(Generic[T]):
    """A bounded hand-off from the poller task to ``async for`` consumers.

    The queue policy (backpressure, or keeping the newest items of an unread channel) is
    `ChannelBuffer`'s; this adds the waiting.
    """

    def __init__(self, name: str, maxsize: int, group: _Group) -> None:
        self._buffer: ChannelBuffer[T] = ChannelBuffer(name, maxsize, group)
        self._cond = group.cond

    def open(self) -> None:
        self._buffer.open()

    async def put(self, item: T) -> bool:
        """Queue ``item``; False once the channel is closed (the poller should stop)."""
        async with self._cond:
            while self._buffer.put_must_wait():
                await self._cond.wait()
            if not self._buffer.offer(item):
                return False
            self._cond.notify_all()
            return True

    async def finish(self, *, discard: bool) -> None:
        """End the channel: iterators stop at once (``discard``) or after the queued items."""
        async with self._cond:
            self._buffer.finish(discard=discard)
            self._cond.notify_all()

    def __len__(self) -> int:
        return len(self._buffer)

    def __aiter__(self) -> AsyncIterator[T]:
        self._buffer.start_reading(
            "the longpoll has not started: use it as an async context manager "
            "(`poll = await audd.streams.longpoll(...)`, then `async with poll:`)"
        )
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        async with self._cond:
            self._cond.notify_all()  # a poller waiting on an unread channel may drop now
        while True:
            async with self._cond:
                while self._buffer.take_must_wait():
                    await self._cond.wait()
                item = self._buffer.take()
                if item is ChannelBuffer.END:
                    return
                self._cond.notify_all()
            yield item


class AsyncLongpollSubscription(SubscriptionBase):
    """A running longpoll: iterate ``matches``, ``notifications`` and ``errors``.

    Use it as an async context manager; polling runs in an asyncio task from ``__aenter__``
    until ``__aexit__`` (or ``aclose()``). Transient failures (network errors, timeouts, HTTP
    408/429/5xx) reconnect with capped backoff and resume from the last ``since_time``;
    a permanent failure is put on ``errors`` and ends the subscription.

    Leaving the block cancels the poll in flight, which closes that poll's connection only:
    the client's pool, owned or injected, stays usable.
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
        super().__init__(
            category=category,
            base_url=base_url,
            timeout=timeout,
            since_time=since_time,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            queue_size=queue_size,
            on_event=on_event,
            rand=rand,
        )
        size = self._queue_size
        group = _Group()
        self._http = httpx_client
        self._owns_http = httpx_client is None
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._matches: _AsyncChannel[StreamCallbackMatch] = _AsyncChannel("matches", size, group)
        self._notifications: _AsyncChannel[StreamCallbackNotification] = _AsyncChannel(
            "notifications", size, group
        )
        self._errors: _AsyncChannel[AudDError] = _AsyncChannel("errors", 1, group)

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
        """Stop polling: abort the in-flight request and end every iterator. Idempotent."""
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
        request = http.build_request(**self._poll_request(http.headers))
        poll = self._poll_sent(request)
        try:
            response = await http.send(request, stream=True)
            try:
                content = await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            if self._closed:
                return None
            return self._poll_failed(poll, exc)
        if self._closed:
            return None
        return self._poll_answered(poll, response, content)


class AsyncLongpollConsumer(ConsumerBase[AsyncLongpollSubscription]):
    """Tokenless longpoll consumer: subscribes with a category alone, never an api_token.

    A token-holding server derives the category (``streams.derive_longpoll_category``) and
    ships only that string to the consumer::

        async with AsyncLongpollConsumer(category=category) as consumer:
            async with consumer.iterate(timeout=30) as poll:
                async for match in poll.matches:
                    print(match.song.artist, "—", match.song.title)

    Transient failures reconnect with capped backoff until the consumer is closed;
    ``max_retries`` is accepted only so code written for the older official SDK runs.
    """

    _http_type = httpx.AsyncClient
    _http_type_error = "httpx_client must be an httpx.AsyncClient (use LongpollConsumer)"

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
        max_retries: int | None = None,
    ) -> None:
        super().__init__(
            category,
            base_url=base_url,
            httpx_client=httpx_client,
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
            queue_size=queue_size,
            on_event=on_event,
            max_retries=max_retries,
        )
        self._http = httpx_client
        self._sleep: Callable[[float], Awaitable[Any]] | None = None

    def iterate(
        self, timeout: int = LONGPOLL_DEFAULT_TIMEOUT, since_time: int | None = None
    ) -> AsyncLongpollSubscription:
        """A subscription handle; polling starts when its ``async with`` block is entered."""
        args = self._subscription_args(timeout, since_time)
        return self._track(
            AsyncLongpollSubscription(**args, httpx_client=self._http, sleep=self._sleep)
        )

    async def aclose(self) -> None:
        """Stop every subscription made by this consumer (an injected client stays open)."""
        for subscription in self._take_subscriptions():
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

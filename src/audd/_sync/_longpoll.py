"""Sync longpoll: the subscription handle (a background thread) and the tokenless consumer.

Polling starts on ``__enter__``. Leaving the ``with`` block shuts down the sockets of the
in-flight poll from the calling thread (a closed-but-not-shut-down socket would keep the poller
blocked until the server answers), so ``__exit__`` returns within a second.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

import httpx

from audd._core._config import BACKOFF_CAP_SECONDS, DEFAULT_BACKOFF_FACTOR, LOGGER_NAME
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

__all__ = ["LongpollConsumer", "LongpollSubscription"]

_log = logging.getLogger(LOGGER_NAME)

T = TypeVar("T")

_CLOSE_GRACE_SECONDS = 0.5
"""How long ``close()`` waits for the poller thread after aborting its request."""


class _Group(ChannelGroup):
    """The channels of one subscription: one condition, and whether any channel is read."""

    def __init__(self) -> None:
        super().__init__()
        self.cond = threading.Condition()


class _Channel(Generic[T]):
    """A bounded hand-off from the poller thread to the consumer's iterator.

    The queue policy (backpressure, or keeping the newest items of an unread channel) is
    `ChannelBuffer`'s; this adds the waiting.
    """

    def __init__(self, name: str, maxsize: int, group: _Group) -> None:
        self._buffer: ChannelBuffer[T] = ChannelBuffer(name, maxsize, group)
        self._cond = group.cond

    def open(self) -> None:
        with self._cond:
            self._buffer.open()

    def put(self, item: T) -> bool:
        """Queue ``item``; False once the channel is closed (the poller should stop)."""
        with self._cond:
            while self._buffer.put_must_wait():
                self._cond.wait()
            if not self._buffer.offer(item):
                return False
            self._cond.notify_all()
            return True

    def finish(self, *, discard: bool) -> None:
        """End the channel: iterators stop at once (``discard``) or after the queued items."""
        with self._cond:
            self._buffer.finish(discard=discard)
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._buffer)

    def __iter__(self) -> Iterator[T]:
        with self._cond:
            self._buffer.start_reading(
                "the longpoll has not started: use it as a context manager "
                "(`with audd.streams.longpoll(...) as poll:`)"
            )
            self._cond.notify_all()
        return self._iterate()

    def _iterate(self) -> Iterator[T]:
        while True:
            with self._cond:
                while self._buffer.take_must_wait():
                    self._cond.wait()
                item = self._buffer.take()
                if item is ChannelBuffer.END:
                    return
                self._cond.notify_all()
            yield item


class _SocketTracker:
    """httpcore ``trace`` hook that remembers the sockets this subscription's polls opened.

    After `abort`, a connection opened by a poll that was already on its way is shut down as
    soon as it connects, so no request can slip past a close.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[Any] = []
        self._aborted = False

    def __call__(self, event_name: str, info: dict[str, Any]) -> None:
        if event_name in (
            "connection.connect_tcp.complete",
            "connection.connect_unix_socket.complete",
            "connection.start_tls.complete",
        ):
            stream = info.get("return_value")
            if stream is None:
                return
            with self._lock:
                self._streams = [s for s in self._streams if _socket_of(s) is not None]
                self._streams.append(stream)
                aborted = self._aborted
            if aborted:
                _shutdown(stream)

    def abort(self) -> None:
        """Shut down every tracked socket, waking a thread blocked reading it."""
        with self._lock:
            self._aborted = True
            streams, self._streams = self._streams, []
        for stream in streams:
            _shutdown(stream)


def _shutdown(stream: Any) -> None:
    sock = _socket_of(stream)
    if sock is not None:
        # socket.socket.shutdown, not SSLSocket's: no TLS close_notify from this thread
        # while the poller is inside SSL_read.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _socket_of(stream: Any) -> socket.socket | None:
    try:
        sock = stream.get_extra_info("socket")
    except Exception:  # a custom network stream may not know the key
        return None
    if isinstance(sock, socket.socket) and sock.fileno() != -1:
        return sock
    return None


class LongpollSubscription(SubscriptionBase):
    """A running longpoll: iterate ``matches``, ``notifications`` and ``errors``.

    Use it as a context manager; polling runs in a background thread from ``__enter__``
    until ``__exit__`` (or ``close()``). Transient failures (network errors, timeouts, HTTP
    408/429/5xx) reconnect with capped backoff and resume from the last ``since_time``;
    a permanent failure is put on ``errors`` and ends the subscription.

    Leaving the block shuts down the socket of the poll in flight. Without an injected client
    the subscription has a connection pool of its own, so that always works; with an injected
    ``httpx.Client``, a poll that reused a pooled connection opened by another call is
    detached instead (its answer, due within the poll ``timeout``, is discarded).
    """

    def __init__(
        self,
        *,
        category: str,
        base_url: str,
        timeout: int = LONGPOLL_DEFAULT_TIMEOUT,
        since_time: int | None = None,
        httpx_client: httpx.Client | None = None,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        max_backoff: float = BACKOFF_CAP_SECONDS,
        queue_size: int = LONGPOLL_QUEUE_SIZE,
        on_event: Callable[[AudDEvent], Any] | None = None,
        sleep: Callable[[float], Any] | None = None,
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
        self._stop = threading.Event()
        self._tracker = _SocketTracker()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._matches: _Channel[StreamCallbackMatch] = _Channel("matches", size, group)
        self._notifications: _Channel[StreamCallbackNotification] = _Channel(
            "notifications", size, group
        )
        self._errors: _Channel[AudDError] = _Channel("errors", 1, group)

    # -- public surface --------------------------------------------------------------------

    @property
    def matches(self) -> _Channel[StreamCallbackMatch]:
        """Iterable of `StreamCallbackMatch`, ending when the subscription ends."""
        return self._matches

    @property
    def notifications(self) -> _Channel[StreamCallbackNotification]:
        """Iterable of `StreamCallbackNotification` lifecycle events."""
        return self._notifications

    @property
    def errors(self) -> _Channel[AudDError]:
        """Single-shot: at most one terminal error, after which the subscription has ended."""
        return self._errors

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        """Whether the poller is active."""
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    def start(self) -> LongpollSubscription:
        """Start polling (what ``__enter__`` does)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                raise RuntimeError("a longpoll subscription can be started only once")
            if self._http is None:
                self._http = httpx.Client(
                    headers={"User-Agent": user_agent()}, follow_redirects=False
                )
            for channel in (self._matches, self._notifications, self._errors):
                channel.open()
            self._thread = threading.Thread(
                target=self._run, name=f"audd-longpoll-{self.category}", daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop polling: abort the in-flight request and end every iterator. Idempotent."""
        self._stop.set()
        self._tracker.abort()
        self._matches.finish(discard=True)
        self._notifications.finish(discard=True)
        self._errors.finish(discard=False)  # a terminal error stays readable after the block
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_CLOSE_GRACE_SECONDS)
            if thread.is_alive():
                _log.debug("longpoll poller still finishing an unabortable request; detached")
        if self._owns_http and self._http is not None:
            self._http.close()

    def __enter__(self) -> LongpollSubscription:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- poller thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                step = self._poll_once()
                if step is None or not self._deliver(step):
                    return
                if step.error is not None:
                    self._errors.put(step.error)
                    self._end()
                    return
                if step.delay > 0:
                    self._wait(step.delay)
        except BaseException as exc:  # a bug must end the subscription visibly, not silently
            if not self._stop.is_set():
                error = AudDError(f"longpoll stopped unexpectedly: {exc!r}")
                error.__cause__ = exc
                self._errors.put(error)
                self._end()

    def _end(self) -> None:
        for channel in (self._matches, self._notifications, self._errors):
            channel.finish(discard=False)

    def _wait(self, delay: float) -> None:
        if self._sleep is not None:
            self._sleep(delay)
        else:
            self._stop.wait(delay)

    def _deliver(self, step: LongpollStep) -> bool:
        for match in step.matches:
            if not self._matches.put(match):
                return False
        for notification in step.notifications:
            if not self._notifications.put(notification):
                return False
        return not self._stop.is_set()

    def _poll_once(self) -> LongpollStep | None:
        http = self._http
        assert http is not None
        request = http.build_request(
            **self._poll_request(http.headers), extensions={"trace": self._tracker}
        )
        poll = self._poll_sent(request)
        if self._stop.is_set():
            return None
        try:
            response = http.send(request, stream=True)
            try:
                content = response.read()
            finally:
                response.close()
        except httpx.HTTPError as exc:
            if self._stop.is_set():
                return None
            return self._poll_failed(poll, exc)
        if self._stop.is_set():
            return None
        return self._poll_answered(poll, response, content)


class LongpollConsumer(ConsumerBase[LongpollSubscription]):
    """Tokenless longpoll consumer: subscribes with a category alone, never an api_token.

    A token-holding server derives the category (``streams.derive_longpoll_category``) and
    ships only that string to the consumer::

        with LongpollConsumer(category=category) as consumer:
            with consumer.iterate(timeout=30) as poll:
                for match in poll.matches:
                    print(match.song.artist, "—", match.song.title)

    Transient failures reconnect with capped backoff until the consumer is closed;
    ``max_retries`` is accepted only so code written for the older official SDK runs.
    """

    _http_type = httpx.Client
    _http_type_error = "httpx_client must be an httpx.Client (use AsyncLongpollConsumer)"

    def __init__(
        self,
        category: str,
        *,
        base_url: str | None = None,
        httpx_client: httpx.Client | None = None,
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
        self._sleep: Callable[[float], Any] | None = None

    def iterate(
        self, timeout: int = LONGPOLL_DEFAULT_TIMEOUT, since_time: int | None = None
    ) -> LongpollSubscription:
        """A subscription handle; polling starts when its ``with`` block is entered."""
        args = self._subscription_args(timeout, since_time)
        return self._track(LongpollSubscription(**args, httpx_client=self._http, sleep=self._sleep))

    def close(self) -> None:
        """Stop every subscription made by this consumer (an injected client stays open)."""
        for subscription in self._take_subscriptions():
            subscription.close()

    def __enter__(self) -> LongpollConsumer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

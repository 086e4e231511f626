"""Sync longpoll: the subscription handle (a background thread) and the tokenless consumer.

Polling starts on ``__enter__``. Leaving the ``with`` block shuts down the sockets of the
in-flight poll from the calling thread (a closed-but-not-shut-down socket would keep the poller
blocked until the server answers), so ``__exit__`` returns within a second.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
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

__all__ = ["LongpollConsumer", "LongpollSubscription"]

_log = logging.getLogger(LOGGER_NAME)

T = TypeVar("T")

_CLOSE_GRACE_SECONDS = 0.5
"""How long ``close()`` waits for the poller thread after aborting its request."""


class _Group:
    """State shared by the channels of one subscription: one condition, and whether any
    channel is being read."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.reading = False


class _Channel(Generic[T]):
    """A bounded hand-off from the poller thread to the consumer's iterator.

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
        with self._cond:
            if self._state == "idle":
                self._state = "open"

    def put(self, item: T) -> bool:
        """Queue ``item``; False once the channel is closed (the poller should stop)."""
        with self._cond:
            while (
                len(self._items) >= self._maxsize
                and self._state == "open"
                and (self._consumed or not self._group.reading)
            ):
                self._cond.wait()
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

    def finish(self, *, discard: bool) -> None:
        """End the channel: iterators stop at once (``discard``) or after the queued items."""
        with self._cond:
            if discard:
                self._items.clear()
                self._state = "closed"
            elif self._state in ("idle", "open"):
                self._state = "draining"
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def __iter__(self) -> Iterator[T]:
        with self._cond:
            if self._state == "idle":
                raise RuntimeError(
                    "the longpoll has not started: use it as a context manager "
                    "(`with audd.streams.longpoll(...) as poll:`)"
                )
            self._consumed = True
            self._group.reading = True
            self._cond.notify_all()
        return self._iterate()

    def _iterate(self) -> Iterator[T]:
        while True:
            with self._cond:
                while not self._items and self._state == "open":
                    self._cond.wait()
                if not self._items or self._state == "closed":
                    return
                item = self._items.popleft()
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


def _emit(on_event: Callable[[AudDEvent], Any] | None, event: AudDEvent) -> None:
    if on_event is None:
        return
    try:
        on_event(event)
    except Exception:
        _log.debug("on_event hook raised; ignored", exc_info=True)


class LongpollSubscription:
    """A running longpoll: iterate ``matches``, ``notifications`` and ``errors``.

    Use it as a context manager; polling runs on a background thread from ``__enter__`` until
    ``__exit__`` (or ``close()``). Transient failures (network errors, timeouts, HTTP
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
        self._stop = threading.Event()
        self._tracker = _SocketTracker()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._matches: _Channel[StreamCallbackMatch] = _Channel("matches", size, group)
        self._notifications: _Channel[StreamCallbackNotification] = _Channel(
            "notifications", size, group
        )
        self._errors: _Channel[AudDError] = _Channel("errors", 1, group)
        self._attempt = 0

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
    def category(self) -> str:
        """The longpoll category being polled."""
        return self._state.category

    @property
    def since_time(self) -> int | None:
        """Server timestamp (ms) the next poll resumes from; pass it to resume elsewhere."""
        return self._state.since_time

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

    def __repr__(self) -> str:
        return (
            f"<LongpollSubscription category={self.category!r} since_time={self.since_time!r} "
            f"running={self.running}>"
        )

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
        self._attempt += 1
        headers = {"User-Agent": user_agent()} if needs_user_agent(http.headers) else None
        request = http.build_request(
            "GET",
            self._url,
            params=self._state.params(),
            headers=headers,
            timeout=longpoll_http_timeout(self._state.timeout),
            extensions={"trace": self._tracker},
        )
        url = str(request.url)
        extras = {"attempt": self._attempt, "http_method": "GET", "retry_class": "read"}
        _emit(self._on_event, AudDEvent("request", "longpoll", url, extras=dict(extras)))
        started = time.monotonic()
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
        if self._stop.is_set():
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
        error_code = getattr(step.error, "error_code", None)
        _emit(
            self._on_event,
            AudDEvent(
                "response",
                "longpoll",
                url,
                request_id=request_id,
                http_status=response.status_code,
                elapsed_ms=elapsed * 1000,
                error_code=error_code,
                extras={**extras, "outcome": step.reason, "will_retry": step.error is None},
            ),
        )
        return step


class LongpollConsumer:
    """Tokenless longpoll consumer: subscribes with a category alone, never an api_token.

    A token-holding server derives the category (``streams.derive_longpoll_category``) and
    ships only that string to the consumer::

        with LongpollConsumer(category=category) as consumer:
            with consumer.iterate(timeout=30) as poll:
                for match in poll.matches:
                    print(match.song.artist, "—", match.song.title)
    """

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
    ) -> None:
        self.category = validate_category(category)
        self.base_url = validate_base_url(base_url, os.environ.get(ENV_BASE_URL), DEFAULT_BASE_URL)
        if httpx_client is not None and not isinstance(httpx_client, httpx.Client):
            raise TypeError("httpx_client must be an httpx.Client (use AsyncLongpollConsumer)")
        self._http = httpx_client
        self._backoff_factor = backoff_factor
        self._max_backoff = max_backoff
        self._queue_size = validate_queue_size(queue_size)
        self._on_event = on_event
        self._sleep: Callable[[float], Any] | None = None
        self._subscriptions: list[LongpollSubscription] = []
        self._closed = False

    def iterate(
        self, timeout: int = LONGPOLL_DEFAULT_TIMEOUT, since_time: int | None = None
    ) -> LongpollSubscription:
        """A subscription handle; polling starts when its ``with`` block is entered."""
        if self._closed:
            raise RuntimeError("the LongpollConsumer is closed")
        subscription = LongpollSubscription(
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

    def close(self) -> None:
        """Stop every subscription made by this consumer (an injected client stays open)."""
        self._closed = True
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
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

    def __repr__(self) -> str:
        return f"<LongpollConsumer category={self.category!r} base_url={self.base_url!r}>"

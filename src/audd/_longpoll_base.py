"""What the sync and async longpoll handles share: argument checks, the poll state, each
poll's request and its ``on_event`` observations, and the consumer's bookkeeping. The shells
add the poller (thread or task), the channels' waiting, and sending.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from audd._core._config import DEFAULT_BASE_URL, ENV_BASE_URL, LOGGER_NAME
from audd._core._options import user_agent
from audd._core._streams import (
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
from audd._io import dispatch_event
from audd.events import AudDEvent

__all__ = ["ConsumerBase", "Poll", "SubscriptionBase"]

_log = logging.getLogger(LOGGER_NAME)

SubT = TypeVar("SubT", bound="SubscriptionBase")


@dataclass(frozen=True)
class Poll:
    """One poll in flight: its URL, the event extras and when it was sent."""

    url: str
    extras: dict[str, Any]
    started: float


class SubscriptionBase:
    """State and decisions shared by `LongpollSubscription` and `AsyncLongpollSubscription`."""

    def __init__(
        self,
        *,
        category: str,
        base_url: str,
        timeout: int,
        since_time: int | None,
        backoff_factor: float,
        max_backoff: float,
        queue_size: int,
        on_event: Callable[[AudDEvent], Any] | None,
        rand: Callable[[], float],
    ) -> None:
        self._state = LongpollState(
            category=validate_category(category),
            timeout=validate_longpoll_timeout(timeout),
            since_time=validate_since_time(since_time),
            backoff_factor=backoff_factor,
            max_backoff=max_backoff,
        )
        self._queue_size = validate_queue_size(queue_size)
        self._url = longpoll_url(base_url)
        self._on_event = on_event
        self._rand = rand
        self._attempt = 0

    @property
    def category(self) -> str:
        """The longpoll category being polled."""
        return self._state.category

    @property
    def since_time(self) -> int | None:
        """Server timestamp (ms) the next poll resumes from; pass it to resume elsewhere."""
        return self._state.since_time

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} category={self.category!r} "
            f"since_time={self.since_time!r} running={self.running}>"
        )

    @property
    def closed(self) -> bool:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        raise NotImplementedError

    # -- one poll --------------------------------------------------------------------------

    def _poll_request(self, client_headers: Mapping[str, str]) -> dict[str, Any]:
        """``build_request`` arguments of the next poll (there is no token: the category is the
        only credential)."""
        self._attempt += 1
        return {
            "method": "GET",
            "url": self._url,
            "params": self._state.params(),
            "headers": {"User-Agent": user_agent()} if needs_user_agent(client_headers) else None,
            "timeout": longpoll_http_timeout(self._state.timeout),
        }

    def _poll_sent(self, request: httpx.Request) -> Poll:
        """Emit the ``request`` event of a poll about to be sent."""
        url = str(request.url)
        extras = {"attempt": self._attempt, "http_method": "GET", "retry_class": "read"}
        dispatch_event(self._on_event, AudDEvent("request", "longpoll", url, extras=dict(extras)))
        return Poll(url, extras, time.monotonic())

    def _poll_failed(self, poll: Poll, exc: Exception) -> LongpollStep:
        """A poll that failed at the network level: observe it and decide what comes next."""
        elapsed_ms = (time.monotonic() - poll.started) * 1000
        step = self._state.on_transport_error(exc, self._rand())
        dispatch_event(
            self._on_event,
            AudDEvent(
                "exception",
                "longpoll",
                poll.url,
                elapsed_ms=elapsed_ms,
                extras={**poll.extras, "exception": type(exc).__name__, "will_retry": True},
            ),
        )
        _log.info("longpoll %s: %s; reconnecting in %.2fs", self.category, exc, step.delay)
        return step

    def _poll_answered(self, poll: Poll, response: httpx.Response, content: bytes) -> LongpollStep:
        """An HTTP answer to a poll: new events, the next ``since_time``, a delay or an error."""
        elapsed = time.monotonic() - poll.started
        request_id = response.headers.get("x-request-id")
        step = self._state.on_response(
            response.status_code,
            response.headers,
            content,
            elapsed=elapsed,
            rand=self._rand(),
            request_id=request_id,
        )
        dispatch_event(
            self._on_event,
            AudDEvent(
                "response",
                "longpoll",
                poll.url,
                request_id=request_id,
                http_status=response.status_code,
                elapsed_ms=elapsed * 1000,
                error_code=getattr(step.error, "error_code", None),
                extras={**poll.extras, "outcome": step.reason, "will_retry": step.error is None},
            ),
        )
        return step


class ConsumerBase(Generic[SubT]):
    """Arguments and bookkeeping shared by `LongpollConsumer` and `AsyncLongpollConsumer`."""

    _http_type: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]
    _http_type_error: ClassVar[str]

    def __init__(
        self,
        category: str,
        *,
        base_url: str | None,
        httpx_client: httpx.Client | httpx.AsyncClient | None,
        backoff_factor: float,
        max_backoff: float,
        queue_size: int,
        on_event: Callable[[AudDEvent], Any] | None,
        max_retries: int | None = None,
    ) -> None:
        # ``max_retries`` is accepted so code written for the older official SDK runs; it
        # bounded that client's retries, while transient failures here reconnect until closed.
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise ValueError(f"max_retries must be a non-negative integer, got {max_retries!r}")
        self.category = validate_category(category)
        self.base_url = validate_base_url(base_url, os.environ.get(ENV_BASE_URL), DEFAULT_BASE_URL)
        if httpx_client is not None and not isinstance(httpx_client, self._http_type):
            raise TypeError(self._http_type_error)
        self._backoff_factor = backoff_factor
        self._max_backoff = max_backoff
        self._queue_size = validate_queue_size(queue_size)
        self._on_event = on_event
        self._subscriptions: list[SubT] = []
        self._closed = False

    def _subscription_args(self, timeout: int, since_time: int | None) -> dict[str, Any]:
        """Arguments of a new subscription, minus the client and the sleep."""
        if self._closed:
            raise RuntimeError(f"the {type(self).__name__} is closed")
        return {
            "category": self.category,
            "base_url": self.base_url,
            "timeout": timeout,
            "since_time": since_time,
            "backoff_factor": self._backoff_factor,
            "max_backoff": self._max_backoff,
            "queue_size": self._queue_size,
            "on_event": self._on_event,
        }

    def _track(self, subscription: SubT) -> SubT:
        """Remember ``subscription`` so that closing the consumer stops it."""
        self._subscriptions = [s for s in self._subscriptions if not s.closed]
        self._subscriptions.append(subscription)
        return subscription

    def _take_subscriptions(self) -> list[SubT]:
        """Mark the consumer closed; the subscriptions to stop."""
        self._closed = True
        subscriptions, self._subscriptions = self._subscriptions, []
        return subscriptions

    def __repr__(self) -> str:
        return f"<{type(self).__name__} category={self.category!r} base_url={self.base_url!r}>"

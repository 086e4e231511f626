"""What `AudD` and `AsyncAudD` share: configuration from arguments and the environment, the
token, User-Agent handling, the enterprise ``limit`` warning, and every decision of `_send`
short of sending and sleeping. The shells add the HTTP client type, `_send` and closing.
"""

from __future__ import annotations

import os
import random
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from audd._core._config import (
    ENV_API_TOKEN,
    ENV_BASE_URL,
    ENV_ENTERPRISE_BASE_URL,
    STANDARD_TIMEOUT,
)
from audd._core._errors import connection_error
from audd._core._options import request_url, resolve_options, user_agent, validate_token
from audd._core._request import ENTERPRISE_LIMIT_WARNING, RequestSpec
from audd._core._response import ApiResponse, decode_response
from audd._core._retry import retry_delay, should_retry_exception, should_retry_status
from audd._io import AttemptParts, PreparedSource, build_attempt, emit_event, logger
from audd.errors import AudDAPIError, AudDConnectionError, AudDError
from audd.events import AudDEvent

__all__ = ["HTTPX_ERRORS", "Attempt", "Call", "ClientBase"]

HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError)
"""httpx exceptions `_send` turns into `AudDConnectionError` (they never reach users)."""

HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


@dataclass(frozen=True)
class Call:
    """One `_send` call: what stays the same across its attempts."""

    spec: RequestSpec
    token: str | None
    prepared: PreparedSource | None
    url: str
    timeout: httpx.Timeout
    total: int
    """Attempts allowed (at least 1)."""
    hook: Callable[[AudDEvent], None] | None

    def request_args(self, parts: AttemptParts) -> dict[str, Any]:
        """Keyword arguments of ``build_request`` for one attempt, all but ``content``."""
        return {
            "method": parts.method,
            "url": parts.url,
            "params": parts.params,
            "headers": parts.headers,
            "timeout": self.timeout,
        }


@dataclass(frozen=True)
class Attempt:
    """One attempt of a call, from the moment its request is sent."""

    call: Call
    number: int
    """0-based."""
    parts: AttemptParts
    url: str
    """Full request URL, query included (never the token)."""
    started: float
    """``time.perf_counter()`` when the request was handed to httpx."""

    @property
    def is_last(self) -> bool:
        """Whether no further attempt is allowed."""
        return self.number + 1 >= self.call.total


class ClientBase(Generic[HttpT]):
    """State and decisions shared by `AudD` and `AsyncAudD`."""

    _http_type: ClassVar[type[httpx.Client] | type[httpx.AsyncClient]]
    _http_type_error: ClassVar[str]
    _http: HttpT

    def __init__(
        self,
        api_token: str | None,
        *,
        max_retries: int,
        backoff_factor: float,
        httpx_client: HttpT | None,
        on_event: Callable[[AudDEvent], None] | None,
        base_url: str | None,
        enterprise_base_url: str | None,
    ) -> None:
        options = resolve_options(
            api_token=api_token,
            env_token=os.environ.get(ENV_API_TOKEN),
            base_url=base_url,
            env_base_url=os.environ.get(ENV_BASE_URL),
            enterprise_base_url=enterprise_base_url,
            env_enterprise_base_url=os.environ.get(ENV_ENTERPRISE_BASE_URL),
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            on_event=on_event,
        )
        if httpx_client is not None and not isinstance(httpx_client, self._http_type):
            raise TypeError(self._http_type_error)
        self._token = options.api_token
        self._token_lock = threading.Lock()
        self._base_url = options.base_url
        self._enterprise_base_url = options.enterprise_base_url
        self._max_retries = options.max_retries
        self._backoff_factor = options.backoff_factor
        self._on_event = on_event
        self._limit_warned = False
        ua = user_agent()
        if httpx_client is None:
            http: Any = self._http_type(headers={"User-Agent": ua}, timeout=STANDARD_TIMEOUT)
            self._http = http
            self._owns_http = True
        else:
            self._http = httpx_client
            self._owns_http = False
        # An injected client keeps a User-Agent its owner set explicitly.
        explicit_ua = self._http.headers.get("user-agent", "")
        self._headers = {} if _is_custom_ua(explicit_ua, ua) else {"User-Agent": ua}
        self._random: Callable[[], float] = random.random

    @property
    def api_token(self) -> str:
        """The token new calls use (read-only; rotate it with `set_api_token`)."""
        return self._current_token()

    def set_api_token(self, api_token: str) -> None:
        """Use ``api_token`` for subsequent calls; in-flight calls finish on the previous one."""
        token = validate_token(api_token)
        with self._token_lock:
            self._token = token

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r})"

    # -- shared parts of the endpoint methods and `_send` ------------------------------------

    def _warn_without_limit(self, limit: int | None) -> None:
        """Warn once per client about an enterprise call without ``limit=`` (at the caller)."""
        if limit is None and not self._limit_warned:
            self._limit_warned = True
            # 3: this helper, the endpoint method, then the caller's line.
            warnings.warn(ENTERPRISE_LIMIT_WARNING, UserWarning, stacklevel=3)

    def _current_token(self) -> str:
        """The token new calls use (read once per call)."""
        with self._token_lock:
            return self._token

    def _start_call(self, spec: RequestSpec, attempts: int | None) -> Call:
        """Everything a call's attempts share; the token is read once, here."""
        return Call(
            spec=spec,
            token=self._current_token() if spec.include_token else None,
            prepared=PreparedSource(spec.source) if spec.source is not None else None,
            url=request_url(spec, self._base_url, self._enterprise_base_url),
            timeout=spec.default_timeout(),
            total=max(1, attempts if attempts is not None else self._max_retries),
            hook=self._on_event,
        )

    def _attempt_parts(self, call: Call) -> AttemptParts:
        """Request parts of one attempt (a fresh, rewound body)."""
        return build_attempt(call.spec, call.url, call.token, call.prepared, self._headers)

    def _attempt_started(
        self, call: Call, number: int, parts: AttemptParts, request: httpx.Request
    ) -> Attempt:
        """Log and emit the ``request`` event of an attempt about to be sent."""
        url = str(request.url)
        logger.debug(
            "%s %s (%s, attempt %d/%d)",
            parts.method,
            url,
            call.spec.api_method,
            number + 1,
            call.total,
        )
        emit_event(call.hook, "request", call.spec, url, number)
        return Attempt(call, number, parts, url, time.perf_counter())

    def _transport_failed(self, attempt: Attempt, exc: Exception) -> float:
        """Emit the ``exception`` event; raise unless it may be retried, else the delay."""
        call, parts, spec = attempt.call, attempt.parts, attempt.call.spec
        elapsed = (time.perf_counter() - attempt.started) * 1000.0
        retry = not attempt.is_last and should_retry_exception(
            spec.retry_class, exc, body_complete=parts.body_complete
        )
        replayable = call.prepared is None or call.prepared.can_replay(parts.consumed)
        emit_event(
            call.hook,
            "exception",
            spec,
            attempt.url,
            attempt.number,
            elapsed_ms=elapsed,
            extras={"exception": type(exc).__name__, "will_retry": retry and replayable},
        )
        if not retry:
            raise connection_error(exc, spec.api_method) from exc
        if not replayable:
            raise AudDConnectionError(
                f"{spec.api_method}: {type(exc).__name__}: {exc}; the source is not "
                "seekable, so it cannot be re-sent (pass bytes or a path to retry)"
            ) from exc
        return retry_delay(attempt.number, self._backoff_factor, self._random())

    def _response_received(self, attempt: Attempt, response: httpx.Response) -> ApiResponse | float:
        """Decode ``response`` and emit the ``response`` event: the decoded envelope, the delay
        before a retry, or the `AudDError` raised."""
        call, spec = attempt.call, attempt.call.spec
        elapsed = (time.perf_counter() - attempt.started) * 1000.0
        status = response.status_code
        request_id = response.headers.get("x-request-id")
        try:
            decoded = decode_response(spec, status, response.headers, response.content)
        except AudDError as err:
            retry = not attempt.is_last and should_retry_status(spec.retry_class, status)
            if (
                retry
                and call.prepared is not None
                and not call.prepared.can_replay(attempt.parts.consumed)
            ):
                retry = False
            error_code = err.error_code if isinstance(err, AudDAPIError) else None
            self._emit_response(attempt, status, request_id, elapsed, retry, error_code)
            if not retry:
                raise
            return retry_delay(
                attempt.number,
                self._backoff_factor,
                self._random(),
                status_code=status,
                retry_after=response.headers.get("retry-after"),
                now=datetime.now(timezone.utc),
            )
        self._emit_response(attempt, status, request_id, elapsed, False, None)
        return decoded

    @staticmethod
    def _emit_response(
        attempt: Attempt,
        status: int,
        request_id: str | None,
        elapsed: float,
        will_retry: bool,
        error_code: int | None,
    ) -> None:
        emit_event(
            attempt.call.hook,
            "response",
            attempt.call.spec,
            attempt.url,
            attempt.number,
            http_status=status,
            request_id=request_id,
            elapsed_ms=elapsed,
            error_code=error_code,
            extras={"will_retry": will_retry},
        )


def _is_custom_ua(current: str, ours: str) -> bool:
    return bool(current) and not current.startswith("python-httpx/") and current != ours

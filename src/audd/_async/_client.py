"""`AsyncAudD`: the asyncio client — endpoint methods over one retrying `_send`."""

from __future__ import annotations

import os
import random
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import anyio
import httpx

from audd._async._namespaces import AsyncAdvanced, AsyncCustomCatalog
from audd._async._streams import AsyncStreams
from audd._core._config import (
    DEFAULT_BACKOFF_FACTOR,
    DEFAULT_MAX_RETRIES,
    ENV_API_TOKEN,
    ENV_BASE_URL,
    ENV_ENTERPRISE_BASE_URL,
    STANDARD_TIMEOUT,
)
from audd._core._errors import connection_error
from audd._core._models import EnterpriseMatch, RecognitionResult
from audd._core._options import request_url, resolve_options, user_agent, validate_token
from audd._core._request import (
    ENTERPRISE_LIMIT_WARNING,
    RequestSpec,
    TimeoutArg,
    build_recognize,
    build_recognize_enterprise,
)
from audd._core._response import (
    ApiResponse,
    decode_enterprise,
    decode_recognition,
    decode_response,
)
from audd._core._retry import retry_delay, should_retry_exception, should_retry_status
from audd._core._sources import AudioSource
from audd._sync._shared import PreparedSource, build_attempt, emit_event, logger
from audd.errors import AudDAPIError, AudDConnectionError, AudDError
from audd.events import AudDEvent

__all__ = ["AsyncAudD"]

_HTTPX_ERRORS = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError)


class AsyncAudD:
    """Asyncio AudD client. Safe to share across asyncio tasks.

    Args:
        api_token: your token from dashboard.audd.io; defaults to ``AUDD_API_TOKEN``.
        max_retries: total attempts per call (1 disables retries; 0 is treated as 1).
        backoff_factor: base of the exponential backoff between attempts, in seconds.
        httpx_client: an ``httpx.AsyncClient`` to use (proxies, TLS, transports); never closed by
            the SDK.
        on_event: called with an `AudDEvent` for every attempt of every call.
        base_url: standard host; defaults to ``AUDD_BASE_URL`` or https://api.audd.io.
        enterprise_base_url: enterprise host; defaults to ``AUDD_ENTERPRISE_BASE_URL`` or
            https://enterprise.audd.io.
    """

    def __init__(
        self,
        api_token: str | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        httpx_client: httpx.AsyncClient | None = None,
        on_event: Callable[[AudDEvent], None] | None = None,
        base_url: str | None = None,
        enterprise_base_url: str | None = None,
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
        if httpx_client is not None and not isinstance(httpx_client, httpx.AsyncClient):
            raise TypeError("httpx_client must be an httpx.AsyncClient (use AudD for Client)")
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
            self._http = httpx.AsyncClient(headers={"User-Agent": ua}, timeout=STANDARD_TIMEOUT)
            self._owns_http = True
        else:
            self._http = httpx_client
            self._owns_http = False
        # An injected client keeps a User-Agent its owner set explicitly.
        explicit_ua = self._http.headers.get("user-agent", "")
        self._headers = {} if _is_custom_ua(explicit_ua, ua) else {"User-Agent": ua}
        self._sleep: Callable[[float], Awaitable[object]] = anyio.sleep
        self._random: Callable[[], float] = random.random
        self.streams = AsyncStreams(self)
        """Live streams: callbacks, longpoll, stream management."""
        self.custom_catalog = AsyncCustomCatalog(self)
        """Your private fingerprint catalog (special access)."""
        self.advanced = AsyncAdvanced(self)
        """Lyrics search and raw access to endpoints without typed wrappers."""

    # -- lifecycle ---------------------------------------------------------------------------

    def set_api_token(self, api_token: str) -> None:
        """Use ``api_token`` for subsequent calls; in-flight calls finish on the previous one."""
        token = validate_token(api_token)
        with self._token_lock:
            self._token = token

    async def aclose(self) -> None:
        """Release HTTP resources (an injected ``httpx_client`` is left open)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncAudD:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncAudD(base_url={self._base_url!r})"

    # -- endpoints ---------------------------------------------------------------------------

    async def recognize(
        self,
        source: AudioSource,
        *,
        return_: Sequence[str] | str | None = None,
        market: str | None = None,
        timeout: TimeoutArg = None,  # noqa: ASYNC109 - the HTTP timeout of this call
        extra_parameters: Mapping[str, Any] | None = None,
        return_metadata: Sequence[str] | str | None = None,
    ) -> RecognitionResult | None:
        """Recognize a 5–25-second clip; ``None`` when it processed but matched nothing.

        Args:
            source: an http(s) URL (the server downloads it), a path (``str`` or ``Path``),
                ``bytes``/``bytearray``/``memoryview``, or a binary file-like (seekable to be
                retried; read from its current position).
            return_: metadata providers to add: ``apple_music``, ``spotify``, ``deezer``,
                ``napster``, ``musicbrainz``. ``return_metadata`` is an alias.
            market: ISO 3166 region code for the Apple Music storefront.
            timeout: seconds for this call (connect, read, write and pool).
            extra_parameters: extra form fields; typed arguments and the source win over them.
        """
        spec = build_recognize(
            source,
            return_=return_,
            return_metadata=return_metadata,
            market=market,
            timeout=timeout,
            extra_parameters=extra_parameters,
        )
        return decode_recognition(await self._send(spec))

    async def recognize_enterprise(
        self,
        source: AudioSource,
        *,
        limit: int | None = None,
        skip: int | None = None,
        every: int | None = None,
        skip_first_seconds: int | None = None,
        use_timecode: bool | None = None,
        accurate_offsets: bool = True,
        return_: Sequence[str] | str | None = None,
        timeout: TimeoutArg = None,  # noqa: ASYNC109 - the HTTP timeout of this call
        extra_parameters: Mapping[str, Any] | None = None,
        return_metadata: Sequence[str] | str | None = None,
    ) -> list[EnterpriseMatch]:
        """Recognize every song in a long file (billed per 12 seconds processed: set ``limit``).

        Args:
            source: same forms as `recognize`.
            limit: stop after this many chunks; a warning is issued once per client without it.
            skip: chunks to skip after each scanned run.
            every: consecutive chunks to scan per run.
            skip_first_seconds: seconds to skip at the start of the file.
            use_timecode: take the start from the URL's ``t``/``start`` parameter.
            accurate_offsets: ask for per-match ``start_offset``/``end_offset`` (default True).
            return_: metadata providers (``return_metadata`` is an alias).
            timeout: seconds for this call; the default allows 60 minutes to read and write.
            extra_parameters: extra form fields; typed arguments and the source win over them.

        Returns:
            Every match of every chunk, in file order.
        """
        spec = build_recognize_enterprise(
            source,
            limit=limit,
            skip=skip,
            every=every,
            skip_first_seconds=skip_first_seconds,
            use_timecode=use_timecode,
            accurate_offsets=accurate_offsets,
            return_=return_,
            return_metadata=return_metadata,
            timeout=timeout,
            extra_parameters=extra_parameters,
        )
        if limit is None and not self._limit_warned:
            self._limit_warned = True
            warnings.warn(ENTERPRISE_LIMIT_WARNING, UserWarning, stacklevel=2)
        return decode_enterprise(await self._send(spec))

    # -- transport ---------------------------------------------------------------------------

    def _current_token(self) -> str:
        """The token new calls use (read once per call)."""
        with self._token_lock:
            return self._token

    async def _send(self, spec: RequestSpec, *, attempts: int | None = None) -> ApiResponse:
        """Send ``spec`` with retries, events and error mapping; the decoded envelope or raise.

        ``attempts`` overrides ``max_retries`` for this call (e.g. 1 inside a longpoll loop).
        """
        token = self._current_token() if spec.include_token else None
        prepared = PreparedSource(spec.source) if spec.source is not None else None
        url = request_url(spec, self._base_url, self._enterprise_base_url)
        timeout = spec.default_timeout()
        total = max(1, attempts if attempts is not None else self._max_retries)
        hook = self._on_event
        for attempt in range(total):
            last = attempt + 1 >= total
            parts = build_attempt(spec, url, token, prepared, self._headers)
            try:
                try:
                    request = self._http.build_request(
                        parts.method,
                        parts.url,
                        params=parts.params,
                        headers=parts.headers,
                        content=parts.acontent(),
                        timeout=timeout,
                    )
                except _HTTPX_ERRORS as exc:
                    raise connection_error(exc, spec.api_method) from exc
                full_url = str(request.url)
                logger.debug(
                    "%s %s (%s, attempt %d/%d)",
                    parts.method,
                    full_url,
                    spec.api_method,
                    attempt + 1,
                    total,
                )
                emit_event(hook, "request", spec, full_url, attempt)
                started = time.perf_counter()
                try:
                    response = await self._http.send(request)
                except _HTTPX_ERRORS as exc:
                    elapsed = (time.perf_counter() - started) * 1000.0
                    retry = not last and should_retry_exception(
                        spec.retry_class, exc, body_complete=parts.body_complete
                    )
                    replayable = prepared is None or prepared.can_replay(parts.consumed)
                    emit_event(
                        hook,
                        "exception",
                        spec,
                        full_url,
                        attempt,
                        elapsed_ms=elapsed,
                        extras={
                            "exception": type(exc).__name__,
                            "will_retry": retry and replayable,
                        },
                    )
                    if not retry:
                        raise connection_error(exc, spec.api_method) from exc
                    if not replayable:
                        raise AudDConnectionError(
                            f"{spec.api_method}: {type(exc).__name__}: {exc}; the source is not "
                            "seekable, so it cannot be re-sent (pass bytes or a path to retry)"
                        ) from exc
                    await self._sleep(retry_delay(attempt, self._backoff_factor, self._random()))
                    continue
            finally:
                parts.close()
            elapsed = (time.perf_counter() - started) * 1000.0
            request_id = response.headers.get("x-request-id")
            try:
                decoded = decode_response(
                    spec, response.status_code, response.headers, response.content
                )
            except AudDError as err:
                retry = not last and should_retry_status(spec.retry_class, response.status_code)
                if retry and prepared is not None and not prepared.can_replay(parts.consumed):
                    retry = False
                emit_event(
                    hook,
                    "response",
                    spec,
                    full_url,
                    attempt,
                    http_status=response.status_code,
                    request_id=request_id,
                    elapsed_ms=elapsed,
                    error_code=err.error_code if isinstance(err, AudDAPIError) else None,
                    extras={"will_retry": retry},
                )
                if not retry:
                    raise
                await self._sleep(
                    retry_delay(
                        attempt,
                        self._backoff_factor,
                        self._random(),
                        status_code=response.status_code,
                        retry_after=response.headers.get("retry-after"),
                        now=datetime.now(timezone.utc),
                    )
                )
                continue
            emit_event(
                hook,
                "response",
                spec,
                full_url,
                attempt,
                http_status=response.status_code,
                request_id=request_id,
                elapsed_ms=elapsed,
                extras={"will_retry": False},
            )
            return decoded
        raise AssertionError("unreachable: the last attempt returns or raises")


def _is_custom_ua(current: str, ours: str) -> bool:
    return bool(current) and not current.startswith("python-httpx/") and current != ours

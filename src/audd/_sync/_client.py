"""`AudD`: the synchronous client — endpoint methods over one retrying `_send`."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from audd._client_base import HTTPX_ERRORS, ClientBase
from audd._core._config import DEFAULT_BACKOFF_FACTOR, DEFAULT_MAX_RETRIES
from audd._core._errors import connection_error
from audd._core._models import EnterpriseMatch, RecognitionResult
from audd._core._request import (
    RequestSpec,
    TimeoutArg,
    build_recognize,
    build_recognize_enterprise,
)
from audd._core._response import ApiResponse, decode_enterprise, decode_recognition
from audd._core._sources import AudioSource
from audd._sync._namespaces import Advanced, CustomCatalog
from audd._sync._streams import Streams
from audd.events import AudDEvent

__all__ = ["AudD"]


class AudD(ClientBase[httpx.Client]):
    """Synchronous AudD client. Safe to share across threads.

    Args:
        api_token: your token from dashboard.audd.io; defaults to ``AUDD_API_TOKEN``.
        max_retries: total attempts per call (1 disables retries; 0 is treated as 1).
        backoff_factor: base of the exponential backoff between attempts, in seconds.
        httpx_client: an ``httpx.Client`` to use (proxies, TLS, transports); never closed by
            the SDK.
        on_event: called with an `AudDEvent` for every attempt of every call.
        base_url: standard host; defaults to ``AUDD_BASE_URL`` or https://api.audd.io.
        enterprise_base_url: enterprise host; defaults to ``AUDD_ENTERPRISE_BASE_URL`` or
            https://enterprise.audd.io.
    """

    streams: Streams
    """Live streams: callbacks, longpoll, stream management."""
    custom_catalog: CustomCatalog
    """Your private fingerprint catalog (special access)."""
    advanced: Advanced
    """Lyrics search and raw access to endpoints without typed wrappers."""

    _http_type = httpx.Client
    _http_type_error = "httpx_client must be an httpx.Client (use AsyncAudD for AsyncClient)"

    def __init__(
        self,
        api_token: str | None = None,
        *,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
        httpx_client: httpx.Client | None = None,
        on_event: Callable[[AudDEvent], None] | None = None,
        base_url: str | None = None,
        enterprise_base_url: str | None = None,
    ) -> None:
        super().__init__(
            api_token,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            httpx_client=httpx_client,
            on_event=on_event,
            base_url=base_url,
            enterprise_base_url=enterprise_base_url,
        )
        self._sleep: Callable[[float], object] = time.sleep
        self.streams = Streams(self)
        self.custom_catalog = CustomCatalog(self)
        self.advanced = Advanced(self)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Release HTTP resources (an injected ``httpx_client`` is left open)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> AudD:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- endpoints ---------------------------------------------------------------------------

    def recognize(
        self,
        source: AudioSource,
        *,
        return_: Sequence[str] | str | None = None,
        market: str | None = None,
        timeout: TimeoutArg = None,
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
        return decode_recognition(self._send(spec))

    def recognize_enterprise(
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
        timeout: TimeoutArg = None,
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
        self._warn_without_limit(limit)
        return decode_enterprise(self._send(spec))

    # -- transport ---------------------------------------------------------------------------

    def _send(self, spec: RequestSpec, *, attempts: int | None = None) -> ApiResponse:
        """Send ``spec`` with retries, events and error mapping; the decoded envelope or raise.

        ``attempts`` overrides ``max_retries`` for this call (e.g. 1 inside a longpoll loop).
        """
        call = self._start_call(spec, attempts)
        for number in range(call.total):
            parts = self._attempt_parts(call)
            try:
                try:
                    request = self._http.build_request(
                        **call.request_args(parts), content=parts.content()
                    )
                except HTTPX_ERRORS as exc:
                    raise connection_error(exc, spec.api_method) from exc
                attempt = self._attempt_started(call, number, parts, request)
                try:
                    response = self._http.send(request)
                except HTTPX_ERRORS as exc:
                    self._sleep(self._transport_failed(attempt, exc))
                    continue
            finally:
                parts.close()
            outcome = self._response_received(attempt, response)
            if not isinstance(outcome, float):
                return outcome
            self._sleep(outcome)
        raise AssertionError("unreachable: the last attempt returns or raises")

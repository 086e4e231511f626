"""The one error-code → exception-class table, and building an exception from an error body."""

from __future__ import annotations

from typing import Any

import httpx

from audd.errors import (
    AudDAPIError,
    AudDAuthenticationError,
    AudDBlockedError,
    AudDConnectionError,
    AudDCustomCatalogAccessError,
    AudDInvalidAudioError,
    AudDInvalidRequestError,
    AudDNeedsUpdateError,
    AudDNotReleasedError,
    AudDQuotaError,
    AudDRateLimitError,
    AudDServerError,
    AudDStreamLimitError,
    AudDSubscriptionError,
    AudDTimeoutError,
)

__all__ = [
    "ERROR_CLASSES",
    "api_error_from_body",
    "branded_message",
    "connection_error",
    "error_class_for",
    "error_code_of",
]

ERROR_CLASSES: dict[int, type[AudDAPIError]] = {
    **dict.fromkeys((900, 901, 903), AudDAuthenticationError),
    902: AudDQuotaError,
    **dict.fromkeys((904, 905), AudDSubscriptionError),
    **dict.fromkeys((50, 51, 600, 601, 602, 700, 701, 702, 906), AudDInvalidRequestError),
    **dict.fromkeys((300, 400, 500), AudDInvalidAudioError),
    610: AudDStreamLimitError,
    611: AudDRateLimitError,
    907: AudDNotReleasedError,
    **dict.fromkeys((19, 31337), AudDBlockedError),
    20: AudDNeedsUpdateError,
}
"""Codes not listed (100, 1000, anything new) map to `AudDServerError`."""


def error_class_for(code: int, *, custom_catalog: bool = False) -> type[AudDAPIError]:
    """Exception class for an AudD error code; 904/905 become the custom-catalog subclass there."""
    cls = ERROR_CLASSES.get(code, AudDServerError)
    if custom_catalog and cls is AudDSubscriptionError:
        return AudDCustomCatalogAccessError
    return cls


def branded_message(body: dict[str, Any]) -> str | None:
    """``"artist — title"`` from the branded ``result`` some error bodies carry, else ``None``."""
    result = body.get("result")
    if not isinstance(result, dict):
        return None
    parts = [str(result[k]) for k in ("artist", "title") if result.get(k) not in (None, "")]
    return " — ".join(parts) or None


def _coerce_code(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def error_code_of(body: dict[str, Any]) -> int:
    """The numeric ``error.error_code`` of an error envelope (0 when missing or malformed)."""
    error = body.get("error")
    if isinstance(error, dict):
        return _coerce_code(error.get("error_code"))
    return 0


def api_error_from_body(
    body: dict[str, Any],
    *,
    http_status: int | None,
    request_id: str | None,
    request_method: str | None,
    custom_catalog: bool = False,
) -> AudDAPIError:
    """The typed exception for an ``{"status": "error", ...}`` body."""
    error = body.get("error")
    code = error_code_of(body)
    message = ""
    if isinstance(error, dict):
        message = str(error.get("error_message") or "")
    elif isinstance(error, str):
        message = error
    params = body.get("request_params")
    if not isinstance(params, dict):
        params = body.get("requested_params")
    cls = error_class_for(code, custom_catalog=custom_catalog)
    return cls(
        message or f"AudD error {code}",
        error_code=code,
        http_status=http_status,
        request_id=request_id,
        requested_params=params if isinstance(params, dict) else None,
        request_method=request_method,
        branded_message=branded_message(body),
        raw_response=body,
    )


def connection_error(exc: BaseException, api_method: str) -> AudDConnectionError:
    """The `AudDConnectionError` (or `AudDTimeoutError`) standing for an httpx exception.

    The caller raises it ``from exc`` so the original stays chained.
    """
    cls = AudDTimeoutError if isinstance(exc, httpx.TimeoutException) else AudDConnectionError
    detail = str(exc) or type(exc).__name__
    return cls(f"{api_method}: {type(exc).__name__}: {detail}")

"""Retry decisions as pure functions of the retry class, the failure, the attempt and a random draw.

``attempt`` is 0-based: the attempt that just failed. The shells own the loop and the sleeping.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import httpx

from audd._core._config import BACKOFF_CAP_SECONDS
from audd._core._request import RetryClass

__all__ = [
    "PRE_UPLOAD_ERRORS",
    "backoff_delay",
    "parse_retry_after",
    "retry_delay",
    "should_retry_exception",
    "should_retry_status",
]

# Nothing reached the server: the connection never opened, or no pooled connection was free.
PRE_UPLOAD_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# The write failed, so the server holds at most a truncated body it cannot process.
_WRITE_ERRORS: tuple[type[Exception], ...] = (httpx.WriteError, httpx.WriteTimeout)


def should_retry_exception(
    retry_class: RetryClass, exc: BaseException, *, body_complete: bool
) -> bool:
    """Whether a transport exception may be retried.

    ``body_complete`` is True once the last byte of the body was handed to the transport:
    RECOGNITION calls are billed once the upload is accepted, so never resend after that.
    """
    if not isinstance(exc, httpx.TransportError):
        return False
    if retry_class is RetryClass.READ:
        return True
    if isinstance(exc, PRE_UPLOAD_ERRORS):
        return True
    return isinstance(exc, _WRITE_ERRORS) and not body_complete


def should_retry_status(retry_class: RetryClass, status_code: int) -> bool:
    """Whether an HTTP status may be retried: READ on 408/429/5xx, RECOGNITION on 5xx."""
    if retry_class is RetryClass.READ:
        return status_code in (408, 429) or 500 <= status_code <= 599
    if retry_class is RetryClass.RECOGNITION:
        return 500 <= status_code <= 599
    return False  # MUTATING: the side effect may already have happened.


def backoff_delay(attempt: int, backoff_factor: float, rand: float) -> float:
    """``min(backoff_factor * 2**attempt, 30) * uniform(0.5, 1.5)``, with ``rand`` in ``[0, 1)``."""
    base: float = min(backoff_factor * float(2 ** min(attempt, 64)), BACKOFF_CAP_SECONDS)
    return max(0.0, base * (0.5 + rand))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date relative to ``now``)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        if now is None:
            return None
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - now).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def retry_delay(
    attempt: int,
    backoff_factor: float,
    rand: float,
    *,
    status_code: int | None = None,
    retry_after: str | None = None,
    now: datetime | None = None,
) -> float:
    """Delay before the next attempt; ``Retry-After`` on 429/503 wins, capped at 30 s."""
    if status_code in (429, 503):
        hinted = parse_retry_after(retry_after, now)
        if hinted is not None:
            return min(hinted, BACKOFF_CAP_SECONDS)
    return backoff_delay(attempt, backoff_factor, rand)

"""Structured per-attempt observability: the `AudDEvent` passed to an ``on_event`` hook.

Every attempt of every endpoint produces a ``request`` event, then a ``response`` or an
``exception`` event. Events never carry the api_token or the request body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["AudDEvent", "EventKind"]

EventKind = Literal["request", "response", "exception"]


@dataclass(frozen=True)
class AudDEvent:
    """One observation of one HTTP attempt."""

    kind: EventKind
    """``"request"`` (about to send), ``"response"`` (got an HTTP answer) or ``"exception"``."""
    method: str
    """The API method called (``recognize``, ``recognizeEnterprise``, ``addStream``...)."""
    url: str
    """Full request URL (never contains the token)."""
    request_id: str | None = None
    """``x-request-id`` of the response, when there is one."""
    http_status: int | None = None
    """HTTP status, for ``response`` events."""
    elapsed_ms: float | None = None
    """Time from sending to the response (or the exception), in milliseconds."""
    error_code: int | None = None
    """AudD error code when the response is an API error."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Free-form details: ``attempt`` (1-based), ``http_method``, ``retry_class``,
    ``exception`` (type name), ``will_retry``..."""

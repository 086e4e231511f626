"""What the sync and async ``streams`` namespaces share: the pure methods, and the calls that
take more than one request written once as generators (``yield spec`` → response) that each
shell drives with its own `_send`, as httpx drives one auth flow from both of its clients.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, Generic, TypeVar

from audd._client_base import ClientBase
from audd._core._request import RequestSpec
from audd._core._response import ApiResponse
from audd._core._stream_models import StreamCallbackMatch, StreamCallbackNotification
from audd._core._streams import (
    build_get_callback_url,
    derive_longpoll_category,
    is_missing_callback_url,
    missing_callback_url_error,
    parse_callback,
    parse_callback_url,
    validate_category,
    validate_longpoll_timeout,
    validate_radio_id,
    validate_since_time,
)
from audd.errors import AudDAPIError

__all__ = ["CallbackResult", "Flow", "R", "StreamsBase", "request_body"]

CallbackResult = tuple[StreamCallbackMatch | None, StreamCallbackNotification | None]

R = TypeVar("R")
ClientT = TypeVar("ClientT", bound=ClientBase[Any])

Flow = Generator[RequestSpec, ApiResponse, R]
"""A call written once: yields each request, is sent its decoded response (or thrown the
error `_send` raised), returns the result."""


class StreamsBase(Generic[ClientT]):
    """State, pure methods and request flows shared by `Streams` and `AsyncStreams`."""

    def __init__(self, client: ClientT) -> None:
        self._client = client
        self._callback_url_checked = False

    def parse_callback(self, body: bytes | bytearray | str | Mapping[str, Any]) -> CallbackResult:
        """Parse a callback POST body (bytes, str or dict); no I/O.

        Returns ``(match, None)`` for a recognition or ``(None, notification)`` for a stream
        lifecycle event. Raises `AudDSerializationError` (with the raw text) when the body is
        neither.
        """
        return parse_callback(body)

    def derive_longpoll_category(self, radio_id: int) -> str:
        """The opaque longpoll category of ``radio_id``; safe to ship to tokenless consumers."""
        return derive_longpoll_category(self._client._current_token(), radio_id)

    # -- flows -----------------------------------------------------------------------------

    def _get_callback_url_flow(self) -> Flow[str | None]:
        try:
            response = yield build_get_callback_url()
        except AudDAPIError as exc:
            if is_missing_callback_url(exc):
                return None
            raise
        return parse_callback_url(response.result)

    def _longpoll_flow(
        self,
        radio_id: int | None,
        category: str | None,
        timeout: int,
        since_time: int | None,
        skip_callback_check: bool,
    ) -> Flow[dict[str, Any]]:
        """Check the arguments, preflight the callback URL once; the subscription's arguments
        but its client and sleep."""
        resolved = self._resolve_category(radio_id, category)
        hold = validate_longpoll_timeout(timeout)
        since = validate_since_time(since_time)
        if not skip_callback_check and not self._callback_url_checked:
            try:
                response = yield build_get_callback_url()
            except AudDAPIError as exc:
                if is_missing_callback_url(exc):
                    raise missing_callback_url_error(exc) from exc
                raise
            if parse_callback_url(response.result) is None:
                raise missing_callback_url_error()
            self._callback_url_checked = True
        client = self._client
        return {
            "category": resolved,
            "base_url": client._base_url,
            "timeout": hold,
            "since_time": since,
            "backoff_factor": client._backoff_factor,
            "on_event": client._on_event,
            "rand": client._random,
        }

    @staticmethod
    def _longpoll_target(
        stream: object, radio_id: int | None, category: str | None
    ) -> tuple[int | None, str | None]:
        """Fold the positional argument of ``longpoll`` into ``radio_id`` / ``category``.

        ``longpoll("abc123def")`` (a category, as the older official SDK took it) and
        ``longpoll(1)`` (a radio id) both work; keywords stay strict (``radio_id="1"`` is a
        ``TypeError``).
        """
        if stream is None:
            return radio_id, category
        if radio_id is not None or category is not None:
            raise TypeError("pass the stream once: positionally, or as radio_id= or category=")
        if isinstance(stream, str):
            return None, stream
        return stream, None  # type: ignore[return-value]  # validated as an int later

    def _resolve_category(self, radio_id: object, category: object) -> str:
        if (radio_id is None) == (category is None):
            raise TypeError("pass exactly one of radio_id= or category=")
        if category is not None:
            return validate_category(category)
        return self.derive_longpoll_category(validate_radio_id(radio_id))


def request_body(request: Any) -> tuple[Any, str | None]:
    """The raw body of a framework request, by duck typing: ``(body, None)``, or the result
    of the request's method that gives it and that method's name, for the shell to await or
    refuse when the result is awaitable."""
    # Starlette's Request is itself a Mapping (over the ASGI scope): plain mappings go last.
    if isinstance(request, (bytes, bytearray, memoryview, str, dict)):
        return request, None
    get_data = getattr(request, "get_data", None)
    if callable(get_data):  # Flask / Werkzeug
        return get_data(), "request.get_data()"
    body = getattr(request, "body", None)
    if isinstance(body, (bytes, bytearray, memoryview, str)):  # Django
        return body, None
    if callable(body):  # FastAPI / Starlette
        return body(), "request.body()"
    read = getattr(request, "read", None)
    if callable(read):  # aiohttp, file-likes
        return read(), "request.read()"
    if isinstance(request, Mapping):
        return request, None
    raise TypeError(
        "handle_callback needs bytes, str, a dict, or a request with get_data(), body(), .body "
        f"or read(); got {type(request).__name__}"
    )

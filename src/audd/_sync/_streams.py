"""`AudD.streams`: stream management, callback parsing and longpoll for the sync client."""

from __future__ import annotations

import builtins
import inspect
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audd._core._response import ApiResponse
from audd._core._stream_models import (
    Stream,
    StreamCallbackMatch,
    StreamCallbackNotification,
)
from audd._core._streams import (
    LONGPOLL_DEFAULT_TIMEOUT,
    build_add_stream,
    build_delete_stream,
    build_get_callback_url,
    build_get_streams,
    build_set_callback_url,
    build_set_stream_url,
    derive_longpoll_category,
    is_missing_callback_url,
    missing_callback_url_error,
    parse_callback,
    parse_callback_url,
    parse_streams,
    validate_category,
    validate_longpoll_timeout,
    validate_radio_id,
    validate_since_time,
)
from audd._sync._longpoll import LongpollSubscription
from audd.errors import AudDAPIError

if TYPE_CHECKING:
    from audd._sync._client import AudD

__all__ = ["Streams"]

CallbackResult = tuple[StreamCallbackMatch | None, StreamCallbackNotification | None]


class Streams:
    """Live streams: callback URL, stream management, callback parsing and longpoll."""

    def __init__(self, client: AudD) -> None:
        self._client = client
        self._callback_url_checked = False

    def _send(self, spec: Any) -> ApiResponse:
        return self._client._send(spec)

    # -- callback URL ----------------------------------------------------------------------

    def set_callback_url(
        self,
        url: str,
        return_metadata: builtins.list[str] | tuple[str, ...] | str | None = None,
        *,
        extra_parameters: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the account's callback URL, where AudD POSTs stream recognitions.

        Args:
            url: the receiver; ``https://audd.tech/empty/`` discards POSTs (longpoll-only).
            return_metadata: providers to include in each callback (``apple_music``,
                ``spotify``, ``deezer``, ``napster``, ``musicbrainz``), merged into the URL as
                ``?return=a,b``; the rest of the URL is sent exactly as given. Raises
                `AudDInvalidRequestError` if the URL already has a ``return`` parameter.
            extra_parameters: extra form fields; ``url`` always wins.
        """
        spec = build_set_callback_url(url, return_metadata, extra_parameters)
        self._send(spec)
        self._callback_url_checked = True

    def get_callback_url(self) -> str | None:
        """The account's callback URL, or ``None`` when none is set."""
        try:
            response = self._send(build_get_callback_url())
        except AudDAPIError as exc:
            if is_missing_callback_url(exc):
                return None
            raise
        return parse_callback_url(response.result)

    # -- stream management -----------------------------------------------------------------

    def add(
        self,
        url: str,
        radio_id: int,
        callbacks: str | None = None,
        extra_parameters: Mapping[str, Any] | None = None,
    ) -> None:
        """Start recognizing the stream at ``url`` under your integer ``radio_id``.

        Args:
            url: direct stream URL (HTTP MP3/AAC/OGG, Icecast/SHOUTcast, HLS, DASH) or a
                shortcut (``twitch:<channel>``, ``youtube:<id>``, ``youtube-ch:<id>``).
            radio_id: any integer you choose; your handle for the stream.
            callbacks: ``"before"`` to be called when a song starts (without
                ``play_length``) instead of when it ends.
            extra_parameters: extra form fields; typed arguments win.
        """
        self._send(build_add_stream(url, radio_id, callbacks, extra_parameters))

    def set_url(self, radio_id: int, url: str) -> None:
        """Point the stream ``radio_id`` at a new ``url``."""
        self._send(build_set_stream_url(radio_id, url))

    def delete(self, radio_id: int) -> None:
        """Stop and remove the stream ``radio_id``."""
        self._send(build_delete_stream(radio_id))

    def list(self) -> builtins.list[Stream]:
        """Every stream on the account (``radio_id``, ``url``, ``stream_running``,
        ``longpoll_category``)."""
        response = self._send(build_get_streams())
        if not isinstance(response.result, builtins.list):
            raise response.unexpected("a list of streams")
        return parse_streams(response.result)

    # -- callbacks -------------------------------------------------------------------------

    def parse_callback(self, body: bytes | bytearray | str | Mapping[str, Any]) -> CallbackResult:
        """Parse a callback POST body (bytes, str or dict); no I/O.

        Returns ``(match, None)`` for a recognition or ``(None, notification)`` for a stream
        lifecycle event. Raises `AudDSerializationError` (with the raw text) when the body is
        neither.
        """
        return parse_callback(body)

    def handle_callback(self, request: Any) -> CallbackResult:
        """Read the body off a framework request and parse it (see `parse_callback`).

        Accepts Flask (``request.get_data()``), Django (``request.body``), raw bytes, str, a
        dict, or any object whose ``.read()`` returns bytes or str. Async frameworks
        (FastAPI/Starlette, aiohttp) need ``AsyncAudD``'s ``handle_callback``.
        """
        return parse_callback(_read_request_body(request))

    # -- longpoll --------------------------------------------------------------------------

    def derive_longpoll_category(self, radio_id: int) -> str:
        """The opaque longpoll category of ``radio_id``; safe to ship to tokenless consumers."""
        return derive_longpoll_category(self._client._current_token(), radio_id)

    def longpoll(
        self,
        radio_id: int | None = None,
        *,
        category: str | None = None,
        timeout: int = LONGPOLL_DEFAULT_TIMEOUT,
        since_time: int | None = None,
        skip_callback_check: bool = False,
    ) -> LongpollSubscription:
        """Subscribe to a stream's events; use the handle as a context manager.

        Polling runs on a background thread from ``with`` entry until exit::

            with audd.streams.longpoll(radio_id=1, timeout=30) as poll:
                for match in poll.matches:
                    print(match.song.artist, "—", match.song.title)

        Args:
            radio_id: the stream to follow (its category is derived from your token), or
            category: a category from ``streams.list()`` / ``derive_longpoll_category``.
            timeout: seconds each poll is held open by the server, 1..90.
            since_time: server timestamp (ms) to replay events after.
            skip_callback_check: skip the one-time check that a callback URL is configured
                (without one, longpoll never receives events).
        """
        resolved = _resolve_category(self, radio_id, category)
        hold = validate_longpoll_timeout(timeout)
        since = validate_since_time(since_time)
        if not skip_callback_check and not self._callback_url_checked:
            self._preflight()
        client = self._client
        sleep = None if client._sleep is time.sleep else client._sleep
        return LongpollSubscription(
            category=resolved,
            base_url=client._base_url,
            timeout=hold,
            since_time=since,
            # An SDK-owned pool is shared with other calls, whose sockets a poll must not shut
            # down: the subscription opens its own client then. An injected one is used as is.
            httpx_client=None if client._owns_http else client._http,
            backoff_factor=client._backoff_factor,
            on_event=client._on_event,
            rand=client._random,
            sleep=sleep,
        )

    def _preflight(self) -> None:
        try:
            url = parse_callback_url(self._send(build_get_callback_url()).result)
        except AudDAPIError as exc:
            if is_missing_callback_url(exc):
                raise missing_callback_url_error(exc) from exc
            raise
        if url is None:
            raise missing_callback_url_error()
        self._callback_url_checked = True


def _resolve_category(streams: Streams, radio_id: object, category: object) -> str:
    if (radio_id is None) == (category is None):
        raise TypeError("pass exactly one of radio_id= or category=")
    if category is not None:
        return validate_category(category)
    return streams.derive_longpoll_category(validate_radio_id(radio_id))


def _sync_value(value: Any, what: str) -> Any:
    if inspect.isawaitable(value):
        close = getattr(value, "close", None)
        if callable(close):
            close()  # never awaited: close it so no "coroutine was never awaited" warning
        raise TypeError(
            f"{what} returned an awaitable: use AsyncAudD().streams.handle_callback for async "
            "frameworks (FastAPI, Starlette, aiohttp), or pass the body bytes"
        )
    return value


def _read_request_body(request: Any) -> Any:
    """The raw body of ``request``, by duck typing (no awaiting)."""
    # Starlette's Request is itself a Mapping (over the ASGI scope): plain mappings go last.
    if isinstance(request, (bytes, bytearray, memoryview, str, dict)):
        return request
    get_data = getattr(request, "get_data", None)
    if callable(get_data):  # Flask / Werkzeug
        return _sync_value(get_data(), "request.get_data()")
    body = getattr(request, "body", None)
    if isinstance(body, (bytes, bytearray, memoryview, str)):  # Django
        return body
    if callable(body):  # Starlette-style body(); async ones are refused above
        return _sync_value(body(), "request.body()")
    read = getattr(request, "read", None)
    if callable(read):  # file-likes
        return _sync_value(read(), "request.read()")
    if isinstance(request, Mapping):
        return request
    raise TypeError(
        "handle_callback needs bytes, str, a dict, or a request with get_data(), .body or "
        f".read(); got {type(request).__name__}"
    )

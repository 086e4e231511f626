"""`AsyncAudD.streams`: stream management, callback parsing and longpoll for the async client."""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audd._async._longpoll import AsyncLongpollSubscription
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
from audd.errors import AudDAPIError

if TYPE_CHECKING:
    from audd._async._client import AsyncAudD

__all__ = ["AsyncStreams"]

CallbackResult = tuple[StreamCallbackMatch | None, StreamCallbackNotification | None]


class AsyncStreams:
    """Live streams: callback URL, stream management, callback parsing and longpoll."""

    def __init__(self, client: AsyncAudD) -> None:
        self._client = client
        self._callback_url_checked = False

    async def _send(self, spec: Any) -> ApiResponse:
        return await self._client._send(spec)

    # -- callback URL ----------------------------------------------------------------------

    async def set_callback_url(
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
        await self._send(spec)
        self._callback_url_checked = True

    async def get_callback_url(self) -> str | None:
        """The account's callback URL, or ``None`` when none is set."""
        try:
            response = await self._send(build_get_callback_url())
        except AudDAPIError as exc:
            if is_missing_callback_url(exc):
                return None
            raise
        return parse_callback_url(response.result)

    # -- stream management -----------------------------------------------------------------

    async def add(
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
        await self._send(build_add_stream(url, radio_id, callbacks, extra_parameters))

    async def set_url(self, radio_id: int, url: str) -> None:
        """Point the stream ``radio_id`` at a new ``url``."""
        await self._send(build_set_stream_url(radio_id, url))

    async def delete(self, radio_id: int) -> None:
        """Stop and remove the stream ``radio_id``."""
        await self._send(build_delete_stream(radio_id))

    async def list(self) -> builtins.list[Stream]:
        """Every stream on the account (``radio_id``, ``url``, ``stream_running``,
        ``longpoll_category``)."""
        response = await self._send(build_get_streams())
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

    async def handle_callback(self, request: Any) -> CallbackResult:
        """Read the body off a framework request and parse it (see `parse_callback`).

        Accepts FastAPI/Starlette (``await request.body()``), aiohttp
        (``await request.read()``), Flask (``request.get_data()``), Django (``request.body``),
        raw bytes, str, a dict, or any object whose ``.read()`` returns bytes or str (awaited
        when it returns an awaitable).
        """
        return parse_callback(await _read_request_body(request))

    # -- longpoll --------------------------------------------------------------------------

    def derive_longpoll_category(self, radio_id: int) -> str:
        """The opaque longpoll category of ``radio_id``; safe to ship to tokenless consumers."""
        return derive_longpoll_category(self._client._current_token(), radio_id)

    async def longpoll(
        self,
        radio_id: int | None = None,
        *,
        category: str | None = None,
        timeout: int = LONGPOLL_DEFAULT_TIMEOUT,
        since_time: int | None = None,
        skip_callback_check: bool = False,
    ) -> AsyncLongpollSubscription:
        """Subscribe to a stream's events; use the handle as a context manager.

        Polling runs in an asyncio task from ``async with`` entry until exit::

            poll = await audd.streams.longpoll(radio_id=1, timeout=30)
            async with poll:
                async for match in poll.matches:
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
            await self._preflight()
        client = self._client
        return AsyncLongpollSubscription(
            category=resolved,
            base_url=client._base_url,
            timeout=hold,
            since_time=since,
            # Cancelling an async request closes only its own connection: the client's pool
            # (owned or injected) is safe to share.
            httpx_client=client._http,
            backoff_factor=client._backoff_factor,
            on_event=client._on_event,
            rand=client._random,
            sleep=client._sleep,
        )

    async def _preflight(self) -> None:
        try:
            url = parse_callback_url((await self._send(build_get_callback_url())).result)
        except AudDAPIError as exc:
            if is_missing_callback_url(exc):
                raise missing_callback_url_error(exc) from exc
            raise
        if url is None:
            raise missing_callback_url_error()
        self._callback_url_checked = True


def _resolve_category(streams: AsyncStreams, radio_id: object, category: object) -> str:
    if (radio_id is None) == (category is None):
        raise TypeError("pass exactly one of radio_id= or category=")
    if category is not None:
        return validate_category(category)
    return streams.derive_longpoll_category(validate_radio_id(radio_id))


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def _read_request_body(request: Any) -> Any:
    """The raw body of ``request``, by duck typing (awaiting methods that return awaitables)."""
    # Starlette's Request is itself a Mapping (over the ASGI scope): plain mappings go last.
    if isinstance(request, (bytes, bytearray, memoryview, str, dict)):
        return request
    get_data = getattr(request, "get_data", None)
    if callable(get_data):  # Flask / Werkzeug
        return await _resolve(get_data())
    body = getattr(request, "body", None)
    if isinstance(body, (bytes, bytearray, memoryview, str)):  # Django
        return body
    if callable(body):  # FastAPI / Starlette
        return await _resolve(body())
    read = getattr(request, "read", None)
    if callable(read):  # aiohttp, file-likes
        return await _resolve(read())
    if isinstance(request, Mapping):
        return request
    raise TypeError(
        "handle_callback needs bytes, str, a dict, or a request with get_data(), body(), .body "
        f"or read(); got {type(request).__name__}"
    )

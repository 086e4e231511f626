"""`AsyncAudD.streams`: stream management, callback parsing and longpoll for the async client."""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audd._async._longpoll import AsyncLongpollSubscription
from audd._core._stream_models import Stream
from audd._core._streams import (
    LONGPOLL_DEFAULT_TIMEOUT,
    build_add_stream,
    build_delete_stream,
    build_get_streams,
    build_set_callback_url,
    build_set_stream_url,
    decode_streams,
    parse_callback,
)
from audd._streams_base import CallbackResult, Flow, R, StreamsBase, request_body

if TYPE_CHECKING:
    from audd._async._client import AsyncAudD

__all__ = ["AsyncStreams"]


class AsyncStreams(StreamsBase["AsyncAudD"]):
    """Live streams: callback URL, stream management, callback parsing and longpoll."""

    def __init__(self, client: AsyncAudD) -> None:
        super().__init__(client)

    async def _drive(self, flow: Flow[R]) -> R:
        """Run a shared request flow over this client's `_send`."""
        try:
            spec = next(flow)
            while True:
                try:
                    response = await self._client._send(spec)
                except Exception as exc:
                    spec = flow.throw(exc)
                else:
                    spec = flow.send(response)
        except StopIteration as stop:
            result: R = stop.value
            return result

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
        await self._client._send(build_set_callback_url(url, return_metadata, extra_parameters))
        self._callback_url_checked = True

    async def get_callback_url(self) -> str | None:
        """The account's callback URL, or ``None`` when none is set."""
        return await self._drive(self._get_callback_url_flow())

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
        await self._client._send(build_add_stream(url, radio_id, callbacks, extra_parameters))

    async def set_url(self, radio_id: int, url: str) -> None:
        """Point the stream ``radio_id`` at a new ``url``."""
        await self._client._send(build_set_stream_url(radio_id, url))

    async def delete(self, radio_id: int) -> None:
        """Stop and remove the stream ``radio_id``."""
        await self._client._send(build_delete_stream(radio_id))

    async def list(self) -> builtins.list[Stream]:
        """Every stream on the account (``radio_id``, ``url``, ``stream_running``,
        ``longpoll_category``)."""
        return decode_streams(await self._client._send(build_get_streams()))

    # -- callbacks -------------------------------------------------------------------------

    async def handle_callback(self, request: Any) -> CallbackResult:
        """Read the body off a framework request and parse it (see `parse_callback`).

        Accepts Flask (``request.get_data()``), Django (``request.body``), raw bytes, str, a
        dict, or any object whose ``.read()`` returns bytes or str.
        Async frameworks (FastAPI/Starlette, aiohttp) work too: their body is awaited
        (``await request.body()``, ``await request.read()``).
        """
        body, method = request_body(request)
        if method is not None and inspect.isawaitable(body):
            body = await body
        return parse_callback(body)

    # -- longpoll --------------------------------------------------------------------------

    async def longpoll(
        self,
        stream: int | str | None = None,
        /,
        *,
        radio_id: int | None = None,
        category: str | None = None,
        timeout: int = LONGPOLL_DEFAULT_TIMEOUT,
        since_time: int | None = None,
        skip_callback_check: bool = False,
    ) -> AsyncLongpollSubscription:
        """Subscribe to a stream's events; use the handle as a context manager.

        Polling runs in an asyncio task from ``async with`` entry until exit::

            async with await audd.streams.longpoll(radio_id=1, timeout=30) as poll:
                async for match in poll.matches:
                    print(match.song.artist, "—", match.song.title)

        Args:
            stream: positionally, a ``radio_id`` (int) or a ``category`` (str), as the older
                official SDK's ``longpoll(category)``; or by keyword, exactly one of:
            radio_id: the stream to follow (its category is derived from your token), or
            category: a category from ``streams.list()`` / ``derive_longpoll_category``.
            timeout: seconds each poll is held open by the server, 1..90.
            since_time: server timestamp (ms) to replay events after.
            skip_callback_check: skip the one-time check that a callback URL is configured
                (without one, longpoll never receives events).
        """
        radio_id, category = self._longpoll_target(stream, radio_id, category)
        flow = self._longpoll_flow(radio_id, category, timeout, since_time, skip_callback_check)
        args = await self._drive(flow)
        client = self._client
        return AsyncLongpollSubscription(
            **args,
            # Cancelling an async request closes only its own connection: the client's pool
            # (owned or injected) is safe to share.
            httpx_client=client._http,
            sleep=client._sleep,
        )

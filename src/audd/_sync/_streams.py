"""`AudD.streams`: stream management, callback parsing and longpoll for the sync client."""

from __future__ import annotations

import builtins
import inspect
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

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
from audd._sync._longpoll import LongpollSubscription

if TYPE_CHECKING:
    from audd._sync._client import AudD

__all__ = ["Streams"]


class Streams(StreamsBase["AudD"]):
    """Live streams: callback URL, stream management, callback parsing and longpoll."""

    def __init__(self, client: AudD) -> None:
        super().__init__(client)

    def _drive(self, flow: Flow[R]) -> R:
        """Run a shared request flow over this client's `_send`."""
        try:
            spec = next(flow)
            while True:
                try:
                    response = self._client._send(spec)
                except Exception as exc:
                    spec = flow.throw(exc)
                else:
                    spec = flow.send(response)
        except StopIteration as stop:
            result: R = stop.value
            return result

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
        self._client._send(build_set_callback_url(url, return_metadata, extra_parameters))
        self._callback_url_checked = True

    def get_callback_url(self) -> str | None:
        """The account's callback URL, or ``None`` when none is set."""
        return self._drive(self._get_callback_url_flow())

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
        self._client._send(build_add_stream(url, radio_id, callbacks, extra_parameters))

    def set_url(self, radio_id: int, url: str) -> None:
        """Point the stream ``radio_id`` at a new ``url``."""
        self._client._send(build_set_stream_url(radio_id, url))

    def delete(self, radio_id: int) -> None:
        """Stop and remove the stream ``radio_id``."""
        self._client._send(build_delete_stream(radio_id))

    def list(self) -> builtins.list[Stream]:
        """Every stream on the account (``radio_id``, ``url``, ``stream_running``,
        ``longpoll_category``)."""
        return decode_streams(self._client._send(build_get_streams()))

    # -- callbacks -------------------------------------------------------------------------

    def handle_callback(self, request: Any) -> CallbackResult:
        """Read the body off a framework request and parse it (see `parse_callback`).

        Accepts Flask (``request.get_data()``), Django (``request.body``), raw bytes, str, a
        dict, or any object whose ``.read()`` returns bytes or str.
        Async frameworks (FastAPI/Starlette, aiohttp) need ``AsyncAudD``'s ``handle_callback``.
        """
        body, method = request_body(request)
        if method is not None and inspect.isawaitable(body):
            close = getattr(body, "close", None)
            if callable(close):
                close()  # never awaited: close it so no "coroutine was never awaited" warning
            raise TypeError(
                f"{method} returned an awaitable: use AsyncAudD().streams.handle_callback for "
                "async frameworks (FastAPI, Starlette, aiohttp), or pass the body bytes"
            )
        return parse_callback(body)

    # -- longpoll --------------------------------------------------------------------------

    def longpoll(
        self,
        stream: int | str | None = None,
        /,
        *,
        radio_id: int | None = None,
        category: str | None = None,
        timeout: int = LONGPOLL_DEFAULT_TIMEOUT,
        since_time: int | None = None,
        skip_callback_check: bool = False,
    ) -> LongpollSubscription:
        """Subscribe to a stream's events; use the handle as a context manager.

        Polling runs in a background thread from ``with`` entry until exit::

            with audd.streams.longpoll(radio_id=1, timeout=30) as poll:
                for match in poll.matches:
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
        args = self._drive(flow)
        client = self._client
        return LongpollSubscription(
            **args,
            # An SDK-owned pool is shared with other calls, whose sockets a poll must not shut
            # down: the subscription opens its own client then. An injected one is used as is.
            httpx_client=None if client._owns_http else client._http,
            sleep=None if client._sleep is time.sleep else client._sleep,
        )

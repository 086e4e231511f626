"""`AsyncAudD.custom_catalog` and `AsyncAudD.advanced`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audd._core._models import LyricsResult
from audd._core._request import build_custom_catalog_add, build_find_lyrics, build_raw_request
from audd._core._response import decode_lyrics, decode_null, decode_object
from audd._core._sources import AudioSource

if TYPE_CHECKING:
    from audd._async._client import AsyncAudD

__all__ = ["AsyncAdvanced", "AsyncCustomCatalog"]


class AsyncCustomCatalog:
    """Your account's private fingerprint catalog (requires special access: api@audd.io)."""

    def __init__(self, client: AsyncAudD) -> None:
        self._client = client

    async def add(self, audio_id: int, source: AudioSource) -> None:
        """Fingerprint ``source`` into slot ``audio_id`` (re-using an id re-fingerprints it).

        Not for recognition — use ``recognize()`` for that. Raises
        `AudDCustomCatalogAccessError` when the account has no custom-catalog access.
        """
        spec = build_custom_catalog_add(audio_id, source)
        decode_null(await self._client._send(spec))


class AsyncAdvanced:
    """Lyrics search and raw access to AudD endpoints without typed wrappers."""

    def __init__(self, client: AsyncAudD) -> None:
        self._client = client

    async def find_lyrics(self, q: str) -> list[LyricsResult]:
        """Search lyrics by free text; an empty list when nothing matches."""
        return decode_lyrics(await self._client._send(build_find_lyrics(q)))

    async def raw_request(
        self, method: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call ``/<method>/`` with ``params`` as form fields; the raw JSON body as a dict.

        Same retry policy and error mapping as typed calls; a body that is not a JSON object
        raises `AudDSerializationError`.
        """
        return decode_object(await self._client._send(build_raw_request(method, params)))

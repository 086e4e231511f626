"""`AudD.custom_catalog` and `AudD.advanced`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from audd._core._models import LyricsResult
from audd._core._request import build_custom_catalog_add, build_find_lyrics, build_raw_request
from audd._core._response import decode_lyrics, decode_null, decode_object
from audd._core._sources import AudioSource

if TYPE_CHECKING:
    from audd._sync._client import AudD

__all__ = ["Advanced", "CustomCatalog"]


class CustomCatalog:
    """Your account's private fingerprint catalog (requires special access: api@audd.io)."""

    def __init__(self, client: AudD) -> None:
        self._client = client

    def add(self, audio_id: int, source: AudioSource) -> None:
        """Fingerprint ``source`` into slot ``audio_id`` (re-using an id re-fingerprints it).

        Not for recognition — use ``recognize()`` for that. Raises
        `AudDCustomCatalogAccessError` when the account has no custom-catalog access.
        """
        spec = build_custom_catalog_add(audio_id, source)
        decode_null(self._client._send(spec))


class Advanced:
    """Lyrics search and raw access to AudD endpoints without typed wrappers."""

    def __init__(self, client: AudD) -> None:
        self._client = client

    def find_lyrics(self, q: str) -> list[LyricsResult]:
        """Search lyrics by free text; an empty list when nothing matches."""
        return decode_lyrics(self._client._send(build_find_lyrics(q)))

    def raw_request(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Call ``/<method>/`` with ``params`` as form fields; the raw JSON body as a dict.

        Same retry policy and error mapping as typed calls; a body that is not a JSON object
        raises `AudDSerializationError`.
        """
        return decode_object(self._client._send(build_raw_request(method, params)))

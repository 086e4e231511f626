"""Result models of the recognition endpoints: recognize, enterprise and lyrics search."""

from __future__ import annotations

from pydantic import computed_field

from audd._core._modelbase import AudDModel, SongMetadata

__all__ = ["EnterpriseMatch", "LyricsResult", "RecognitionResult", "parse_clock"]


def parse_clock(value: object) -> float | None:
    """Seconds from ``"MM:SS"`` or ``"HH:MM:SS"`` (also plain numbers); ``None`` if unparseable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str) or not value.strip():
        return None
    parts = value.strip().split(":")
    if len(parts) > 3:
        return None
    total = 0.0
    try:
        for part in parts:
            total = total * 60 + float(part)
    except ValueError:
        return None
    return total


class RecognitionResult(SongMetadata):
    """A match from ``recognize()``: a public-catalog song, or a custom-catalog ``audio_id``."""

    timecode: str | None = None
    """Position in the recognized song (``MM:SS``) where the submitted fragment plays."""
    audio_id: int | None = None
    """Your custom-catalog id, when the match came from your private catalog."""

    @property
    def is_custom_match(self) -> bool:
        """True when the match came from your custom catalog (``audio_id`` is set)."""
        return self.audio_id is not None

    @property
    def is_public_match(self) -> bool:
        """True when the match came from the public catalog (song fields, no ``audio_id``)."""
        return self.audio_id is None and (self.artist is not None or self.title is not None)


class EnterpriseMatch(SongMetadata):
    """One match inside one 12-second chunk of a file sent to ``recognize_enterprise()``."""

    score: int | None = None
    """Confidence 0..100."""
    timecode: str | None = None
    """Position in the matched song (``MM:SS``) where the fragment plays."""
    start_offset: int | None = None
    """Milliseconds into the chunk where the match begins (with ``accurate_offsets``)."""
    end_offset: int | None = None
    """Milliseconds into the chunk where the match ends (with ``accurate_offsets``)."""
    chunk_offset: str | None = None
    """Where this match's chunk starts in the submitted file (``MM:SS`` or ``HH:MM:SS``)."""

    @property
    def chunk_offset_seconds(self) -> float | None:
        """``chunk_offset`` in seconds."""
        return parse_clock(self.chunk_offset)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def start_seconds(self) -> float | None:
        """File-absolute start of the match: chunk start + ``start_offset``; ``None`` if unknown."""
        chunk = self.chunk_offset_seconds
        if chunk is None or self.start_offset is None:
            return None
        return chunk + self.start_offset / 1000.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def end_seconds(self) -> float | None:
        """File-absolute end of the match: chunk start + ``end_offset``; ``None`` if unknown."""
        chunk = self.chunk_offset_seconds
        if chunk is None or self.end_offset is None:
            return None
        return chunk + self.end_offset / 1000.0


class LyricsResult(AudDModel):
    """One hit of ``advanced.find_lyrics()``."""

    artist: str | None = None
    """Artist name."""
    title: str | None = None
    """Song title."""
    lyrics: str | None = None
    """Lyrics text."""
    song_id: int | None = None
    """Lyrics database song id."""
    media: str | None = None
    """JSON-encoded list of media links, as the API sends it."""
    full_title: str | None = None
    """``Title by Artist``."""
    artist_id: int | None = None
    """Lyrics database artist id."""
    song_link: str | None = None
    """AudD song page."""

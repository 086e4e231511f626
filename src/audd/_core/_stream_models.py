"""Models of the live-stream surface: configured streams, callback matches and notifications.

Callback and longpoll bodies share these shapes; ``_core._streams`` turns raw bodies into them.
Pure data, no I/O.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from audd._core._modelbase import AudDModel, SongMetadata

__all__ = [
    "Stream",
    "StreamCallbackMatch",
    "StreamCallbackNotification",
    "StreamCallbackSong",
]


class Stream(AudDModel):
    """One stream configured on the account, as ``streams.list()`` returns it."""

    radio_id: int | None = None
    """Caller-chosen integer identifying the stream."""
    url: str | None = None
    """Stream URL or shortcut (``twitch:<channel>``, ``youtube:<id>``, ``youtube-ch:<id>``)."""
    stream_running: bool | None = None
    """Whether AudD is currently ingesting the stream."""
    longpoll_category: str | None = None
    """9-character longpoll category of the stream; safe to share with tokenless consumers."""


class StreamCallbackSong(SongMetadata):
    """One song of a stream recognition: the top match or an alternative candidate.

    Carries the same metadata and streaming helpers as a ``RecognitionResult``:
    ``thumbnail_url``, ``streaming_url(provider)``, ``streaming_urls()``, ``preview_url()``,
    ``pretty_print()``.
    """

    score: int | None = None
    """Match confidence, 0..100."""
    timecode: str | None = None
    """Position of the match inside the song (``MM:SS``), when the server reports it."""


class StreamCallbackMatch(AudDModel):
    """A recognition on a live stream, from a callback POST or a longpoll event."""

    radio_id: int | None = None
    """The stream's ``radio_id``."""
    timestamp: str | None = None
    """When the song was recognized, ``"YYYY-MM-DD HH:MM:SS"`` UTC."""
    play_length: int | None = None
    """Seconds the song played; ``None`` for streams added with ``callbacks="before"``."""
    song: StreamCallbackSong
    """The top match."""
    alternatives: list[StreamCallbackSong] = Field(default_factory=list)
    """Rare extra candidates; their artist/title may differ from the top match."""
    raw_response: dict[str, Any] = Field(default_factory=dict, repr=False)
    """The full unparsed body."""


class StreamCallbackNotification(AudDModel):
    """A stream lifecycle event: started, stopped, can't connect (650), no music (651)..."""

    radio_id: int | None = None
    """The stream's ``radio_id``."""
    stream_running: bool | None = None
    """Whether the stream is running after this event."""
    notification_code: int | None = None
    """0 healthy, 650 can't connect to the stream, 651 no music detected."""
    notification_message: str | None = None
    """Human-readable description of the event."""
    time: int | None = None
    """Unix time (seconds) of the event."""
    raw_response: dict[str, Any] = Field(default_factory=dict, repr=False)
    """The full unparsed body."""

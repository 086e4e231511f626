"""Every model the SDK returns. All accept unknown fields (``model_extra``) and coerce leniently."""

from __future__ import annotations

from audd._core._modelbase import (
    AppleMusic,
    AudDModel,
    Deezer,
    MusicBrainzEntry,
    Napster,
    Spotify,
)
from audd._core._models import EnterpriseMatch, LyricsResult, RecognitionResult
from audd._core._stream_models import (
    Stream,
    StreamCallbackMatch,
    StreamCallbackNotification,
    StreamCallbackSong,
)

__all__ = [
    "AppleMusic",
    "AudDModel",
    "Deezer",
    "EnterpriseMatch",
    "LyricsResult",
    "MusicBrainzEntry",
    "Napster",
    "RecognitionResult",
    "Spotify",
    "Stream",
    "StreamCallbackMatch",
    "StreamCallbackNotification",
    "StreamCallbackSong",
]

"""Every model the SDK returns. All accept unknown fields (``model_extra``) and coerce leniently.

``pretty_print()`` prints (as the older official client did) through the writer installed
here: the models themselves live in the sans-I/O ``_core``.
"""

from __future__ import annotations

from typing import Any, Literal

from audd._core._modelbase import (
    AppleMusic,
    AudDModel,
    Deezer,
    MusicBrainzEntry,
    Napster,
    Spotify,
    set_pretty_writer,
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
    "AppleMusicMetadata",
    "AudDModel",
    "Deezer",
    "DeezerMetadata",
    "EnterpriseMatch",
    "LyricsResult",
    "MusicBrainzEntry",
    "Napster",
    "NapsterMetadata",
    "RecognitionResult",
    "Spotify",
    "SpotifyMetadata",
    "Stream",
    "StreamCallbackMatch",
    "StreamCallbackNotification",
    "StreamCallbackSong",
    "StreamingProvider",
]

AppleMusicMetadata = AppleMusic
"""Older official SDK name of `AppleMusic`."""
SpotifyMetadata = Spotify
"""Older official SDK name of `Spotify`."""
DeezerMetadata = Deezer
"""Older official SDK name of `Deezer`."""
NapsterMetadata = Napster
"""Older official SDK name of `Napster`."""
StreamingProvider = Literal["apple_music", "spotify", "deezer", "napster", "youtube"]
"""Provider names ``streaming_url()`` accepts (the older official SDK's type alias)."""


def _print_line(text: str, stream: Any) -> None:
    """`pretty_print` output: ``text`` and a newline to ``stream`` (``None``: ``sys.stdout``)."""
    print(text, file=stream, flush=True)


set_pretty_writer(_print_line)

"""audd — the Python SDK for the AudD music-recognition API (sync `AudD`, async `AsyncAudD`).

Recognize clips and long files, monitor live streams, handle typed errors. Documentation:
https://docs.audd.io · tokens: https://dashboard.audd.io
"""

from __future__ import annotations

from audd._async._client import AsyncAudD
from audd._async._longpoll import AsyncLongpollConsumer
from audd._sync._client import AudD
from audd._sync._longpoll import LongpollConsumer
from audd._version import __version__
from audd.errors import (
    AudDAPIError,
    AudDAuthenticationError,
    AudDBlockedError,
    AudDConnectionError,
    AudDCustomCatalogAccessError,
    AudDError,
    AudDInvalidAudioError,
    AudDInvalidRequestError,
    AudDNeedsUpdateError,
    AudDNotReleasedError,
    AudDQuotaError,
    AudDRateLimitError,
    AudDSerializationError,
    AudDServerError,
    AudDStreamLimitError,
    AudDSubscriptionError,
    AudDTimeoutError,
)
from audd.events import AudDEvent
from audd.models import (
    AppleMusic,
    AppleMusicMetadata,
    Deezer,
    DeezerMetadata,
    EnterpriseMatch,
    LyricsResult,
    MusicBrainzEntry,
    Napster,
    NapsterMetadata,
    RecognitionResult,
    Spotify,
    SpotifyMetadata,
    Stream,
    StreamCallbackMatch,
    StreamCallbackNotification,
    StreamCallbackSong,
    StreamingProvider,
)

__all__ = [
    "AppleMusic",
    "AppleMusicMetadata",
    "AsyncAudD",
    "AsyncLongpollConsumer",
    "AudD",
    "AudDAPIError",
    "AudDAuthenticationError",
    "AudDBlockedError",
    "AudDConnectionError",
    "AudDCustomCatalogAccessError",
    "AudDError",
    "AudDEvent",
    "AudDInvalidAudioError",
    "AudDInvalidRequestError",
    "AudDNeedsUpdateError",
    "AudDNotReleasedError",
    "AudDQuotaError",
    "AudDRateLimitError",
    "AudDSerializationError",
    "AudDServerError",
    "AudDStreamLimitError",
    "AudDSubscriptionError",
    "AudDTimeoutError",
    "Deezer",
    "DeezerMetadata",
    "EnterpriseMatch",
    "LongpollConsumer",
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
    "__version__",
]

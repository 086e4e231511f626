"""Audio fingerprinting engine: decoding, landmark fingerprints and the on-disk index.

The names below are the contract the API, stream workers and CLI code against (see
docs/ARCHITECTURE.md, section "Engine").
"""

from __future__ import annotations

from ._audio import AudioDecodeError, decode_audio, iter_audio, read_tags
from ._fingerprint import Fingerprint, fingerprint
from ._index import DEFAULT_MIN_SCORE, Index, Match
from ._params import SAMPLE_RATE

__all__ = [
    "DEFAULT_MIN_SCORE",
    "SAMPLE_RATE",
    "AudioDecodeError",
    "Fingerprint",
    "Index",
    "Match",
    "decode_audio",
    "fingerprint",
    "iter_audio",
    "read_tags",
]

"""Analysis constants shared by the fingerprinter and the index.

Changing any of these changes the hashes: an existing index must then be rebuilt.
"""

from __future__ import annotations

# 11,025 Hz keeps everything up to 5.5 kHz, where music peaks survive noise and lossy codecs.
SAMPLE_RATE = 11025
N_FFT = 1024  # 93 ms window: 10.8 Hz bins resolve tonal partials well above a white-noise floor
HOP = 256  # 23.2 ms per frame: the unit of every time in a fingerprint
FRAME_SECONDS = HOP / SAMPLE_RATE
MIN_BIN = 3  # ~32 Hz: below is rumble and DC
MAX_BIN = 480  # ~5.2 kHz

# Peak picking: a peak is the maximum of its (±PEAK_DT frames, ±PEAK_DF bins) neighbourhood,
# stands out from its local background, and only the strongest ones in each block of
# BLOCK_FRAMES frames are kept.
PEAK_DT = 3
PEAK_DF = 8
# Rank by level: the loudest partials are the ones that survive added noise. (False ranks by
# contrast with the local background, which favours quiet isolated partials that noise hides.)
RANK_BY_LEVEL = True
BLOCK_FRAMES = 16  # 0.37 s
REF_PEAKS_PER_BLOCK = 6  # ~16 peaks/s on references
QUERY_PEAKS_PER_BLOCK = 10  # denser on queries, so the reference's pairs are found in them

# Pairing: each anchor pairs with peaks DT_MIN..DT_MAX frames later and within ±DF_MAX bins.
DT_MIN = 1
DT_MAX = 63
DF_MAX = 100
REF_FANOUT = 6
QUERY_FANOUT = 12

# Queries are analysed at several sub-hop shifts so a frame grid matching the reference's exists.
QUERY_SHIFTS = 2

# Hash layout (23 bits used of 32): anchor bin << F1_SHIFT | (Δf + DF_MAX) << DT_BITS | Δt.
DT_BITS = 6
F1_SHIFT = 14
HASH_SPACE = 1 << 23

# A query hash with more postings than max(MIN, RATIO × average postings per hash value) is
# skipped: it is common to many songs, so it is slow to look up and says little.
HASH_FREQ_CAP_MIN = 64
HASH_FREQ_CAP_RATIO = 150

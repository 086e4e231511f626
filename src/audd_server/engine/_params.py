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
# then only the most salient ones in each block of BLOCK_FRAMES frames are kept.
PEAK_DT = 3
PEAK_DF = 8
RANK_BY_LEVEL = True
BLOCK_FRAMES = 16  # 0.37 s
REF_PEAKS_PER_BLOCK = 6  # ~16 peaks/s on references
QUERY_PEAKS_PER_BLOCK = 12  # denser on queries, so the reference's pairs are found in them

# Pairing: each anchor pairs with peaks DT_MIN..DT_MAX frames later and within ±DF_MAX bins.
DT_MIN = 1
DT_MAX = 63
DF_MAX = 100
REF_FANOUT = 6
QUERY_FANOUT = 40

# Queries are analysed at several sub-hop shifts so a frame grid matching the reference's exists.
QUERY_SHIFTS = 4

# Query hashes with more postings than this in the whole index are skipped.
HASH_FREQ_CAP = 200

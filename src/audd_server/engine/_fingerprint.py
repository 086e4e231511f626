"""Landmark fingerprints: log-spectrogram peaks paired into (f1, Δf, Δt) hashes.

Everything is vectorised over frames and peaks. Long inputs are analysed in overlapping chunks
so memory stays bounded; peak selection is aligned to absolute blocks, so chunking does not
change the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import fft as sfft
from scipy import ndimage

from . import _params as P

__all__ = ["Fingerprint", "Peaks", "find_peaks", "fingerprint", "pair_peaks", "query_fingerprints"]

_WINDOW = np.hanning(P.N_FFT + 2)[1:-1].astype(np.float32)
_CHUNK_BLOCKS = 128  # ~47 s of frames per chunk
_MARGIN = 32  # frames of context either side of a chunk (> filter half-widths)
_CONTRAST_DT = 21  # frames: the local background level is averaged over ~0.5 s ...
_CONTRAST_DF = 41  # ... and ~440 Hz; a peak must stand _MIN_CONTRAST above it
_MIN_CONTRAST = np.float32(0.5)  # natural-log units: ~4.3 dB
_FLOOR = np.float32(np.log(1e-4))  # ~128 dB below a full-scale sine: digital silence has no peaks


@dataclass(frozen=True)
class Peaks:
    times: npt.NDArray[np.int32]  # frame index
    freqs: npt.NDArray[np.int32]  # FFT bin


@dataclass(frozen=True)
class Fingerprint:
    """Hashes of one signal, sorted by time; `times` are frame indices (HOP samples each)."""

    hashes: npt.NDArray[np.uint32]
    times: npt.NDArray[np.int32]

    def __len__(self) -> int:
        return len(self.hashes)


def _log_spectrogram(x: npt.NDArray[np.float32], n_frames: int) -> npt.NDArray[np.float32]:
    need = (n_frames - 1) * P.HOP + P.N_FFT
    if len(x) < need:
        x = np.concatenate([x, np.zeros(need - len(x), dtype=np.float32)])
    frames = np.lib.stride_tricks.sliding_window_view(x[:need], P.N_FFT)[:: P.HOP]
    spec = sfft.rfft(frames * _WINDOW, axis=1)[:, P.MIN_BIN : P.MAX_BIN]
    mag = np.abs(spec).astype(np.float32)
    out: npt.NDArray[np.float32] = np.log(np.maximum(mag, np.float32(1e-9)))
    return out


def _max_filter(a: npt.NDArray[np.float32], dt: int, df: int) -> npt.NDArray[np.float32]:
    """Maximum over a (2dt+1) × (2df+1) neighbourhood, edges replicated.

    Running maxima of shifted views: ~3x faster than scipy.ndimage.maximum_filter here.
    """
    n_t, n_f = a.shape
    p = np.pad(a, ((dt, dt), (df, df)), mode="edge")
    m = p[:, :n_f].copy()
    for k in range(1, 2 * df + 1):
        np.maximum(m, p[:, k : k + n_f], out=m)
    out: npt.NDArray[np.float32] = m[:n_t].copy()
    for k in range(1, 2 * dt + 1):
        np.maximum(out, m[k : k + n_t], out=out)
    return out


def _chunk_peaks(
    x: npt.NDArray[np.float32], f0: int, f1: int, n_frames: int, per_block: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """Peaks whose frame lies in [f0, f1), computed with _MARGIN frames of context."""
    a = max(0, f0 - _MARGIN)
    b = min(n_frames, f1 + _MARGIN)
    seg = x[a * P.HOP : (b - 1) * P.HOP + P.N_FFT]
    spec = _log_spectrogram(seg, b - a)
    local_max = _max_filter(spec, P.PEAK_DT, P.PEAK_DF)
    background = ndimage.uniform_filter(spec, size=(_CONTRAST_DT, _CONTRAST_DF), mode="nearest")
    salience = spec - background
    is_peak = (spec == local_max) & (spec > _FLOOR) & (salience > _MIN_CONTRAST)
    is_peak[: f0 - a] = False
    is_peak[f1 - a :] = False
    t, f = np.nonzero(is_peak)
    if len(t) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    sal = spec[t, f] if P.RANK_BY_LEVEL else salience[t, f]
    t = t + a
    block = t // P.BLOCK_FRAMES
    # Rank peaks inside each block and keep the first `per_block`.
    order = np.lexsort((-sal, block))
    block_sorted = block[order]
    starts = np.searchsorted(block_sorted, block_sorted, side="left")
    rank = np.arange(len(order)) - starts
    keep = order[rank < per_block]
    keep.sort()
    return t[keep].astype(np.int32), (f[keep] + P.MIN_BIN).astype(np.int32)


def find_peaks(samples: npt.NDArray[np.float32], per_block: int) -> Peaks:
    """Constellation of a signal: at most `per_block` peaks per BLOCK_FRAMES frames."""
    x = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    if len(x) < P.N_FFT:
        return Peaks(np.zeros(0, np.int32), np.zeros(0, np.int32))
    n_frames = 1 + (len(x) - P.N_FFT) // P.HOP
    chunk = _CHUNK_BLOCKS * P.BLOCK_FRAMES
    ts: list[npt.NDArray[np.int32]] = []
    fs: list[npt.NDArray[np.int32]] = []
    for f0 in range(0, n_frames, chunk):
        t, f = _chunk_peaks(x, f0, min(n_frames, f0 + chunk), n_frames, per_block)
        ts.append(t)
        fs.append(f)
    t_all = np.concatenate(ts)
    f_all = np.concatenate(fs)
    order = np.lexsort((f_all, t_all))
    return Peaks(t_all[order], f_all[order])


def pair_peaks(peaks: Peaks, fanout: int) -> Fingerprint:
    """Pair each anchor with up to `fanout` nearest-in-time peaks of its target zone."""
    t = peaks.times.astype(np.int64)
    f = peaks.freqs.astype(np.int64)
    n = len(t)
    if n < 2:
        return Fingerprint(np.zeros(0, np.uint32), np.zeros(0, np.int32))
    lo = np.searchsorted(t, t + P.DT_MIN, side="left")
    hi = np.searchsorted(t, t + P.DT_MAX, side="right")
    width = int((hi - lo).max()) if n else 0
    if width == 0:
        return Fingerprint(np.zeros(0, np.uint32), np.zeros(0, np.int32))
    cand = lo[:, None] + np.arange(width)[None, :]
    valid = cand < hi[:, None]
    cand = np.minimum(cand, n - 1)
    df = f[cand] - f[:, None]
    valid &= np.abs(df) <= P.DF_MAX
    # Keep the first `fanout` valid targets of each anchor (candidates are in time order).
    valid &= np.cumsum(valid, axis=1) <= fanout
    ai, ci = np.nonzero(valid)
    tj = cand[ai, ci]
    dt = t[tj] - t[ai]
    hashes = (f[ai] << P.F1_SHIFT) | ((f[tj] - f[ai] + P.DF_MAX) << P.DT_BITS) | dt
    return Fingerprint(hashes.astype(np.uint32), t[ai].astype(np.int32))


def fingerprint(samples: npt.NDArray[np.float32]) -> Fingerprint:
    """Reference fingerprint of mono float32 PCM at SAMPLE_RATE (what `Index.add` stores)."""
    return pair_peaks(find_peaks(samples, P.REF_PEAKS_PER_BLOCK), P.REF_FANOUT)


def query_fingerprints(
    samples: npt.NDArray[np.float32],
) -> list[tuple[int, Fingerprint]]:
    """Dense fingerprints of a query at QUERY_SHIFTS sub-hop shifts: [(shift in samples, fp)]."""
    x = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    out = []
    for k in range(P.QUERY_SHIFTS):
        shift = k * P.HOP // P.QUERY_SHIFTS
        peaks = find_peaks(x[shift:], P.QUERY_PEAKS_PER_BLOCK)
        out.append((shift, pair_peaks(peaks, P.QUERY_FANOUT)))
    return out

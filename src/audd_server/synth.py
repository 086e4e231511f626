"""Deterministic synthetic music (and non-music) for tests, benchmarks and the demo.

Each seed is a different "song" built from a shared vocabulary (scales, progressions, timbres,
drum kits), so songs are distinct yet make realistic confusers for each other. Also encodes
audio to WAV/MP3/FLAC/OGG/M4A with PyAV, with metadata tags, to files or to bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

__all__ = ["encode_audio", "synth_noise_like", "synth_track", "write_audio"]

FloatArray = npt.NDArray[np.float32]

_SCALES: tuple[tuple[int, ...], ...] = (
    (0, 2, 4, 5, 7, 9, 11),  # major
    (0, 2, 3, 5, 7, 8, 10),  # natural minor
    (0, 2, 3, 5, 7, 9, 10),  # dorian
    (0, 2, 4, 5, 7, 9, 10),  # mixolydian
    (0, 2, 3, 5, 7, 8, 11),  # harmonic minor
    (0, 2, 4, 7, 9, 12, 14),  # major pentatonic (spread over seven slots)
)
# Scale-degree progressions in common use: shared between songs on purpose.
_PROGRESSIONS: tuple[tuple[int, ...], ...] = (
    (0, 4, 5, 3),
    (0, 5, 3, 4),
    (5, 3, 0, 4),
    (0, 3, 4, 4),
    (1, 4, 0, 0),
    (0, 2, 3, 4),
    (0, 6, 5, 4),
    (3, 4, 2, 5),
)
_TIMBRES = ("bright", "soft", "organ", "pluck", "fm_bell", "fm_brass", "square")


@dataclass(frozen=True)
class _Note:
    onset: float  # seconds
    duration: float  # seconds
    midi: float
    velocity: float
    timbre: str


def _midi_hz(midi: float) -> float:
    return float(440.0 * 2.0 ** ((midi - 69.0) / 12.0))


def _render_tone(timbre: str, freq: float, n: int, sr: int, brightness: float) -> FloatArray:
    """One note of `n` samples. Templates are cached by the caller, so clarity beats speed."""
    t = np.arange(n, dtype=np.float64) / sr
    dur = n / sr
    attack = np.minimum(1.0, t / 0.008)
    release = np.minimum(1.0, (dur - t) / 0.03).clip(0.0, 1.0)
    nyq = 0.45 * sr
    if timbre in ("fm_bell", "fm_brass"):
        ratio, depth, decay = (3.5, 2.5, 3.0) if timbre == "fm_bell" else (1.0, 3.0, 0.8)
        index = depth * brightness * np.exp(-t * decay * 2.0)
        env = np.exp(-t * decay) if timbre == "fm_bell" else np.minimum(1.0, t / 0.05)
        if freq * (ratio * 4 + 1) > nyq:  # keep FM sidebands below Nyquist
            index *= 0.2
        y = np.sin(2 * np.pi * freq * t + index * np.sin(2 * np.pi * freq * ratio * t))
        fm: FloatArray = (y * env * attack * release).astype(np.float32)
        return fm
    n_harm = max(1, min(12, int(nyq // freq)))
    h = np.arange(1, n_harm + 1, dtype=np.float64)[:, None]
    if timbre == "bright":
        amps, decays = 1.0 / h**0.9, 1.5 + 0.5 * h
    elif timbre == "soft":
        amps, decays = 1.0 / h**2.2, 0.8 + 0.2 * h
    elif timbre == "organ":
        amps = np.where(np.isin(h, (1, 2, 3, 4, 6, 8)), 0.6 / np.sqrt(h), 0.0)
        decays = np.zeros_like(h)
    elif timbre == "square":
        amps, decays = np.where(h % 2 == 1, 1.0 / h, 0.08 / h), 0.6 + 0.1 * h
    else:  # pluck: string-like, upper partials die first, slightly inharmonic
        amps, decays = 1.0 / h**1.1, 2.0 + 1.6 * h
        h = h * np.sqrt(1.0 + 0.0004 * h * h)
    amps = amps * brightness ** (h - 1)
    partials = amps * np.exp(-decays * t) * np.sin(2 * np.pi * freq * h * t + h)
    y = partials.sum(axis=0)
    norm = max(1.0, float(np.abs(amps).sum()) * 0.5)
    tone: FloatArray = (y * attack * release / norm).astype(np.float32)
    return tone


def _drum_kit(rng: np.random.Generator, sr: int) -> dict[str, list[FloatArray]]:
    """A per-song kit: a few variants of each drum so repeated hits are not bit-identical."""
    kit: dict[str, list[FloatArray]] = {"kick": [], "snare": [], "hat": []}
    k_hi, k_lo = rng.uniform(90, 160), rng.uniform(38, 60)
    s_tone, s_len = rng.uniform(150, 260), rng.uniform(0.12, 0.25)
    h_len = rng.uniform(0.03, 0.09)
    for _ in range(4):
        n = int(0.35 * sr)
        t = np.arange(n) / sr
        f = k_lo + (k_hi - k_lo) * np.exp(-t * rng.uniform(25, 45))
        phase = 2 * np.pi * np.cumsum(f) / sr
        kick = np.sin(phase) * np.exp(-t * rng.uniform(7, 12))
        kit["kick"].append(kick.astype(np.float32))
        n = int(s_len * sr)
        t = np.arange(n) / sr
        noise = rng.standard_normal(n)
        noise = noise - 0.6 * np.concatenate(([0.0], noise[:-1]))
        snare = (0.5 * noise + np.sin(2 * np.pi * s_tone * t)) * np.exp(-t * 4.0 / s_len)
        kit["snare"].append((0.6 * snare).astype(np.float32))
        n = int(h_len * sr)
        t = np.arange(n) / sr
        noise = np.diff(rng.standard_normal(n + 1))
        kit["hat"].append((0.25 * noise * np.exp(-t * 5.0 / h_len)).astype(np.float32))
    return kit


def _compose(
    rng: np.random.Generator, duration: float
) -> tuple[list[_Note], list[tuple[float, str, float]]]:
    """Notes and drum hits (onset, drum, velocity) of one song."""
    bpm = float(rng.uniform(72, 168))
    beat = 60.0 / bpm
    bar = 4 * beat
    root = 36 + int(rng.integers(0, 12))
    scale = _SCALES[int(rng.integers(len(_SCALES)))]
    progs = [_PROGRESSIONS[int(i)] for i in rng.choice(len(_PROGRESSIONS), 2, replace=False)]
    timbres = rng.choice(len(_TIMBRES), 4, replace=False)
    mel_t, chord_t, bass_t, counter_t = (_TIMBRES[int(i)] for i in timbres)
    mel_octave = 24 + 12 * int(rng.integers(0, 2))
    swing = float(rng.uniform(0.0, 0.12))
    hat_div = int(rng.choice([2, 4]))
    density = float(rng.uniform(0.5, 0.9))

    def pitch(degree: int, octave: int) -> int:
        q, r = divmod(degree, 7)
        return root + 12 * (octave + q) + scale[r]

    notes: list[_Note] = []
    drums: list[tuple[float, str, float]] = []
    n_bars = int(np.ceil(duration / bar)) + 1
    section = 0
    mel_degree = int(rng.integers(0, 7))
    for b in range(n_bars):
        if b % 8 == 0:  # sections of eight bars alternate between two progressions
            section = int(rng.integers(0, 2))
        prog = progs[section]
        t0 = b * bar
        for half in range(2):
            degree = prog[(2 * (b % 2) + half) % len(prog)]
            tc = t0 + half * 2 * beat
            for k in (0, 2, 4):
                notes.append(_Note(tc, 2 * beat * 0.95, pitch(degree + k, 1 + 1), 0.22, chord_t))
            for s in range(4):  # bass: root/fifth pattern in eighths
                deg = degree + (4 if s == 2 else 0)
                vel = 0.55 if s % 2 == 0 else 0.35
                notes.append(_Note(tc + s * beat / 2, beat * 0.45, pitch(deg, 0), vel, bass_t))
        for e in range(8):  # melody: random walk on the scale, per-bar fresh rhythm
            if rng.random() > density:
                continue
            mel_degree = int(np.clip(mel_degree + rng.integers(-2, 3), -3, 10))
            onset = t0 + e * beat / 2 + (swing * beat if e % 2 else 0.0)
            length = beat / 2 * float(rng.choice([0.9, 1.8, 0.6]))
            vel = float(rng.uniform(0.35, 0.6))
            notes.append(_Note(onset, length, pitch(mel_degree, 0) + mel_octave, vel, mel_t))
        if b % 2 == 1:  # sparse counter-melody
            for e in (0, 3, 6):
                deg = prog[b % len(prog)] + int(rng.choice([2, 4, 7]))
                notes.append(_Note(t0 + e * beat / 2, beat, pitch(deg, 2), 0.2, counter_t))
        for q in range(4):
            tq = t0 + q * beat
            if q in (0, 2) or rng.random() < 0.15:
                drums.append((tq, "kick", float(rng.uniform(0.7, 1.0))))
            if q in (1, 3):
                drums.append((tq, "snare", float(rng.uniform(0.6, 0.9))))
            for h in range(hat_div):
                drums.append((tq + h * beat / hat_div, "hat", float(rng.uniform(0.3, 0.7))))
    # Humanised timing: a few ms of jitter keeps repeated bars from being sample-identical.
    jitter = rng.normal(0.0, 0.004, len(notes))
    notes = [
        _Note(max(0.0, n.onset + float(j)), n.duration, n.midi, n.velocity, n.timbre)
        for n, j in zip(notes, jitter, strict=False)
    ]
    return notes, drums


def synth_track(seed: int, duration: float, sample_rate: int = 44100) -> FloatArray:
    """Deterministic synthetic song: float32 mono in [-1, 1], `duration` seconds long."""
    rng = np.random.default_rng(seed)
    n_total = round(duration * sample_rate)
    out = np.zeros(n_total + sample_rate * 2, dtype=np.float32)
    notes, drums = _compose(rng, duration)
    brightness = {t: float(rng.uniform(0.55, 0.85)) for t in _TIMBRES}
    cache: dict[tuple[str, float, int], FloatArray] = {}
    for note in notes:
        start = int(note.onset * sample_rate)
        if start >= n_total:
            continue
        n = int(note.duration * sample_rate)
        key = (note.timbre, note.midi, n)
        tone = cache.get(key)
        if tone is None:
            tone = _render_tone(
                note.timbre, _midi_hz(note.midi), n, sample_rate, brightness[note.timbre]
            )
            cache[key] = tone
        out[start : start + n] += note.velocity * tone
    kit = _drum_kit(rng, sample_rate)
    variants = rng.integers(0, 4, len(drums))
    drum_gain = float(rng.uniform(0.5, 0.9))
    for (onset, drum, vel), v in zip(drums, variants, strict=False):
        start = int(onset * sample_rate)
        if start >= n_total:
            continue
        hit = kit[drum][int(v)]
        out[start : start + len(hit)] += drum_gain * vel * hit
    out = out[:n_total]
    peak = float(np.abs(out).max()) if n_total else 0.0
    if peak > 0:
        out *= 0.9 / peak
    return out


def synth_noise_like(seed: int, duration: float, sample_rate: int = 44100) -> FloatArray:
    """Non-music audio (babble-like formant noise, hum, sweeps) for out-of-catalog checks."""
    rng = np.random.default_rng(seed ^ 0x5EED)
    n = round(duration * sample_rate)
    t = np.arange(n) / sample_rate
    white = rng.standard_normal(n)
    # Brown-ish noise: leaky integration done with a cumulative sum of a high-passed signal.
    brown = np.cumsum(white) * 0.02
    brown -= np.convolve(brown, np.ones(512) / 512, mode="same")
    syll = 0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 6) * t + rng.uniform(0, 6)) ** 2
    sweep_f = rng.uniform(200, 900) * (1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t))
    sweep = np.sin(2 * np.pi * np.cumsum(sweep_f) / sample_rate)
    hum = np.sin(2 * np.pi * float(rng.choice([50.0, 60.0])) * t)
    y = 0.5 * brown * syll + 0.2 * white * syll + 0.2 * sweep * syll + 0.1 * hum
    peak = float(np.abs(y).max()) if n else 0.0
    return (y * (0.9 / peak if peak > 0 else 1.0)).astype(np.float32)


# format -> (container, codec, sample rate used by the codec or None to keep the input rate)
_FORMATS: dict[str, tuple[str, str, int | None]] = {
    "wav": ("wav", "pcm_s16le", None),
    "mp3": ("mp3", "libmp3lame", None),
    "flac": ("flac", "flac", None),
    "ogg": ("ogg", "libopus", 48000),  # the bundled vorbis encoder is experimental: use Opus
    "opus": ("ogg", "libopus", 48000),
    "m4a": ("ipod", "aac", None),
}


def _encode(
    dest: str | io.BytesIO,
    samples: npt.NDArray[np.floating[Any]],
    sample_rate: int,
    fmt: str,
    bitrate: int | None,
    tags: dict[str, str] | None,
) -> None:
    if fmt not in _FORMATS:
        raise ValueError(f"unsupported audio format {fmt!r}; use one of {sorted(_FORMATS)}")
    container_fmt, codec, codec_rate = _FORMATS[fmt]
    rate = codec_rate or sample_rate
    options = {"movflags": "use_metadata_tags"} if container_fmt == "ipod" else {}
    pcm = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    with av.open(dest, mode="w", format=container_fmt, options=options) as container:
        for key, value in (tags or {}).items():
            container.metadata[key] = value
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        if bitrate is not None:
            stream.bit_rate = int(bitrate)
        cc = stream.codec_context
        fmt_name = cc.format.name if cc.format is not None else "s16"
        resampler = av.AudioResampler(format=fmt_name, layout="mono", rate=rate)
        block = 1 << 16
        for i in range(0, max(len(pcm), 1), block):
            chunk = pcm[i : i + block]
            if len(chunk) == 0:
                break
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = sample_rate
            for rframe in resampler.resample(frame):
                container.mux(stream.encode(rframe))
        for rframe in resampler.resample(None):
            container.mux(stream.encode(rframe))
        container.mux(stream.encode(None))


def write_audio(
    path: str | Path,
    samples: npt.NDArray[np.floating[Any]],
    sample_rate: int,
    *,
    format: str | None = None,
    bitrate: int | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """Encode mono samples to a file; the format defaults to the file extension."""
    fmt = (format or Path(path).suffix.lstrip(".")).lower()
    _encode(str(path), samples, sample_rate, fmt, bitrate, tags)


def encode_audio(
    samples: npt.NDArray[np.floating[Any]],
    sample_rate: int,
    format: str,
    bitrate: int | None = None,
    tags: dict[str, str] | None = None,
) -> bytes:
    """Encode mono samples in memory and return the file's bytes."""
    buf = io.BytesIO()
    _encode(buf, samples, sample_rate, format.lower(), bitrate, tags)
    return buf.getvalue()

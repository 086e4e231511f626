"""Audio decoding for the engine: any container/codec FFmpeg knows → mono float32 at SAMPLE_RATE.

Decoding is streamed packet by packet through PyAV's resampler so memory depends on the block
size, not the file length. PyAV errors never reach callers: they become `AudioDecodeError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
import numpy.typing as npt

from ._params import SAMPLE_RATE

__all__ = ["AudioDecodeError", "AudioSource", "decode_audio", "iter_audio", "read_tags"]

AudioSource = str | Path | BinaryIO

# Canonical tag name <- names used by ID3 (as FFmpeg exposes them), Vorbis comments and MP4 atoms.
_TAG_ALIASES: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "album_artist", "performer", "tpe1"),
    "title": ("title", "tit2"),
    "album": ("album", "talb"),
    "date": ("date", "year", "tdrc", "tyer", "originaldate"),
    "label": ("label", "publisher", "organization", "tpub", "copyright"),
    "isrc": ("isrc", "tsrc"),
    "upc": ("upc", "barcode", "ean", "catalognumber"),
}


class AudioDecodeError(Exception):
    """The input is not decodable audio (garbage, empty, truncated header, no audio stream)."""


def _describe(source: AudioSource) -> str:
    if isinstance(source, (str, Path)):
        return f"{str(source)!r}"
    return "the uploaded data"


def _open(source: AudioSource) -> Any:
    if not isinstance(source, (str, Path)):
        # An empty file object makes FFmpeg probe forever-ish and then fail obscurely.
        try:
            pos = source.tell()
            empty = not source.read(1)
            source.seek(pos)
        except (OSError, ValueError, AttributeError):
            empty = False
        if empty:
            raise AudioDecodeError("cannot decode audio: the input is empty")
    elif Path(source).is_file() and Path(source).stat().st_size == 0:
        raise AudioDecodeError(f"cannot decode audio: {_describe(source)} is empty")
    try:
        return av.open(str(source) if isinstance(source, Path) else source, mode="r")
    except (av.FFmpegError, OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
        raise AudioDecodeError(
            f"cannot decode audio: {_describe(source)} is not a recognised audio or video file"
            f" ({exc.__class__.__name__})"
        ) from exc


# Decoded frames (a codec frame is ~20-60 ms) are resampled in batches of about this many
# seconds: the resampler's cost per call, not per sample, dominated when fed frame by frame.
_BATCH_SECONDS = 1.0
# Sample formats PyAV decodes to → numpy dtypes (a trailing "p" means one plane per channel).
_DTYPES = {
    "u8": np.uint8,
    "s16": np.int16,
    "s32": np.int32,
    "s64": np.int64,
    "flt": np.float32,
    "dbl": np.float64,
}


def _frame_array(frame: Any) -> npt.NDArray[Any]:
    """A decoded frame's samples as (planes, n) without copying (cheaper than to_ndarray)."""
    name = frame.format.name
    planar = name.endswith("p")
    dtype = _DTYPES.get(name[:-1] if planar else name)
    if dtype is None:
        return np.asarray(frame.to_ndarray()).reshape(len(frame.planes), -1)
    n = frame.samples if planar else frame.samples * len(frame.layout.channels)
    return np.stack([np.frombuffer(plane, dtype, n) for plane in frame.planes])


class _Resampler:
    """Any decoded layout/format/rate → mono float32 at SAMPLE_RATE, in batches.

    Input frames are gathered until _BATCH_SECONDS are pending, then converted by FFmpeg's
    resampler in one call. A change of input format mid-stream (chained streams) starts a new
    resampler instead of failing."""

    def __init__(self) -> None:
        self._av: Any = None
        self._key: tuple[str, str, int] | None = None
        self._parts: list[npt.NDArray[Any]] = []
        self._pending = 0

    def push(self, frame: Any) -> list[npt.NDArray[np.float32]]:
        key = (frame.format.name, frame.layout.name, int(frame.sample_rate))
        out: list[npt.NDArray[np.float32]] = []
        if key != self._key:
            out = self.flush()
            self._key = key
            self._av = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        self._parts.append(_frame_array(frame))
        self._pending += frame.samples
        if self._pending >= _BATCH_SECONDS * key[2]:
            out += self._convert(final=False)
        return out

    def flush(self) -> list[npt.NDArray[np.float32]]:
        """Everything still buffered, including the resampler's own tail."""
        if self._key is None:
            return []
        return self._convert(final=True)

    def _convert(self, *, final: bool) -> list[npt.NDArray[np.float32]]:
        assert self._key is not None
        frames: list[Any] = []
        if self._parts:
            data = self._parts[0] if len(self._parts) == 1 else np.concatenate(self._parts, 1)
            batch = av.AudioFrame.from_ndarray(data, format=self._key[0], layout=self._key[1])
            batch.sample_rate = self._key[2]
            self._parts, self._pending = [], 0
            frames += self._av.resample(batch)
        if final:
            frames += self._av.resample(None)
            self._key = None
        return [f.to_ndarray().reshape(-1).astype(np.float32, copy=False) for f in frames]


def iter_audio(
    source: AudioSource, *, block_seconds: float = 12.0, start: float = 0.0
) -> Iterator[npt.NDArray[np.float32]]:
    """Decode as a stream, yielding mono float32 blocks of `block_seconds` (the last is shorter).

    Memory is O(block) whatever the file length. Corrupt packets inside an otherwise good file
    are skipped; a file that yields no audio at all raises `AudioDecodeError`.
    """
    block = max(1, round(block_seconds * SAMPLE_RATE))
    container = _open(source)
    try:
        streams = [s for s in container.streams if s.type == "audio"]
        if not streams:
            raise AudioDecodeError(f"cannot decode audio: {_describe(source)} has no audio stream")
        stream = streams[0]
        resampler = _Resampler()
        skip = 0  # samples still to drop before `start`
        if start > 0:
            skip = round(start * SAMPLE_RATE)
            try:
                container.seek(int(start * 1_000_000), any_frame=False, backward=True)
                seeked = True
            except (av.FFmpegError, OSError, ValueError):
                seeked = False
        else:
            seeked = False
        first = True
        pending: list[npt.NDArray[np.float32]] = []
        pending_len = 0
        produced = 0
        bad_packets = 0

        def chunks() -> Iterator[npt.NDArray[np.float32]]:
            nonlocal bad_packets, first, skip
            for packet in container.demux(stream):
                try:
                    decoded = packet.decode()
                except (av.FFmpegError, ValueError) as exc:
                    bad_packets += 1
                    if bad_packets > 50 and produced == 0 and pending_len == 0:
                        raise AudioDecodeError(
                            f"cannot decode audio: {_describe(source)} is corrupt"
                        ) from exc
                    continue
                for frame in decoded:
                    if first and seeked:
                        # After a seek the decoder restarts at a keyframe before `start`.
                        t = frame.time
                        skip = max(0, round((start - t) * SAMPLE_RATE)) if t is not None else 0
                    first = False
                    yield from resampler.push(frame)
            yield from resampler.flush()

        try:
            for pcm in chunks():
                if skip:
                    drop = min(skip, len(pcm))
                    pcm = pcm[drop:]
                    skip -= drop
                if len(pcm) == 0:
                    continue
                pending.append(pcm)
                pending_len += len(pcm)
                while pending_len >= block:
                    joined = np.concatenate(pending)
                    yield joined[:block]
                    produced += block
                    rest = joined[block:]
                    pending = [rest] if len(rest) else []
                    pending_len = len(rest)
        except (av.FFmpegError, ValueError, EOFError) as exc:
            if produced == 0 and pending_len == 0:
                raise AudioDecodeError(
                    f"cannot decode audio: {_describe(source)} could not be decoded"
                    f" ({exc.__class__.__name__})"
                ) from exc
        if pending_len:
            yield np.concatenate(pending)
            produced += pending_len
        if produced == 0 and start <= 0:
            raise AudioDecodeError(f"cannot decode audio: {_describe(source)} contains no audio")
    finally:
        container.close()


def decode_audio(
    source: AudioSource, *, start: float = 0.0, duration: float | None = None
) -> npt.NDArray[np.float32]:
    """Decode (a span of) a file, path or binary file object to mono float32 at SAMPLE_RATE."""
    limit = None if duration is None else max(0, round(duration * SAMPLE_RATE))
    parts: list[npt.NDArray[np.float32]] = []
    total = 0
    for block in iter_audio(source, start=start):
        if limit is not None and total + len(block) >= limit:
            parts.append(block[: limit - total])
            total = limit
            break
        parts.append(block)
        total += len(block)
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(parts)


def read_tags(path: str | Path | BinaryIO) -> dict[str, str]:
    """Metadata tags under canonical names: artist, title, album, date, label, isrc, upc."""
    container = _open(path)
    try:
        raw: dict[str, str] = {}
        for stream in container.streams:
            raw.update({str(k).lower(): str(v) for k, v in stream.metadata.items()})
        # Container-level tags win over stream-level ones (ID3 and MP4 keep them there).
        raw.update({str(k).lower(): str(v) for k, v in container.metadata.items()})
    finally:
        container.close()
    tags: dict[str, str] = {}
    for name, aliases in _TAG_ALIASES.items():
        for alias in aliases:
            value = raw.get(alias, "").strip()
            if value:
                tags[name] = value
                break
    return tags

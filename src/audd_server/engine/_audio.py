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
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
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

        def frames() -> Iterator[Any]:
            nonlocal bad_packets
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
                    yield from resampler.resample(frame)
            yield from resampler.resample(None)

        try:
            for frame in frames():
                if first and seeked:
                    # After a seek the decoder restarts at a keyframe before `start`.
                    t = frame.time
                    skip = max(0, round((start - t) * SAMPLE_RATE)) if t is not None else 0
                first = False
                pcm = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
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

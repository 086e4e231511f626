"""Decoding every format the synth writes, streaming, tags, and clean failures."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from audd_server.engine import SAMPLE_RATE, AudioDecodeError, decode_audio, iter_audio, read_tags
from audd_server.synth import encode_audio, synth_track, write_audio

FORMATS = ["wav", "mp3", "flac", "ogg", "m4a"]
TAGS = {
    "artist": "Test Artist",
    "title": "Test Title",
    "album": "Test Album",
    "date": "2024",
    "label": "Test Label",
    "isrc": "USRC17607839",
    "upc": "012345678905",
}


@pytest.fixture(scope="module")
def song() -> np.ndarray:
    return synth_track(11, 6.0, 44100)


@pytest.mark.parametrize("fmt", FORMATS)
def test_decode_reads_each_format_written_by_write_audio(
    tmp_path: Path, song: np.ndarray, fmt: str
) -> None:
    path = tmp_path / f"song.{fmt}"
    write_audio(path, song, 44100)
    pcm = decode_audio(path)
    assert pcm.dtype == np.float32
    assert abs(len(pcm) / SAMPLE_RATE - 6.0) < 0.15
    assert 0.05 < float(np.sqrt(np.mean(pcm**2))) < 1.0


@pytest.mark.parametrize("fmt", FORMATS)
def test_decode_accepts_binary_file_objects(song: np.ndarray, fmt: str) -> None:
    data = encode_audio(song, 44100, fmt)
    pcm = decode_audio(io.BytesIO(data))
    assert abs(len(pcm) / SAMPLE_RATE - 6.0) < 0.15


def test_decode_of_wav_preserves_the_waveform(song: np.ndarray) -> None:
    reference = synth_track(11, 6.0, SAMPLE_RATE)
    pcm = decode_audio(io.BytesIO(encode_audio(song, 44100, "wav")))
    # Same song rendered at another rate is not sample-identical; compare loudness envelopes.
    n = min(len(pcm), len(reference)) // 1024 * 1024
    env_a = np.sqrt(np.mean(pcm[:n].reshape(-1, 1024) ** 2, axis=1))
    env_b = np.sqrt(np.mean(reference[:n].reshape(-1, 1024) ** 2, axis=1))
    assert np.corrcoef(env_a, env_b)[0, 1] > 0.8


def test_decode_span_with_start_and_duration(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "song.flac"
    write_audio(path, song, 44100)
    full = decode_audio(path)
    part = decode_audio(path, start=2.0, duration=1.5)
    assert len(part) == round(1.5 * SAMPLE_RATE)
    a = int(2.0 * SAMPLE_RATE)
    lag = np.argmax(np.correlate(full[a - 200 : a + len(part) + 200], part[:2000], mode="valid"))
    assert abs(int(lag) - 200) <= 2


def test_iter_audio_streams_fixed_size_blocks(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "song.mp3"
    write_audio(path, song, 44100)
    blocks = list(iter_audio(path, block_seconds=2.0))
    assert all(len(b) == 2 * SAMPLE_RATE for b in blocks[:-1])
    assert 0 < len(blocks[-1]) <= 2 * SAMPLE_RATE
    assert abs(sum(map(len, blocks)) / SAMPLE_RATE - 6.0) < 0.15


def test_garbage_bytes_raise_audio_decode_error() -> None:
    with pytest.raises(AudioDecodeError, match="cannot decode audio"):
        decode_audio(io.BytesIO(b"this is not audio at all" * 100))


def test_empty_file_raises_audio_decode_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty"):
        decode_audio(empty)
    with pytest.raises(AudioDecodeError, match="empty"):
        decode_audio(io.BytesIO(b""))


def test_missing_file_raises_audio_decode_error(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError):
        decode_audio(tmp_path / "missing.wav")


def test_truncated_file_raises_or_decodes_cleanly(song: np.ndarray) -> None:
    data = encode_audio(song, 44100, "m4a")[:300]
    with pytest.raises(AudioDecodeError):
        decode_audio(io.BytesIO(data))


@pytest.mark.parametrize("fmt", ["mp3", "flac", "ogg", "m4a"])
def test_read_tags_round_trips_metadata(tmp_path: Path, song: np.ndarray, fmt: str) -> None:
    path = tmp_path / f"tagged.{fmt}"
    write_audio(path, song[:44100], 44100, tags=TAGS)
    assert read_tags(path) == TAGS


def test_read_tags_of_untagged_file_is_empty(tmp_path: Path, song: np.ndarray) -> None:
    path = tmp_path / "plain.wav"
    write_audio(path, song[:44100], 44100)
    assert read_tags(path) == {}


def test_decode_takes_the_audio_of_a_video_file() -> None:
    import av

    buf = io.BytesIO()
    tone = (0.3 * np.sin(np.arange(88200) / 44100 * 2 * np.pi * 440)).astype(np.float32)
    with av.open(buf, "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "mono"
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        pcm = av.AudioFrame.from_ndarray(tone[None, :], format="flt", layout="mono")
        pcm.sample_rate = 44100
        for chunk in av.AudioResampler(format="fltp", layout="mono", rate=44100).resample(pcm):
            container.mux(audio.encode(chunk))
        container.mux(audio.encode(None))
        container.mux(video.encode(None))
    buf.seek(0)
    out = decode_audio(buf)
    assert abs(len(out) / SAMPLE_RATE - 2.0) < 0.1
    assert 0.25 < float(np.abs(out).max()) < 0.4

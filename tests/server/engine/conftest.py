"""Shared engine fixtures: a small catalog of synthetic songs indexed once per module."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from audd_server.engine import SAMPLE_RATE, Index, decode_audio
from audd_server.synth import encode_audio, synth_track

CATALOG_SEEDS = range(1, 9)
TRACK_SECONDS = 60.0
MP3_TRACK_ID = 99


def clip(samples: np.ndarray, start: float, seconds: float) -> np.ndarray:
    a = int(start * SAMPLE_RATE)
    return samples[a : a + int(seconds * SAMPLE_RATE)].copy()


def add_noise(samples: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    power = float(np.mean(samples**2))
    noise = rng.standard_normal(len(samples)) * np.sqrt(power / 10 ** (snr_db / 10))
    return (samples + noise).astype(np.float32)


@pytest.fixture(scope="session")
def catalog() -> dict[int, np.ndarray]:
    return {seed: synth_track(seed, TRACK_SECONDS, SAMPLE_RATE) for seed in CATALOG_SEEDS}


@pytest.fixture(scope="session")
def mp3_source() -> np.ndarray:
    """A 44.1 kHz song, as a real upload would be before decoding."""
    return synth_track(500, 40.0, 44100)


@pytest.fixture(scope="module")
def index(
    tmp_path_factory: pytest.TempPathFactory,
    catalog: dict[int, np.ndarray],
    mp3_source: np.ndarray,
) -> Iterator[Index]:
    idx = Index(tmp_path_factory.mktemp("index"))
    for track_id, samples in catalog.items():
        idx.add(track_id, samples)
    wav = encode_audio(mp3_source, 44100, "wav")
    idx.add(MP3_TRACK_ID, decode_audio(io.BytesIO(wav)))
    yield idx
    idx.close()


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "idx"

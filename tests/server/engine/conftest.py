"""Shared engine fixtures: a small catalog of synthetic songs indexed once per module."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from audd_server.engine import SAMPLE_RATE, Index, decode_audio
from audd_server.synth import encode_audio, synth_track

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_helpers import CATALOG_SEEDS, MP3_TRACK_ID, TRACK_SECONDS


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

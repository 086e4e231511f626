"""Helpers shared by the engine tests (a module with a unique name, importable from tests)."""

from __future__ import annotations

import numpy as np

from audd_server.engine import SAMPLE_RATE

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

"""Synthetic music: deterministic, well-formed and varied between seeds."""

from __future__ import annotations

import numpy as np

from audd_server.synth import synth_noise_like, synth_track


def test_same_seed_gives_identical_audio() -> None:
    assert np.array_equal(synth_track(7, 5.0, 11025), synth_track(7, 5.0, 11025))


def test_track_is_float32_mono_in_range_with_requested_length() -> None:
    x = synth_track(3, 4.0, 22050)
    assert x.dtype == np.float32
    assert x.shape == (4 * 22050,)
    assert np.abs(x).max() <= 1.0
    assert np.sqrt(np.mean(x**2)) > 0.05


def test_different_seeds_are_different_songs() -> None:
    a, b = synth_track(1, 5.0, 11025), synth_track(2, 5.0, 11025)
    corr = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    assert abs(corr) < 0.2


def test_noise_like_is_deterministic_and_bounded() -> None:
    a = synth_noise_like(4, 3.0, 11025)
    assert np.array_equal(a, synth_noise_like(4, 3.0, 11025))
    assert a.dtype == np.float32
    assert np.abs(a).max() <= 1.0

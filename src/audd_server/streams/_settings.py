"""Timing knobs of live-stream monitoring, in one place so tests can run faster than real time.

Every duration that decides *what* is reported (window, hop, 651 period) is measured in seconds of
stream audio (sample counts), never wall-clock, so a source that delivers faster than real time
yields the same events. Only reconnect and callback back-off are wall-clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSettings:
    """Knobs for stream workers, play tracking and callback delivery."""

    window_seconds: float = 10.0
    """Length of the audio window sent to the engine."""
    hop_seconds: float = 2.0
    """A window is queried every `hop_seconds` of new audio."""
    min_window_seconds: float = 4.0
    """After (re)connecting, windows shorter than `window_seconds` are queried from this length."""
    confirm_windows: int = 3
    """Windows that must agree (track and alignment) before a play is believed..."""
    confirm_score: int = 60
    """...each scoring at least this. Out-of-catalog music built from the same material as a
    catalog song can match it consistently for a few windows at 50–68 (benchmarks/streams.py)."""
    strong_score: int = 90
    """A single window scoring at least this confirms a play on its own (catalog songs score
    100 even at 0 dB SNR; confusers were never seen above 78)."""
    alternative_margin: int = 15
    """A competitor within this many score points of the top match, on the same audio, is an
    alternative (reported after the top song in `results`)."""
    max_alternatives: int = 3
    anchor_tolerance: float = 1.0
    """Two matches of one track belong to the same play when their implied track starts differ by
    at most this many seconds."""
    start_snap_seconds: float = 1.5
    """A play first heard this close to the track's beginning is taken to start at the beginning."""
    no_music_seconds: float = 60.0
    """Stream audio without any recognizable music before notification 651."""
    results_limit: int = 5
    """Candidates asked from the engine per window."""
    reconnect_initial: float = 1.0
    """First reconnect delay (wall-clock seconds); doubles per failure up to `reconnect_max`."""
    reconnect_max: float = 60.0
    open_timeout: float = 10.0
    """Seconds to wait for a stream to open, and for data once open, before it counts as down."""
    read_timeout: float = 10.0
    pace_files: bool = True
    """Local files are read at real-time pace (like a radio) and loop at their end; tests turn
    this off to consume them as fast as they decode."""
    callback_timeout: float = 10.0
    callback_attempts: int = 6
    """POST attempts per event before a callback is dropped (longpoll still has it)."""
    callback_backoff: float = 0.5
    callback_backoff_max: float = 30.0
    callback_queue_max: int = 1000
    """Undelivered callbacks kept per stream; the oldest is dropped beyond this."""
    state_save_seconds: float = 5.0
    """How often (stream-audio seconds) an open play is checkpointed for restarts."""

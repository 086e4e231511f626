"""Live-stream monitoring benchmark: detection delay, play_length accuracy, false alarms, cost.

Runs the real stream worker (PyAV decode of an MP3 "broadcast" → sliding-window engine queries →
play tracker) over synthetic programs whose ground truth is known, and prints:

- detection delay from a song's start to its `callbacks=before` event (stream-audio seconds),
- `play_length` error of the default (after) reports,
- false alarms per hour of out-of-catalog audio (unknown songs made from the same musical
  vocabulary as the catalog, i.e. hard confusers, plus non-music),
- CPU seconds per stream-audio second of the pipeline → real-time streams one core sustains,
  and (with --paced N) whether N real-time streams keep up together.

    .venv/bin/python benchmarks/streams.py [--songs 60] [--plays 40] [--ooc-minutes 60] [--paced 20]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from audd_server.engine import SAMPLE_RATE, Index
from audd_server.streams import StreamSettings
from audd_server.streams._tracker import MatchLike, PlayEvent
from audd_server.streams._worker import StreamSpec, StreamWorker
from audd_server.synth import synth_noise_like, synth_track, write_audio

RATE = 22050  # broadcast sample rate (MP3 64 kbit/s)
SONG_SECONDS = 60.0


@dataclass(frozen=True)
class Play:
    track_id: int
    start: float
    end: float
    offset: float


class BenchHost:
    def __init__(self, index: Index, settings: StreamSettings) -> None:
        self.index = index
        self.settings = settings

    def match(self, account_id: int, samples: np.ndarray) -> Sequence[MatchLike]:
        return self.index.query(samples, limit=self.settings.results_limit)

    def songs(self, account_id: int, event: PlayEvent, returns: list[str]) -> list[dict[str, Any]]:
        return [{"artist": "", "title": str(event.track_id), "score": event.score}]

    def callback_url(self, account_id: int) -> str | None:
        return None

    def duration(self, track_id: int) -> float | None:
        return SONG_SECONDS

    def set_running(self, spec: StreamSpec, running: bool) -> None:
        pass

    def publish(self, spec: StreamSpec, body: dict[str, Any]) -> None:
        pass

    def load_state(self, spec: StreamSpec) -> dict[str, Any] | None:
        return None

    def save_state(self, spec: StreamSpec, state: dict[str, Any] | None) -> None:
        pass


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def build_catalog(directory: Path, n: int) -> tuple[Index, dict[int, np.ndarray]]:
    index = Index(directory)
    songs: dict[int, np.ndarray] = {}
    for seed in range(1, n + 1):
        index.add(seed, synth_track(seed, SONG_SECONDS, SAMPLE_RATE))
        songs[seed] = synth_track(seed, SONG_SECONDS, RATE)
    return index, songs


def with_noise(x: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    power = float(np.mean(x**2)) or 1e-6
    noise = rng.standard_normal(len(x)).astype(np.float32) * np.sqrt(power / 10 ** (snr_db / 10))
    out: np.ndarray = np.clip(x + noise, -1, 1).astype(np.float32)
    return out


def detection_program(
    songs: dict[int, np.ndarray], plays: int, rng: random.Random, unknown_seed: int
) -> tuple[np.ndarray, list[Play]]:
    parts: list[np.ndarray] = []
    truth: list[Play] = []
    pos = 0.0
    ids = list(songs)
    for k in range(plays):
        gap_kind = rng.choice(["none", "unknown", "noise"])
        if gap_kind != "none":
            secs = rng.uniform(3, 12)
            gap = (
                synth_track(unknown_seed + k, secs, RATE)
                if gap_kind == "unknown"
                else synth_noise_like(k, secs, RATE)
            )
            parts.append(gap)
            pos += len(gap) / RATE
        tid = rng.choice(ids)
        offset = 0.0 if rng.random() < 0.7 else rng.uniform(5, 25)
        length = rng.uniform(20, SONG_SECONDS - offset)
        a, b = int(offset * RATE), int((offset + length) * RATE)
        seg = songs[tid][a:b]
        parts.append(seg)
        truth.append(Play(tid, pos, pos + len(seg) / RATE, offset))
        pos += len(seg) / RATE
    return np.concatenate(parts), truth


def ooc_program(minutes: float, unknown_seed: int) -> np.ndarray:
    parts: list[np.ndarray] = []
    total = 0.0
    k = 0
    while total < minutes * 60:
        if k % 4 == 3:
            seg = synth_noise_like(1000 + k, 60, RATE)
        else:
            seg = synth_track(unknown_seed + 500 + k, SONG_SECONDS, RATE)
        parts.append(seg)
        total += len(seg) / RATE
        k += 1
    return np.concatenate(parts)


def run_worker(
    path: Path, index: Index, settings: StreamSettings, before: bool
) -> tuple[list[PlayEvent], StreamWorker]:
    events: list[PlayEvent] = []
    host = BenchHost(index, settings)
    spec = StreamSpec(1, 1, str(path), before, "bench")
    worker = StreamWorker(spec, host, on_event=events.append)
    worker.start()
    worker.finished.wait()
    worker.stop()
    worker.join()
    return events, worker


def match_events(
    events: list[PlayEvent], truth: list[Play], *, by_decision: bool = False
) -> tuple[dict[int, PlayEvent], int]:
    """Pair each truth play with its report (same track; the report's start within 5 s, or with
    `by_decision` the report decided while the play was on); count the reports left over."""
    paired: dict[int, PlayEvent] = {}
    extra = 0
    for ev in events:
        hit = None
        for i, p in enumerate(truth):
            if i in paired or p.track_id != ev.track_id:
                continue
            near = p.start <= ev.decided_at <= p.end if by_decision else abs(ev.start - p.start) < 5
            if near:
                hit = i
                break
        if hit is None:
            extra += 1
        else:
            paired[hit] = ev
    return paired, extra


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--songs", type=int, default=60, help="catalog size")
    ap.add_argument("--plays", type=int, default=40, help="catalog plays in the detection run")
    ap.add_argument("--ooc-minutes", type=float, default=60.0, help="out-of-catalog audio")
    ap.add_argument("--snr", type=float, default=15.0, help="broadcast SNR (dB) vs white noise")
    ap.add_argument("--paced", type=int, default=0, help="also run N real-time streams together")
    ap.add_argument("--paced-seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--verbose", action="store_true", help="list every play and report")
    args = ap.parse_args(argv)

    settings = StreamSettings(pace_files=False)
    rng = random.Random(args.seed)
    nrng = np.random.default_rng(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="audd-streams-bench-"))
    print(
        f"settings: window {settings.window_seconds:g} s, hop {settings.hop_seconds:g} s, "
        f"confirm {settings.confirm_windows} windows ≥ {settings.confirm_score} or one ≥ "
        f"{settings.strong_score}; cpu cores visible: {os.cpu_count()}"
    )

    t = time.perf_counter()
    index, songs = build_catalog(tmp / "index", args.songs)
    took = time.perf_counter() - t
    print(f"catalog: {args.songs} songs × {SONG_SECONDS:g} s indexed in {took:.1f} s")

    audio, truth = detection_program(songs, args.plays, rng, unknown_seed=10_000)
    audio = with_noise(audio, args.snr, nrng)
    det_path = tmp / "detection.mp3"
    write_audio(det_path, audio, RATE, bitrate=64000)
    det_hours = len(audio) / RATE / 3600
    print(
        f"detection broadcast: {len(truth)} plays, {len(audio) / RATE / 60:.1f} min, "
        f"SNR {args.snr:g} dB, MP3 64 kbit/s"
    )

    ooc = ooc_program(args.ooc_minutes, unknown_seed=10_000 + 1000 * (args.seed - 7))
    ooc = with_noise(ooc, args.snr, nrng)
    ooc_path = tmp / "ooc.mp3"
    write_audio(ooc_path, ooc, RATE, bitrate=64000)
    ooc_hours = len(ooc) / RATE / 3600

    results: dict[str, tuple[list[PlayEvent], StreamWorker]] = {}

    def job(name: str, path: Path, before: bool) -> None:
        results[name] = run_worker(path, index, settings, before)

    t = time.perf_counter()
    threads = [
        threading.Thread(target=job, args=("before", det_path, True)),
        threading.Thread(target=job, args=("after", det_path, False)),
        threading.Thread(target=job, args=("ooc", ooc_path, True)),
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t

    before_events, before_worker = results["before"]
    paired, extra = match_events(before_events, truth, by_decision=True)
    delays = [paired[i].decided_at - truth[i].start for i in paired]
    start_errors = [abs(paired[i].start - truth[i].start) for i in paired]
    if args.verbose:
        for i, p in enumerate(truth):
            if i not in paired:
                print(f"  missed {p}")
        for ev in before_events:
            if ev not in paired.values():
                print(f"  extra {ev}")
    print("\n== detection delay (callbacks=before), stream-audio seconds ==")
    print(f"detected {len(paired)}/{len(truth)} plays; wrong/extra reports: {extra}")
    print(
        f"delay median {pct(delays, 50):.2f} s, p95 {pct(delays, 95):.2f} s, "
        f"max {max(delays, default=float('nan')):.2f} s   (target: median ≤ 6 s)"
    )
    print(
        f"estimated start (the callback's `timestamp`) |error| median {pct(start_errors, 50):.2f}"
        f" s, p95 {pct(start_errors, 95):.2f} s"
    )

    after_events, _ = results["after"]
    paired_a, extra_a = match_events(after_events, truth)
    errors = [
        abs((paired_a[i].play_length or 0) - (truth[i].end - truth[i].start)) for i in paired_a
    ]
    within = sum(e <= 2 for e in errors)
    if args.verbose:
        for i, p in enumerate(truth):
            found = paired_a.get(i)
            if found is not None and abs((found.play_length or 0) - (p.end - p.start)) <= 2:
                continue
            got = (
                "missed"
                if found is None
                else f"{found.start:.1f}..{found.end or 0:.1f} {found.play_length or 0:.1f}"
            )
            print(f"  {p.track_id:3d} {p.start:7.1f}..{p.end:7.1f} off {p.offset:4.1f}: {got}")
        for ev in after_events:
            print("  event", ev.track_id, round(ev.start, 1), round(ev.end or 0, 1), ev.score)
    print("\n== play_length (default callbacks, at song end) ==")
    print(f"reported {len(paired_a)}/{len(truth)} plays; wrong/extra: {extra_a}")
    print(
        f"|error| median {pct(errors, 50):.2f} s, p95 {pct(errors, 95):.2f} s, "
        f"max {max(errors, default=float('nan')):.2f} s; within 2 s: {within}/{len(errors)}"
    )

    ooc_events, ooc_worker = results["ooc"]
    print("\n== false alarms on out-of-catalog audio ==")
    print(
        f"{len(ooc_events)} reports in {ooc_hours:.2f} h → "
        f"{len(ooc_events) / ooc_hours:.2f} per hour   (target ≤ 0.1; 75 % unknown songs built "
        "from the catalog's musical vocabulary, 25 % non-music)"
    )
    if ooc_events:
        print("  ", [(e.track_id, e.score, round(e.start)) for e in ooc_events[:10]])

    print("\n== cost ==")
    cpu = before_worker.cpu_seconds + ooc_worker.cpu_seconds
    audio_s = before_worker.audio_seconds + ooc_worker.audio_seconds
    ratio = cpu / audio_s
    print(
        f"worker pipeline (decode + resample + {settings.window_seconds:g} s window every "
        f"{settings.hop_seconds:g} s + tracking): {ratio * 1000:.1f} ms CPU per stream-second "
        f"→ {1 / ratio:.0f} real-time streams per core   (target ≥ 20)"
    )
    print(
        f"(3 workers together processed {(audio_s + results['after'][1].audio_seconds) / 3600:.2f}"
        f" h of audio in {wall:.1f} s wall)"
    )
    del det_hours

    if args.paced:
        paced = replace(settings, pace_files=True)
        workers = []
        for i in range(args.paced):
            spec = StreamSpec(1, 100 + i, str(det_path), True, "bench")
            w = StreamWorker(spec, BenchHost(index, paced))
            workers.append(w)
        t0 = time.monotonic()
        for w in workers:
            w.start()
        stop = threading.Event()
        stop.wait(args.paced_seconds)
        elapsed = time.monotonic() - t0
        lags = [elapsed - w.audio_seconds for w in workers]
        for w in workers:
            w.stop()
        for w in workers:
            w.join()
        kept = sum(lag <= 3.0 for lag in lags)
        print(
            f"\n== {args.paced} real-time streams together for {elapsed:.0f} s "
            f"({os.cpu_count()} cores) =="
        )
        print(
            f"kept up (lag ≤ 3 s): {kept}/{args.paced}; lag median {statistics.median(lags):.2f}"
            f" s, max {max(lags):.2f} s"
        )
    index.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

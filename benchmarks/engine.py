"""Benchmark of the fingerprinting engine on a synthetic catalog: accuracy at a fixed false-positive
rate, timecode error, query latency (in process and over HTTP), ingest speed and index size.
Prints figures.

    .venv/bin/python benchmarks/engine.py                      # full: 200 + 50 tracks of 3 min
    .venv/bin/python benchmarks/engine.py --tracks 40 --heldout 20 --queries 40   # quick

The catalog is enrolled into a server data directory through the store's ingest API
(`audd_server.store.ingest.add_samples`: catalog row + `Index.add`), and the in-process queries go
to that directory's index. HTTP mode (`--http-queries`, 0 to skip) then serves the same data dir
with the real server (`python -m audd_server serve`, uvicorn on 127.0.0.1, started by
`server_http.running_server`) and times `POST /` recognize requests of 10 s MP3 clips (44.1 kHz,
cut at random offsets of catalog tracks), sequentially over one keep-alive connection.

Catalog tracks are seeds 0..N-1, held-out (never indexed) tracks seeds 100000+. Queries are cut at
random offsets; noise is white and its SNR is measured at the analysis rate (11,025 Hz), i.e.
in-band, which is harsher than adding it to a 44.1 kHz file. MP3 queries are upsampled to
44.1 kHz, encoded at 64 kbit/s with LAME and decoded back through `decode_audio`.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from scipy import signal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from server_http import TOKEN, running_server

from audd_server.config import Settings
from audd_server.context import ServerContext
from audd_server.engine import SAMPLE_RATE, decode_audio
from audd_server.engine import _index as engine_index
from audd_server.store import ingest
from audd_server.synth import encode_audio, synth_track

HELDOUT_BASE = 100_000
CONDITIONS = ["clean", "10dB", "5dB", "0dB", "mp3-64k"]


@dataclass
class Result:
    duration: float
    condition: str
    in_catalog: bool
    true_track: int
    true_offset: float
    top_track: int | None
    top_score: int
    top_offset: float
    accepted_by_default: bool  # the engine's own decision rule
    wall: float
    cpu: float


def track_audio(seed: int, duration: float, cache: Path | None) -> np.ndarray:
    if cache is not None:
        path = cache / f"{seed}_{duration:g}_{SAMPLE_RATE}.npy"
        if path.exists():
            return np.load(path)
    x = synth_track(seed, duration, SAMPLE_RATE)
    if cache is not None:
        np.save(path, x)
    return x


def degrade(clip: np.ndarray, condition: str, rng: np.random.Generator) -> np.ndarray:
    if condition == "clean":
        return clip
    if condition.endswith("dB"):
        snr = float(condition[:-2])
        power = float(np.mean(clip**2))
        noise = rng.standard_normal(len(clip)) * np.sqrt(power / 10 ** (snr / 10))
        return (clip + noise).astype(np.float32)
    if condition == "mp3-64k":
        up = signal.resample_poly(clip, 4, 1).astype(np.float32)
        data = encode_audio(np.clip(up, -1, 1), 44100, "mp3", bitrate=64000)
        return decode_audio(io.BytesIO(data))
    raise ValueError(condition)


def http_latency(
    data_dir: Path,
    catalog: dict[int, np.ndarray],
    titles: dict[int, str],
    n: int,
    clip_seconds: float,
    rng: np.random.Generator,
) -> None:
    """Serve `data_dir` with the real server and time `n` recognize requests of clean clips."""
    ids = list(catalog)
    clips: list[tuple[int, bytes]] = []
    for _ in range(n):
        seed = ids[int(rng.integers(len(ids)))]
        x = catalog[seed]
        a = int(rng.integers(0, len(x) - int(clip_seconds * SAMPLE_RATE)))
        clip = x[a : a + int(clip_seconds * SAMPLE_RATE)]
        up = np.clip(signal.resample_poly(clip, 4, 1), -1, 1).astype(np.float32)
        clips.append((seed, encode_audio(up, 44100, "mp3")))
    with (
        running_server(data_dir) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as http,
    ):

        def one(item: tuple[int, bytes]) -> tuple[float, bool]:
            seed, data = item
            t0 = time.perf_counter()
            resp = http.post("/", data={"api_token": TOKEN}, files={"file": ("clip.mp3", data)})
            wall = time.perf_counter() - t0
            resp.raise_for_status()
            result = resp.json().get("result") or {}
            return wall, result.get("title") == titles[seed]

        for item in clips[:5]:  # warm-up (first-request imports, connection)
            one(item)
        runs = [one(item) for item in clips]
    walls = [1000 * w for w, _ in runs]
    size = sum(len(d) for _, d in clips) / max(1, len(clips)) / 1e3
    print(
        f"query latency {clip_seconds:g} s clips (over HTTP: POST / to the server under uvicorn "
        f"on 127.0.0.1, {len(walls)} sequential requests, {size:.0f} KB MP3 each): "
        f"wall p50 {pct(walls, 50):.1f} ms, p99 {pct(walls, 99):.1f} ms; "
        f"correct {sum(ok for _, ok in runs)}/{len(runs)}"
    )


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tracks", type=int, default=200)
    ap.add_argument("--heldout", type=int, default=50)
    ap.add_argument("--track-seconds", type=float, default=180.0)
    ap.add_argument("--queries", type=int, default=200, help="per condition and duration")
    ap.add_argument("--durations", default="10,5")
    ap.add_argument("--fpr", type=float, default=0.01, help="target held-out false-positive rate")
    ap.add_argument("--cache", default="/tmp/audd-engine-bench-cache")
    ap.add_argument(
        "--data-dir", "--index-dir", default=None, help="server data dir; default: a temporary one"
    )
    ap.add_argument(
        "--http-queries",
        type=int,
        default=200,
        help="recognize requests timed over HTTP (10 s clips); 0 skips the HTTP mode",
    )
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    cache = Path(args.cache) if args.cache else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    durations = [float(d) for d in args.durations.split(",")]
    tmp = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="engine-bench-"))
    print(
        f"# engine benchmark: {args.tracks} catalog + {args.heldout} held-out tracks of "
        f"{args.track_seconds:g} s, {args.queries} queries per condition, {os.cpu_count()} CPUs"
    )

    t0 = time.perf_counter()
    catalog = {s: track_audio(s, args.track_seconds, cache) for s in range(args.tracks)}
    heldout = {
        HELDOUT_BASE + s: track_audio(HELDOUT_BASE + s, args.track_seconds, cache)
        for s in range(args.heldout)
    }
    print(f"synthesis/cache load: {time.perf_counter() - t0:.1f} s")

    ctx = ServerContext.open(Settings(data_dir=tmp))
    idx = ctx.index
    seed_of: dict[int, int] = {}  # store track id -> synth seed
    titles = {s: f"Song {s}" for s in catalog}
    audio_seconds = 0.0
    add_wall = add_cpu = 0.0
    for seed, x in catalog.items():
        w, c = time.perf_counter(), time.process_time()
        track = ingest.add_samples(ctx, x, {"artist": f"Artist {seed}", "title": titles[seed]})
        seed_of[track.id] = seed
        add_wall += time.perf_counter() - w
        add_cpu += time.process_time() - c
        audio_seconds += len(x) / SAMPLE_RATE
    w = time.perf_counter()
    idx.compact()
    compact_wall = time.perf_counter() - w
    stats = idx.stats()
    hours = audio_seconds / 3600
    print(
        f"ingest (store ingest API): {audio_seconds / add_wall:.0f}x real time (wall), "
        f"{audio_seconds / add_cpu:.0f}x (CPU); compact {compact_wall:.2f} s"
    )
    print(
        f"index: {stats['postings']} postings, {stats['disk_bytes'] / 1e6:.1f} MB on disk, "
        f"{stats['disk_bytes'] / hours / 1e6:.2f} MB per hour of audio, "
        f"{stats['postings'] / audio_seconds:.0f} hashes/s"
    )

    rng = np.random.default_rng(args.seed)
    results: list[Result] = []
    for duration in durations:
        for condition in CONDITIONS:
            for in_catalog, pool in ((True, catalog), (False, heldout)):
                ids = list(pool)
                for _ in range(args.queries):
                    tid = ids[int(rng.integers(len(ids)))]
                    x = pool[tid]
                    offset = float(rng.uniform(0, len(x) / SAMPLE_RATE - duration))
                    a = round(offset * SAMPLE_RATE)
                    q = degrade(x[a : a + int(duration * SAMPLE_RATE)].copy(), condition, rng)
                    w, c = time.perf_counter(), time.thread_time()
                    matches = idx.query(q, limit=1)
                    wall, cpu = time.perf_counter() - w, time.thread_time() - c
                    accepted = bool(matches)
                    if not matches:  # the best rejected candidate, for the threshold sweep
                        matches = idx.query(q, limit=1, min_score=0)
                    top = matches[0] if matches else None
                    results.append(
                        Result(
                            duration,
                            condition,
                            in_catalog,
                            tid,
                            a / SAMPLE_RATE,
                            seed_of.get(top.track_id) if top else None,
                            top.score if top else 0,
                            top.track_offset if top else float("nan"),
                            accepted,
                            wall,
                            cpu,
                        )
                    )
    ctx.accounts.create(plan="enterprise", token=TOKEN)
    ctx.close()

    held = [r for r in results if not r.in_catalog]
    scores = sorted((r.top_score for r in held), reverse=True)
    allowed_fp = int(np.floor(args.fpr * len(held)))
    # Smallest threshold with at most `allowed_fp` held-out clips scoring at or above it.
    oracle = (scores[allowed_fp] + 1) if allowed_fp < len(scores) else 0
    default_fp = sum(r.accepted_by_default for r in held) / max(1, len(held))
    default_min = engine_index.DEFAULT_MIN_SCORE
    print(
        f"\nheld-out false positives: default rule (score >= {default_min} + checks) "
        f"{100 * default_fp:.2f} % of {len(held)}; threshold for <= {100 * args.fpr:g} % "
        f"on this run: score >= {oracle}"
    )
    print(
        f"\n{'dur':>4} {'condition':>9} | {'top1 default':>12} {'top1 @thr':>9} | "
        f"{'FP default':>10} {'FP @thr':>7} | {'|dt| p50':>8} {'p95':>6} {'<=0.1s':>6}"
    )
    for duration in durations:
        for condition in CONDITIONS:
            pos = [
                r
                for r in results
                if r.in_catalog and (r.duration, r.condition) == (duration, condition)
            ]
            neg = [
                r
                for r in results
                if not r.in_catalog and (r.duration, r.condition) == (duration, condition)
            ]
            right = [r for r in pos if r.top_track == r.true_track]
            acc_default = sum(r.accepted_by_default for r in right) / len(pos)
            acc_thr = sum(r.top_score >= oracle for r in right) / len(pos)
            fp_default = sum(r.accepted_by_default for r in neg) / len(neg)
            fp_thr = sum(r.top_score >= oracle for r in neg) / len(neg)
            errs = [abs(r.top_offset - r.true_offset) for r in right]
            within = sum(e <= 0.1 for e in errs) / max(1, len(errs))
            print(
                f"{duration:>4g} {condition:>9} | {100 * acc_default:>11.1f}% "
                f"{100 * acc_thr:>8.1f}% | {100 * fp_default:>9.1f}% {100 * fp_thr:>6.1f}% | "
                f"{pct(errs, 50) * 1000:>6.0f}ms {pct(errs, 95) * 1000:>4.0f}ms "
                f"{100 * within:>5.1f}%"
            )
    for duration in durations:
        walls = [1000 * r.wall for r in results if r.duration == duration]
        cpus = [1000 * r.cpu for r in results if r.duration == duration]
        print(
            f"\nquery latency {duration:g} s clips (in process, {len(walls)} queries): "
            f"wall p50 {pct(walls, 50):.1f} ms, p99 {pct(walls, 99):.1f} ms; "
            f"CPU p50 {pct(cpus, 50):.1f} ms, p99 {pct(cpus, 99):.1f} ms"
        )
    if args.http_queries > 0:
        print()
        http_latency(tmp, catalog, titles, args.http_queries, 10.0, rng)
    if not args.data_dir:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

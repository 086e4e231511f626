"""Query latency of the local server over HTTP.

Builds a catalog of N synthetic tracks, starts `python -m audd_server serve` on a loopback port
(a separate process, like a real deployment), then POSTs 10-second MP3 clips to `/` and prints
latency percentiles (sequential and concurrent), throughput and accuracy. The same clips are
first recognized in-process (decode + `ServerContext.match`, what a request does minus HTTP) as
the baseline the HTTP figures are compared with. With
`--enterprise-minutes`, also uploads long files to `/enterprise/` and prints the server's peak
RSS per file length (it should not grow with the length: uploads are spooled to disk and decoded
12 s at a time).

    .venv/bin/python benchmarks/server_http.py [--tracks 200] [--queries 200] [--concurrency 8]
        [--enterprise-minutes 5,20]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import psutil

from audd_cli._local import LocalServer
from audd_server.config import Settings
from audd_server.context import ServerContext
from audd_server.engine import SAMPLE_RATE, decode_audio
from audd_server.store import ingest
from audd_server.synth import encode_audio, synth_track

TOKEN = "bench0123456789abcdef"
CLIP_RATE = 44100


@contextlib.contextmanager
def running_server(data_dir: Path) -> Iterator[LocalServer]:
    """`python -m audd_server serve` on 127.0.0.1 over `data_dir` (a separate process, like a real
    deployment), started by the CLI's own launcher; shared with `benchmarks/engine.py`."""
    with LocalServer(data_dir) as server:
        server.start()
        yield server


def build(data_dir: Path, n: int, seconds: float) -> None:
    ctx = ServerContext.open(Settings(data_dir=data_dir))
    try:
        t0 = time.perf_counter()
        for i in range(n):
            samples = synth_track(1000 + i, seconds, sample_rate=SAMPLE_RATE)
            ingest.add_samples(ctx, samples, {"artist": f"Artist {i}", "title": f"Song {i}"})
        ctx.accounts.create(plan="enterprise", token=TOKEN)
        dt = time.perf_counter() - t0
        print(f"catalog: {n} tracks x {seconds:.0f} s enrolled in {dt:.1f} s (incl. synthesis)")
    finally:
        ctx.close()


def in_process(data_dir: Path, clips: list[tuple[int, bytes]]) -> float:
    """Decode + match each clip without HTTP; prints the figures and returns the p50 (s)."""
    ctx = ServerContext.open(Settings(data_dir=data_dir))
    try:
        account = ctx.accounts.by_token(TOKEN)
        assert account is not None

        def one(item: tuple[int, bytes]) -> tuple[float, bool]:
            i, data = item
            t0 = time.perf_counter()
            samples = decode_audio(io.BytesIO(data), duration=ctx.settings.recognize_seconds)
            matches = ctx.match(samples, account, limit=3)
            track = ctx.track(matches[0].track_id) if matches else None
            return time.perf_counter() - t0, track is not None and track.title == f"Song {i}"

        for item in clips[:5]:  # warm-up
            one(item)
        t0 = time.perf_counter()
        runs = [one(item) for item in clips]
        wall = time.perf_counter() - t0
        latencies = [d for d, _ in runs]
        report("in-process (decode + match)", latencies, wall, sum(ok for _, ok in runs))
        return percentile(latencies, 50)
    finally:
        ctx.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def report(label: str, latencies: list[float], wall: float, correct: int) -> None:
    ms = [x * 1000 for x in latencies]
    print(
        f"{label}: n={len(ms)} p50={percentile(ms, 50):.1f} ms p90={percentile(ms, 90):.1f} ms "
        f"p99={percentile(ms, 99):.1f} ms mean={statistics.mean(ms):.1f} ms "
        f"max={max(ms):.1f} ms | {len(ms) / wall:.1f} req/s | correct {correct}/{len(ms)}"
    )


class PeakRSS:
    """Samples a process's RSS every 20 ms until stopped; returns (start, peak)."""

    def __init__(self, proc: psutil.Process) -> None:
        import threading

        self.proc = proc
        self.start = self.peak = proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(0.02)

    def stop(self) -> tuple[int, int]:
        self._stop.set()
        self._thread.join()
        return self.start, self.peak


def enterprise_memory(base: str, pid: int, minutes: list[int], tracks: int, seconds: float) -> None:
    """Upload files of growing length and sample the server's RSS while each is processed."""
    proc = psutil.Process(pid)
    rate = 22050
    song = np.concatenate(
        [synth_track(1000 + i, seconds, sample_rate=rate) for i in range(min(tracks, 5))]
    )
    for m in minutes:
        reps = int(np.ceil(m * 60 / (song.size / rate)))
        samples = np.tile(song, reps)[: int(m * 60 * rate)]
        with tempfile.NamedTemporaryFile(suffix=".mp3") as f:
            f.write(encode_audio(samples, rate, "mp3"))
            f.flush()
            del samples
            size = os.path.getsize(f.name)
            sampler = PeakRSS(proc)
            t0 = time.perf_counter()
            with open(f.name, "rb") as fh, httpx.Client(base_url=base, timeout=3600) as http:
                resp = http.post(
                    "/enterprise/",
                    data={"api_token": TOKEN},
                    files={"file": ("long.mp3", fh)},
                )
            dt = time.perf_counter() - t0
            base_rss, peak = sampler.stop()
            chunks = len(resp.json().get("result") or [])
            print(
                f"enterprise {m:>3} min ({size / 1e6:.1f} MB mp3): {dt:.1f} s, "
                f"{chunks} chunks with matches, server RSS {base_rss / 1e6:.0f} MB -> "
                f"peak {peak / 1e6:.0f} MB (+{(peak - base_rss) / 1e6:.0f} MB)"
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tracks", type=int, default=200)
    ap.add_argument("--track-seconds", type=float, default=60.0)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--clip-seconds", type=float, default=10.0)
    ap.add_argument(
        "--enterprise-minutes", default="", help="comma list of file lengths, e.g. 5,20"
    )
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="audd-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        build(data_dir, args.tracks, args.track_seconds)
        rng = random.Random(7)
        picks = [
            (rng.randrange(args.tracks), rng.uniform(0, args.track_seconds - args.clip_seconds))
            for _ in range(args.queries)
        ]
        encoded: dict[int, bytes] = {}
        for i in sorted({i for i, _ in picks}):
            song = synth_track(1000 + i, args.track_seconds, sample_rate=CLIP_RATE)
            for q, (j, start) in enumerate(picks):
                if j == i:
                    part = song[
                        int(start * CLIP_RATE) : int((start + args.clip_seconds) * CLIP_RATE)
                    ]
                    encoded[q] = encode_audio(part, CLIP_RATE, "mp3")
        clips = [(i, encoded[q]) for q, (i, _) in enumerate(picks)]
        print(f"queries: {len(clips)} clips of {args.clip_seconds:.0f} s MP3 (44.1 kHz mono)")

        base_p50 = in_process(data_dir, clips)

        with running_server(data_dir) as server:
            base = server.base_url

            def one(http: httpx.Client, item: tuple[int, bytes]) -> tuple[float, bool]:
                i, data = item
                t0 = time.perf_counter()
                resp = http.post("/", data={"api_token": TOKEN}, files={"file": ("clip.mp3", data)})
                dt = time.perf_counter() - t0
                result = resp.json().get("result") or {}
                return dt, result.get("title") == f"Song {i}"

            with httpx.Client(base_url=base, timeout=60) as http:
                for item in clips[:5]:  # warm-up
                    one(http, item)
                t0 = time.perf_counter()
                seq = [one(http, item) for item in clips]
                wall = time.perf_counter() - t0
            report("sequential", [d for d, _ in seq], wall, sum(ok for _, ok in seq))
            http_p50 = percentile([d for d, _ in seq], 50)
            print(f"sequential HTTP p50 / in-process p50 = {http_p50 / base_p50:.2f}")

            limits = httpx.Limits(max_connections=args.concurrency)
            with httpx.Client(base_url=base, timeout=120, limits=limits) as http:
                t0 = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                    par = list(pool.map(lambda item: one(http, item), clips))
                wall = time.perf_counter() - t0
            report(
                f"concurrency {args.concurrency}",
                [d for d, _ in par],
                wall,
                sum(ok for _, ok in par),
            )
            if args.enterprise_minutes:
                minutes = [int(x) for x in args.enterprise_minutes.split(",") if x.strip()]
                enterprise_memory(base, server.pid or 0, minutes, args.tracks, args.track_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

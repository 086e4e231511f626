"""Longpoll benchmark: event latency and the memory of a long-lived subscription.

A loopback longpoll server runs in a child process (Starlette under uvicorn), so its memory
is not counted. Prints:

- latency from the server publishing an event to ``poll.matches`` yielding it, sync and
  async: median and p99 (target: median < 50 ms);
- RSS of this process while one sync handle receives 100,000 events (target: flat).

    .venv/bin/python benchmarks/streams_longpoll.py [--latency-n 500] [--events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx
import psutil

from audd._async._longpoll import AsyncLongpollConsumer
from audd._sync._longpoll import LongpollConsumer

FLOOD_BATCH = 500


# -- server (child process) ---------------------------------------------------------------------


def serve(total: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    events: list[tuple[int, dict[str, Any]]] = []
    changed = asyncio.Event()

    def song(n: int) -> dict[str, Any]:
        return {
            "radio_id": 1,
            "timestamp": "2026-01-01 00:00:00",
            "play_length": 180,
            "results": [
                {
                    "artist": "Benchmark Artist",
                    "title": f"Song {n}",
                    "album": "Benchmarks",
                    "score": 95,
                    "song_link": f"https://lis.tn/song{n}",
                }
            ],
        }

    async def publish(request: Request) -> Response:
        nonlocal changed
        stamp = len(events) + 1
        result = song(stamp)
        result["published_ns"] = time.time_ns()
        events.append((stamp, {"status": "success", "result": result}))
        changed.set()
        changed = asyncio.Event()
        return Response(status_code=204)

    async def longpoll(request: Request) -> JSONResponse:
        category = request.query_params["category"]
        since = int(request.query_params.get("since_time", "0"))
        timeout = float(request.query_params.get("timeout", "50"))
        if category == "flood":
            if since >= total:
                await asyncio.sleep(timeout)
                return JSONResponse({"timeout": "no events before timeout", "timestamp": since})
            upto = min(total, since + FLOOD_BATCH)
            batch = [
                {"timestamp": n, "status": "success", "result": song(n)}
                for n in range(since + 1, upto + 1)
            ]
            return JSONResponse({"events": batch, "timestamp": upto})
        waiter = changed
        if len(events) <= since:
            try:
                await asyncio.wait_for(waiter.wait(), timeout)
            except asyncio.TimeoutError:
                return JSONResponse({"timeout": "no events before timeout", "timestamp": since})
        stamp, body = events[since]  # stamps are 1-based list positions
        return JSONResponse({**body, "timestamp": stamp})

    app = Starlette(
        routes=[
            Route("/publish", publish, methods=["POST"]),
            Route("/longpoll/", longpoll, methods=["GET"]),
        ]
    )
    import socket

    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
    # without it the response body waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def start_server(total: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--events", str(total)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/longpoll/?category=flood&since_time={total}&timeout=0")
            break
        except httpx.TransportError:
            time.sleep(0.02)
    return proc, base


# -- measurements -------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_ms(match: Any) -> float:
    return (time.time_ns() - int(match.model_extra["published_ns"])) / 1e6


def sync_latency(base: str, n: int) -> list[float]:
    samples: list[float] = []
    publisher = httpx.Client(base_url=base)
    with (
        LongpollConsumer("latency", base_url=base) as consumer,
        consumer.iterate(timeout=30, since_time=0) as poll,
    ):
        matches = iter(poll.matches)
        publisher.post("/publish")
        next(matches)  # warm-up: connection set up, first poll held
        for _ in range(n):
            publisher.post("/publish")
            samples.append(latency_ms(next(matches)))
    publisher.close()
    return samples


async def async_latency(base: str, n: int, start_since: int) -> list[float]:
    samples: list[float] = []
    async with (
        httpx.AsyncClient(base_url=base) as publisher,
        AsyncLongpollConsumer("latency", base_url=base) as consumer,
        consumer.iterate(timeout=30, since_time=start_since) as poll,
    ):
        matches = aiter(poll.matches)
        await publisher.post("/publish")
        await anext(matches)
        for _ in range(n):
            await publisher.post("/publish")
            samples.append(latency_ms(await anext(matches)))
    return samples


def flood_memory(base: str, total: int) -> list[tuple[int, float]]:
    process = psutil.Process(os.getpid())
    readings: list[tuple[int, float]] = []
    step = max(1, total // 10)
    with (
        LongpollConsumer("flood", base_url=base) as consumer,
        consumer.iterate(timeout=5, since_time=0) as poll,
    ):
        for received, _ in enumerate(poll.matches, start=1):
            if received == 1000 or received % step == 0:
                gc.collect()
                readings.append((received, process.memory_info().rss / 2**20))
            if received >= total:
                break
    return readings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--latency-n", type=int, default=500)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    if args.serve:
        serve(args.events)
        return

    proc, base = start_server(args.events)
    try:
        for label, run in (
            ("sync ", lambda: sync_latency(base, args.latency_n)),
            (
                "async",
                lambda: asyncio.run(async_latency(base, args.latency_n, args.latency_n + 1)),
            ),
        ):
            samples = run()
            print(
                f"latency {label} publish → poll.matches: n={len(samples)} "
                f"median={statistics.median(samples):.2f} ms "
                f"p99={percentile(samples, 0.99):.2f} ms max={max(samples):.2f} ms"
            )

        started = time.perf_counter()
        readings = flood_memory(base, args.events)
        elapsed = time.perf_counter() - started
        received = readings[-1][0]
        print(
            f"flood: {received} events in {elapsed:.1f} s "
            f"({received / elapsed:,.0f} events/s), sync handle"
        )
        for count, rss in readings:
            print(f"  RSS after {count:>7,} events: {rss:7.1f} MiB")
        growth = readings[-1][1] - readings[0][1]
        print(f"  RSS growth from 1,000 to {received:,} events: {growth:+.1f} MiB")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()

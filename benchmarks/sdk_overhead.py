"""SDK overhead: median latency of ``recognize(url)`` vs a bare httpx POST of the same form.

Both go to the same loopback drain server (child process) over a keep-alive connection;
sync and async. Target: SDK / bare <= 1.5x.

    .venv/bin/python benchmarks/sdk_overhead.py [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from sdk_upload_memory import start_server

from audd import AsyncAudD, AudD

URL = "https://audd.tech/example.mp3"
TOKEN = "bench-token"


def time_sync(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


async def time_async(call: Callable[[], Awaitable[object]], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def report(label: str, sdk: list[float], bare: list[float]) -> None:
    sdk_ms, bare_ms = statistics.median(sdk) * 1e3, statistics.median(bare) * 1e3
    ratio = sdk_ms / bare_ms
    verdict = "OK" if ratio <= 1.5 else "OVER TARGET"
    print(
        f"{label:6s} median recognize(url) {sdk_ms:7.3f} ms | bare httpx POST {bare_ms:7.3f} ms"
        f" | ratio {ratio:4.2f}x {verdict} (target <= 1.5x)"
    )


def bench_sync(base: str, n: int, rounds: int) -> None:
    form = {"url": URL, "api_token": TOKEN}
    sdk_samples: list[float] = []
    bare_samples: list[float] = []
    with AudD(TOKEN, base_url=base) as client, httpx.Client() as http:
        for _ in range(50):  # warm-up
            client.recognize(URL)
            http.post(base + "/", data=form)
        for _ in range(rounds):  # interleaved so drift affects both alike
            sdk_samples += time_sync(lambda: client.recognize(URL), n // rounds)
            bare_samples += time_sync(lambda: http.post(base + "/", data=form).json(), n // rounds)
    report("sync", sdk_samples, bare_samples)


async def bench_async(base: str, n: int, rounds: int) -> None:
    form = {"url": URL, "api_token": TOKEN}
    sdk_samples: list[float] = []
    bare_samples: list[float] = []

    async def bare() -> object:
        return (await http.post(base + "/", data=form)).json()

    async with AsyncAudD(TOKEN, base_url=base) as client, httpx.AsyncClient() as http:
        for _ in range(50):
            await client.recognize(URL)
            await bare()
        for _ in range(rounds):
            sdk_samples += await time_async(lambda: client.recognize(URL), n // rounds)
            bare_samples += await time_async(bare, n // rounds)
    report("async", sdk_samples, bare_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="requests per variant")
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    server, port = start_server()
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"{args.n} sequential requests per variant, loopback server {base}")
        bench_sync(base, args.n, args.rounds)
        asyncio.run(bench_async(base, args.n, args.rounds))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

"""Concurrency: 500 ``AsyncAudD.recognize`` calls with 50 in flight vs bare ``httpx.AsyncClient``.

Loopback drain server in a child process. Reports calls/s and the SDK/bare ratio (target >= 0.8).

    .venv/bin/python benchmarks/sdk_concurrency.py [--calls 500] [--in-flight 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from sdk_upload_memory import start_server

from audd import AsyncAudD

URL = "https://audd.tech/example.mp3"
TOKEN = "bench-token"


async def run_batch(call: Callable[[], Awaitable[object]], calls: int, in_flight: int) -> float:
    """Calls per second for ``calls`` calls with at most ``in_flight`` concurrent."""
    semaphore = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with semaphore:
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    return calls / (time.perf_counter() - started)


async def bench(base: str, calls: int, in_flight: int, rounds: int) -> None:
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    form = {"url": URL, "api_token": TOKEN}
    sdk_rates: list[float] = []
    bare_rates: list[float] = []
    async with (
        httpx.AsyncClient(limits=limits) as sdk_http,
        httpx.AsyncClient(limits=limits) as bare_http,
    ):
        client = AsyncAudD(TOKEN, base_url=base, httpx_client=sdk_http)

        async def bare() -> object:
            return (await bare_http.post(base + "/", data=form)).json()

        async def sdk() -> object:
            return await client.recognize(URL)

        await run_batch(sdk, in_flight * 2, in_flight)  # warm-up: open the connections
        await run_batch(bare, in_flight * 2, in_flight)
        for _ in range(rounds):
            sdk_rates.append(await run_batch(sdk, calls, in_flight))
            bare_rates.append(await run_batch(bare, calls, in_flight))
    sdk_rate, bare_rate = statistics.median(sdk_rates), statistics.median(bare_rates)
    # Batches run back to back in pairs; the median of per-pair ratios resists machine noise.
    ratio = statistics.median(s / b for s, b in zip(sdk_rates, bare_rates, strict=True))
    verdict = "OK" if ratio >= 0.8 else "UNDER TARGET"
    print(
        f"AsyncAudD.recognize: {sdk_rate:7.0f} calls/s | bare httpx.AsyncClient: "
        f"{bare_rate:7.0f} calls/s | median per-pair ratio {ratio:4.2f} {verdict} (target >= 0.8)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=9, help="median over this many batches")
    args = parser.parse_args()
    server, port = start_server()
    base = f"http://127.0.0.1:{port}"
    try:
        print(f"{args.calls} calls, {args.in_flight} in flight, median of {args.rounds}, {base}")
        asyncio.run(bench(base, args.calls, args.in_flight, args.rounds))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

"""Peak RSS growth while uploading a 200 MB source through `AudD.recognize` (loopback only).

A drain server runs in a child process on 127.0.0.1; each scenario runs in its own fresh
process that samples its RSS every millisecond during the upload. Targets: ``bytes`` growth
< 10 % of the payload, ``Path`` growth < 20 MB.

    .venv/bin/python benchmarks/sdk_upload_memory.py [--mb 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RESPONSE_BODY = b'{"status":"success","result":null}'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(RESPONSE_BODY)).encode()
    + b"\r\n\r\n"
    + RESPONSE_BODY
)


# -- drain server (child process) ------------------------------------------------------------


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(b":") for line in head.split(b"\r\n")[1:])
                if k
            }
            if b"content-length" in headers:
                remaining = int(headers[b"content-length"])
                while remaining:
                    chunk = await reader.read(min(remaining, 1 << 20))
                    if not chunk:
                        return
                    remaining -= len(chunk)
            elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                while True:
                    size = int((await reader.readline()).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _serve() -> None:
    server = await asyncio.start_server(_handle, "127.0.0.1", 0, limit=1 << 20, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def start_server() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


# -- one scenario (child process) ------------------------------------------------------------


class PeakRSS:
    """Samples this process's RSS every millisecond; ``peak`` is the maximum seen."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        return int(self._proc.memory_info().rss)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.001)

    def __enter__(self) -> PeakRSS:
        self.peak = self.rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def run_scenario(scenario: str, port: int, size: int, path: str) -> None:
    import httpx

    from audd import AsyncAudD, AudD

    base = f"http://127.0.0.1:{port}"
    payload: bytes | Path
    if scenario.startswith("bytes") or scenario == "httpx-files":
        payload = b"\x01" * size  # memset: every page is resident before measuring
    else:
        payload = Path(path)

    # Warm up every code path with a tiny upload so lazy imports don't count.
    with AudD("bench", base_url=base, max_retries=1) as client:
        client.recognize(b"warm-up")
    with httpx.Client() as http:
        http.post(base + "/", files={"file": ("a", b"warm")}, data={"api_token": "x"})

    sampler = PeakRSS()
    baseline = sampler.rss()
    with sampler:
        if scenario in ("bytes", "path"):
            with AudD("bench", base_url=base, max_retries=1) as client:
                client.recognize(payload)
        elif scenario in ("bytes-async", "path-async"):

            async def go() -> None:
                async with AsyncAudD("bench", base_url=base, max_retries=1) as client:
                    await client.recognize(payload)

            asyncio.run(go())
        elif scenario == "httpx-files":
            assert isinstance(payload, bytes)
            with httpx.Client() as http:
                http.post(base + "/", files={"file": ("upload.bin", payload)})
    growth = sampler.peak - baseline
    print(f"{growth}")


# -- driver ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=200, help="payload size in MiB")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.mb * 1024 * 1024
    if args.serve:
        asyncio.run(_serve())
        return
    if args.scenario:
        run_scenario(args.scenario, args.port, size, args.path)
        return

    server, port = start_server()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "payload.bin")
            with open(path, "wb") as handle:
                block = b"\x02" * (1 << 20)
                for _ in range(args.mb):
                    handle.write(block)
            print(f"payload: {args.mb} MiB, server 127.0.0.1:{port}")
            scenarios = [
                ("bytes", "AudD.recognize(bytes)", size * 0.10),
                ("bytes-async", "AsyncAudD.recognize(bytes)", size * 0.10),
                ("path", "AudD.recognize(Path)", 20 * 2**20),
                ("path-async", "AsyncAudD.recognize(Path)", 20 * 2**20),
                ("httpx-files", "reference: bare httpx files=(bytes)", None),
            ]
            for scenario, label, limit in scenarios:
                started = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, __file__, "--scenario", scenario, "--port", str(port),
                     "--path", path, "--mb", str(args.mb)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                seconds = time.perf_counter() - started
                growth = int(out.stdout.strip().splitlines()[-1])
                verdict = ""
                if limit is not None:
                    verdict = "OK" if growth < limit else "OVER TARGET"
                    verdict += f" (target < {limit / 2**20:.1f} MiB)"
                print(
                    f"{label:40s} peak RSS growth {growth / 2**20:8.1f} MiB "
                    f"({100 * growth / size:5.1f}% of payload) {verdict}  [{seconds:.1f}s]"
                )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

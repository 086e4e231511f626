"""``import audd`` wall time in fresh interpreters, with ``import httpx, pydantic`` beside it.

.venv/bin/python benchmarks/import_time.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SNIPPET = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def measure(stmt: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", SNIPPET.format(stmt=stmt)],
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    base = measure("import httpx, pydantic", args.runs)
    full = measure("import audd", args.runs)
    after = measure("import httpx, pydantic; t = time.perf_counter(); import audd", args.runs)
    models = measure("import httpx, pydantic, anyio; from pydantic import BaseModel", args.runs)
    after_models = measure(
        "import httpx, pydantic, anyio; from pydantic import BaseModel; "
        "t = time.perf_counter(); import audd",
        args.runs,
    )
    print(f"median of {args.runs} fresh interpreters")
    print(f"import httpx, pydantic          {base:7.1f} ms")
    print(f"import audd                     {full:7.1f} ms (includes httpx, pydantic, anyio)")
    print(
        f"import audd after httpx+pydantic {after:6.1f} ms (SDK + pydantic's BaseModel machinery)"
    )
    print(f"import httpx, pydantic, anyio + BaseModel {models:6.1f} ms")
    print(f"import audd after all of those  {after_models:7.1f} ms (the SDK's own modules)")


if __name__ == "__main__":
    main()

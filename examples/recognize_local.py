"""Recognize a clip with the SDK against a local AudD-compatible server.

Start one first (it prints a token and the URLs to export):

    audd demo --keep

then, in another terminal:

    python examples/recognize_local.py path/to/clip.mp3
"""

from __future__ import annotations

import os
import sys

from audd import AudD, AudDError


def main() -> int:
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} CLIP", file=sys.stderr)
        return 2
    base_url = os.environ.get("AUDD_BASE_URL", "http://127.0.0.1:8080")
    # The token comes from AUDD_API_TOKEN (see `audd demo --keep`).
    with AudD(base_url=base_url, enterprise_base_url=f"{base_url}/enterprise") as audd:
        try:
            result = audd.recognize(sys.argv[1])
        except AudDError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if result is None:
        print("no match")
        return 1
    print(f"{result.artist} — {result.title} @ {result.timecode}")
    print("song page:", result.song_link)
    return 0


if __name__ == "__main__":
    sys.exit(main())

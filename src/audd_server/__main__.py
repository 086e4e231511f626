"""`python -m audd_server` / the `audd-server` console script."""

from __future__ import annotations

import sys

from audd_server.cli import main

if __name__ == "__main__":
    sys.exit(main())

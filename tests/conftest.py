"""Repository-wide test configuration (SDK helpers live in tests/sdk/sdk_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES_DIR = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """tests/fixtures: the wire fixtures copied from the spec."""
    return FIXTURES_DIR

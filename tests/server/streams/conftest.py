"""Fixtures for live-stream tests (helpers in `stream_helpers.py` and `radio.py`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_helpers import build_stream_catalog


@pytest.fixture(scope="session")
def stream_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("streams") / "data"
    return path, build_stream_catalog(path)


@pytest.fixture
def stream_data_dir(stream_template: tuple[Path, dict[str, int]], tmp_path: Path) -> Path:
    path = tmp_path / "data"
    shutil.copytree(stream_template[0], path)
    return path

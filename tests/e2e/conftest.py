"""End-to-end fixtures: the real local server under uvicorn on 127.0.0.1, driven by the real SDK.

The data dir (deterministic synthetic songs + tokens) is built once per session by the server
test helpers and copied for each test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_fixtures import (  # noqa: F401  (pytest fixtures re-exported for this directory)
    TOKEN_ENTERPRISE,
    TOKEN_STANDARD,
    LiveServer,
    data_dir,
    live_server,
    live_server_factory,
    template_dir,
    track_ids,
)

from audd import AsyncAudD, AudD


@pytest.fixture
def audd(live_server: LiveServer) -> Iterator[AudD]:
    """A sync client with the enterprise-plan token, pointed at the live server."""
    with AudD(
        TOKEN_ENTERPRISE,
        base_url=live_server.base_url,
        enterprise_base_url=live_server.enterprise_base_url,
        max_retries=1,
    ) as client:
        yield client


@pytest.fixture
def async_audd(live_server: LiveServer) -> AsyncAudD:
    """An async client with the enterprise-plan token (closed by the test)."""
    return AsyncAudD(
        TOKEN_ENTERPRISE,
        base_url=live_server.base_url,
        enterprise_base_url=live_server.enterprise_base_url,
        max_retries=1,
    )


@pytest.fixture
def standard_audd(live_server: LiveServer) -> Iterator[AudD]:
    """A sync client with the standard-plan token (no custom catalog)."""
    with AudD(
        TOKEN_STANDARD,
        base_url=live_server.base_url,
        enterprise_base_url=live_server.enterprise_base_url,
        max_retries=1,
    ) as client:
        yield client

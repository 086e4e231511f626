"""Fixtures of the SDK tests: the sync/async twin harness and a clean environment."""

from __future__ import annotations

import pytest
from sdk_helpers import Twin


@pytest.fixture(params=["sync", "async"])
def twin(request: pytest.FixtureRequest) -> Twin:
    """Each test using it runs once on `AudD` and once on `AsyncAudD`."""
    return Twin(request.param)


@pytest.fixture(autouse=True)
def _no_audd_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """SDK tests never pick up a developer's real token or base URLs."""
    for name in ("AUDD_API_TOKEN", "AUDD_BASE_URL", "AUDD_ENTERPRISE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)

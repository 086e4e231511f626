"""Streams namespace of the sync client (placeholder until the streams work lands)."""

from __future__ import annotations

from typing import Any


class Streams:
    """Stream management, callbacks and longpoll for `AudD`."""

    def __init__(self, client: Any) -> None:
        self._client = client

"""Streams namespace of the async client (placeholder until the streams work lands)."""

from __future__ import annotations

from typing import Any


class AsyncStreams:
    """Stream management, callbacks and longpoll for `AsyncAudD`."""

    def __init__(self, client: Any) -> None:
        self._client = client

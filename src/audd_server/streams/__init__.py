"""Live stream ingestion: workers that pull stream audio, recognize it and publish events.

Placeholder supervisor until the live-stream work lands; see docs/ARCHITECTURE.md for the contract.
"""

from __future__ import annotations

from typing import Any


class StreamSupervisor:
    """Owns one worker per stored stream; told about every stream change by the API."""

    def __init__(self, ctx: Any) -> None:
        self._ctx = ctx

    async def start(self) -> None:
        """Start workers for every stream already stored."""

    async def stream_added(self, account_id: int, radio_id: int) -> None:
        """A stream was added."""

    async def stream_updated(self, account_id: int, radio_id: int) -> None:
        """A stream's URL changed."""

    async def stream_deleted(self, account_id: int, radio_id: int) -> None:
        """A stream was deleted."""

    async def stop(self) -> None:
        """Stop every worker."""

"""Per-category event log behind `/longpoll/`: persisted in SQLite, waiters woken in memory.

Workers append from any thread; each append gets a millisecond timestamp strictly greater than
every timestamp handed out before (by `append` or `now`), so `since_time` never skips an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from typing import Any

from audd_server.store.db import Database

Event = tuple[int, dict[str, Any]]


class EventLog:
    """Thread-safe append; async wait with wake-ups via `loop.call_soon_threadsafe`."""

    def __init__(
        self, db: Database, *, keep_per_category: int = 1000, max_age_seconds: float = 7 * 86400
    ) -> None:
        self._db = db
        self._keep = keep_per_category
        self._max_age_ms = int(max_age_seconds * 1000)
        self._lock = threading.Lock()
        row = db.query_one("SELECT MAX(ts) AS ts FROM events")
        self._last = int(row["ts"]) if row is not None and row["ts"] is not None else 0
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def _tick(self, strictly_after: bool) -> int:
        now = int(time.time() * 1000)
        with self._lock:
            ts = max(now, self._last + 1) if strictly_after else max(now, self._last)
            self._last = ts
            return ts

    def now(self) -> int:
        """Current server time in ms; every later `append` returns a strictly larger value."""
        return self._tick(strictly_after=False)

    def append(self, category: str, body: dict[str, Any]) -> int:
        """Store an event and wake waiters on `category`; returns its timestamp (ms)."""
        data = json.dumps(body, ensure_ascii=False)
        # The timestamp is taken and the row written under one lock so that rows become visible
        # in timestamp order: a reader never sees ts=N+1 before ts=N is committed.
        with self._lock:
            now = int(time.time() * 1000)
            ts = max(now, self._last + 1)
            self._last = ts
            with self._db.transaction() as conn:
                conn.execute(
                    "INSERT INTO events(category, ts, body) VALUES (?, ?, ?)", (category, ts, data)
                )
                conn.execute(
                    "DELETE FROM events WHERE category = ? AND (ts < ? OR id NOT IN "
                    "(SELECT id FROM events WHERE category = ? ORDER BY ts DESC LIMIT ?))",
                    (category, ts - self._max_age_ms, category, self._keep),
                )
            waiters = list(self._waiters.get(category, ()))
        for loop, event in waiters:
            # A closed loop has nobody waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(event.set)
        return ts

    def since(self, category: str, since_ms: int) -> list[Event]:
        """Retained events of `category` newer than `since_ms`, oldest first."""
        rows = self._db.query(
            "SELECT ts, body FROM events WHERE category = ? AND ts > ? ORDER BY ts",
            (category, since_ms),
        )
        return [(int(r["ts"]), json.loads(r["body"])) for r in rows]

    async def wait(self, category: str, since_ms: int, timeout: float) -> list[Event]:
        """Events newer than `since_ms`, waiting up to `timeout` s for one; [] on timeout.

        Cancellation (client disconnect) removes the waiter, so nothing leaks.
        """
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        entry = (loop, event)
        with self._lock:
            self._waiters.setdefault(category, set()).add(entry)
        try:
            deadline = loop.time() + timeout
            while True:
                found = self.since(category, since_ms)
                if found:
                    return found
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                event.clear()
                # Re-check after clear: an append between since() and clear() is not lost.
                found = self.since(category, since_ms)
                if found:
                    return found
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except asyncio.TimeoutError:
                    return []
        finally:
            with self._lock:
                waiters = self._waiters.get(category)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._waiters[category]

    def waiter_count(self) -> int:
        """Number of pending waiters (for tests and diagnostics)."""
        with self._lock:
            return sum(len(w) for w in self._waiters.values())

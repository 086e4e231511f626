"""Streams per account (radio_id → url, callbacks mode, running flag) and the longpoll category."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass

from audd_server.store.db import Database


def longpoll_category(api_token: str, radio_id: int) -> str:
    """`md5_hex(md5_hex(api_token) + str(radio_id))[:9]`, as the real service derives it."""
    inner = hashlib.md5(api_token.encode()).hexdigest()
    return hashlib.md5((inner + str(radio_id)).encode()).hexdigest()[:9]


@dataclass(frozen=True)
class Stream:
    account_id: int
    radio_id: int
    url: str
    callbacks_before: bool
    running: bool
    token: str  # the owning account's api_token (to derive the longpoll category)

    @property
    def category(self) -> str:
        return longpoll_category(self.token, self.radio_id)

    def to_api(self) -> dict[str, object]:
        """The `getStreams` item."""
        return {
            "radio_id": self.radio_id,
            "url": self.url,
            "stream_running": self.running,
            "longpoll_category": self.category,
        }


_SELECT = (
    "SELECT s.account_id, s.radio_id, s.url, s.callbacks_before, s.running, a.token "
    "FROM streams s JOIN accounts a ON a.id = s.account_id"
)


def _row(r: sqlite3.Row) -> Stream:
    return Stream(
        account_id=int(r["account_id"]),
        radio_id=int(r["radio_id"]),
        url=str(r["url"]),
        callbacks_before=bool(r["callbacks_before"]),
        running=bool(r["running"]),
        token=str(r["token"]),
    )


class StreamStore:
    """CRUD over `streams`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, account_id: int, radio_id: int, url: str, *, callbacks_before: bool) -> bool:
        """Insert or replace the stream; True if it is new."""
        with self._db.transaction() as conn:
            existed = conn.execute(
                "SELECT 1 FROM streams WHERE account_id = ? AND radio_id = ?",
                (account_id, radio_id),
            ).fetchone()
            conn.execute(
                "INSERT INTO streams(account_id, radio_id, url, callbacks_before, running, created)"
                " VALUES (?,?,?,?,0,?) ON CONFLICT(account_id, radio_id) DO UPDATE SET "
                "url = excluded.url, callbacks_before = excluded.callbacks_before",
                (account_id, radio_id, url, int(callbacks_before), time.time()),
            )
        return existed is None

    def get(self, account_id: int, radio_id: int) -> Stream | None:
        row = self._db.query_one(
            _SELECT + " WHERE s.account_id = ? AND s.radio_id = ?", (account_id, radio_id)
        )
        return None if row is None else _row(row)

    def list(self, account_id: int | None = None) -> list[Stream]:
        """One account's streams, or every stored stream when `account_id` is None."""
        if account_id is None:
            rows = self._db.query(_SELECT + " ORDER BY s.account_id, s.radio_id")
        else:
            rows = self._db.query(
                _SELECT + " WHERE s.account_id = ? ORDER BY s.radio_id", (account_id,)
            )
        return [_row(r) for r in rows]

    def count(self, account_id: int) -> int:
        row = self._db.query_one(
            "SELECT COUNT(*) AS n FROM streams WHERE account_id = ?", (account_id,)
        )
        return 0 if row is None else int(row["n"])

    def set_url(self, account_id: int, radio_id: int, url: str) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE streams SET url = ? WHERE account_id = ? AND radio_id = ?",
                (url, account_id, radio_id),
            )
        return cur.rowcount > 0

    def set_running(self, account_id: int, radio_id: int, running: bool) -> None:
        """Workers report whether the stream is currently being received."""
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE streams SET running = ? WHERE account_id = ? AND radio_id = ?",
                (int(running), account_id, radio_id),
            )

    def delete(self, account_id: int, radio_id: int) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "DELETE FROM streams WHERE account_id = ? AND radio_id = ?",
                (account_id, radio_id),
            )
        return cur.rowcount > 0

"""Checkpoints of each stream's open play, so a restart neither repeats nor loses a report.

Kept in the server's SQLite database, in a table of its own created on first use.
"""

from __future__ import annotations

import json
from typing import Any

from audd_server.store.db import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stream_state (
    account_id INTEGER NOT NULL,
    radio_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (account_id, radio_id)
)
"""


class StreamStateStore:
    """`(account_id, radio_id)` → JSON checkpoint of the stream's play tracker."""

    def __init__(self, db: Database) -> None:
        self._db = db
        with db.transaction() as conn:
            conn.execute(_SCHEMA)

    def load(self, account_id: int, radio_id: int) -> dict[str, Any] | None:
        row = self._db.query_one(
            "SELECT state FROM stream_state WHERE account_id = ? AND radio_id = ?",
            (account_id, radio_id),
        )
        if row is None:
            return None
        value = json.loads(row["state"])
        return value if isinstance(value, dict) else None

    def save(self, account_id: int, radio_id: int, state: dict[str, Any] | None) -> None:
        with self._db.transaction() as conn:
            if state is None:
                conn.execute(
                    "DELETE FROM stream_state WHERE account_id = ? AND radio_id = ?",
                    (account_id, radio_id),
                )
            else:
                conn.execute(
                    "INSERT INTO stream_state(account_id, radio_id, state) VALUES (?,?,?) "
                    "ON CONFLICT(account_id, radio_id) DO UPDATE SET state = excluded.state",
                    (account_id, radio_id, json.dumps(state)),
                )

    def delete(self, account_id: int, radio_id: int) -> None:
        self.save(account_id, radio_id, None)

"""SQLite database: one file, WAL mode, one connection per thread, schema migrations.

Every store object shares one `Database`; connections are opened lazily per thread (the event
loop thread and worker threads each get their own) and all closed by `close()`.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    standard INTEGER NOT NULL DEFAULT 1,
    enterprise INTEGER NOT NULL DEFAULT 0,
    enterprise_url INTEGER NOT NULL DEFAULT 0,
    custom_catalog INTEGER NOT NULL DEFAULT 0,
    stream_slots INTEGER NOT NULL DEFAULT 0,
    daily_limit INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    callback_url TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS usage (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, day)
);
CREATE TABLE IF NOT EXISTS tracks (
    id INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    audio_id INTEGER,
    artist TEXT, title TEXT, album TEXT, release_date TEXT, label TEXT,
    isrc TEXT, upc TEXT, song_link TEXT, lyrics TEXT,
    providers TEXT NOT NULL DEFAULT '{}',
    source TEXT,
    duration REAL,
    hashes INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS tracks_custom ON tracks(account_id, audio_id)
    WHERE account_id IS NOT NULL;
CREATE VIRTUAL TABLE IF NOT EXISTS lyrics_fts USING fts5(artist, title, lyrics);
CREATE TABLE IF NOT EXISTS streams (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    radio_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    callbacks_before INTEGER NOT NULL DEFAULT 0,
    running INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    PRIMARY KEY (account_id, radio_id)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    category TEXT NOT NULL,
    ts INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_category_ts ON events(category, ts);
-- Bumped by every change to which tracks exist or who owns them, whichever process makes it:
-- a server compares it to know when its track → owner map is stale.
CREATE TABLE IF NOT EXISTS catalog_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO catalog_version(id, version) VALUES (1, 0);
CREATE TRIGGER IF NOT EXISTS tracks_version_insert AFTER INSERT ON tracks
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER IF NOT EXISTS tracks_version_delete AFTER DELETE ON tracks
BEGIN UPDATE catalog_version SET version = version + 1; END;
CREATE TRIGGER IF NOT EXISTS tracks_version_owner AFTER UPDATE OF id, account_id ON tracks
BEGIN UPDATE catalog_version SET version = version + 1; END;
"""


class Database:
    """Owns the SQLite file; hands each thread its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._closed = False
        conn = self.connect()
        # executescript commits on its own; the statements are idempotent.
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        with self._lock:
            if self._closed:
                raise RuntimeError("database is closed")
            # check_same_thread=False only so close() can close every connection from one thread;
            # each connection is still used by its own thread only.
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._all.append(conn)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT (ROLLBACK on error) on this thread's connection."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        return self.connect().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.connect().execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

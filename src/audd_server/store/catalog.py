"""Catalog metadata: public tracks and per-account custom-catalog slots, lyrics full-text search.

A track's SQLite rowid is its fingerprint-index `track_id`, so public tracks and every account's
custom tracks share one index; `allowed_for(account_id)` builds the mask the index filters with.
"""

from __future__ import annotations

import builtins
import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audd_server.store.db import Database

# Provider blocks a track may carry; `return=` names outside this set are ignored.
PROVIDERS = ("apple_music", "spotify", "deezer", "napster", "musicbrainz")
# Plain metadata columns, in response order.
META_FIELDS = ("artist", "title", "album", "release_date", "label", "isrc", "upc", "song_link")

_PUBLIC = 0
_NONE = -1


@dataclass(frozen=True)
class Track:
    id: int
    account_id: int | None
    audio_id: int | None
    artist: str | None = None
    title: str | None = None
    album: str | None = None
    release_date: str | None = None
    label: str | None = None
    isrc: str | None = None
    upc: str | None = None
    song_link: str | None = None
    lyrics: str | None = None
    providers: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    duration: float | None = None
    hashes: int = 0

    @property
    def is_custom(self) -> bool:
        return self.account_id is not None

    def link(self, base_url: str) -> str:
        """`song_link`: the stored one, else this server's `/song/<id>` page."""
        return self.song_link or f"{base_url.rstrip('/')}/song/{self.id}"

    def song(
        self,
        *,
        base_url: str,
        providers: Iterable[str] = (),
        isrc_upc: bool = False,
    ) -> dict[str, Any]:
        """The public-catalog song object (artist, title, …, song_link, provider blocks).

        Empty metadata is omitted; `isrc`/`upc` only with `isrc_upc` (enterprise responses).
        """
        out: dict[str, Any] = {}
        for name in ("artist", "title", "album", "release_date", "label"):
            value = getattr(self, name)
            if name in ("artist", "title") or value:
                out[name] = value or ""
        if isrc_upc:
            if self.isrc:
                out["isrc"] = self.isrc
            if self.upc:
                out["upc"] = self.upc
        out["song_link"] = self.link(base_url)
        for p in providers:
            if p in PROVIDERS and p in self.providers and p not in out:
                out[p] = self.providers[p]
        return out


def parse_return(value: str | None) -> list[str]:
    """`return=apple_music,spotify` → known provider names, in order, unknown ones dropped."""
    if not value:
        return []
    seen: list[str] = []
    for part in value.split(","):
        name = part.strip().lower()
        if name in PROVIDERS and name not in seen:
            seen.append(name)
    return seen


def _row_to_track(row: sqlite3.Row) -> Track:
    return Track(
        id=int(row["id"]),
        account_id=row["account_id"],
        audio_id=row["audio_id"],
        artist=row["artist"],
        title=row["title"],
        album=row["album"],
        release_date=row["release_date"],
        label=row["label"],
        isrc=row["isrc"],
        upc=row["upc"],
        song_link=row["song_link"],
        lyrics=row["lyrics"],
        providers=json.loads(row["providers"] or "{}"),
        source=row["source"],
        duration=row["duration"],
        hashes=int(row["hashes"]),
    )


def _fts_query(q: str, joiner: str) -> str:
    words = re.findall(r"\w+", q)
    return joiner.join('"' + w.replace('"', "") + '"' for w in words)


class CatalogStore:
    """Tracks table + owner map (track_id → public / account) used for index filtering."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._owner = np.zeros(0, dtype=np.int64)
        self._version = -1
        self._reload_owner()

    # -- owner map ---------------------------------------------------------------------------
    # track_id → public / account id, as of `catalog_version` `_version`. Other processes
    # (`audd-server catalog add/remove`) change the tracks table too: a changed version means
    # the map is stale; this process's own changes advance it in place.

    def _current_version(self) -> int:
        row = self._db.query_one("SELECT version FROM catalog_version WHERE id = 1")
        return 0 if row is None else int(row["version"])

    def _reload_owner(self) -> None:
        conn = self._db.connect()
        conn.execute("BEGIN")  # one snapshot for the version and the rows
        try:
            version = self._current_version()
            rows = conn.execute("SELECT id, account_id FROM tracks").fetchall()
        finally:
            conn.execute("COMMIT")
        size = max((int(r["id"]) for r in rows), default=0) + 1
        owner = np.full(size + 1024, _NONE, dtype=np.int64)
        for r in rows:
            owner[int(r["id"])] = _PUBLIC if r["account_id"] is None else int(r["account_id"])
        with self._lock:
            self._owner = owner
            self._version = version

    def _sync_owner(self) -> None:
        if self._current_version() != self._version:
            self._reload_owner()

    def _set_owner(self, track_id: int, owner_value: int, version: int) -> None:
        """Record this process's own change, committed as catalog `version`."""
        with self._lock:
            owner = self._owner
            if track_id >= len(owner):
                grown = np.full(max(track_id + 1024, 2 * len(owner)), _NONE, dtype=np.int64)
                grown[: len(owner)] = owner
                owner = grown
            owner[track_id] = owner_value
            self._owner = owner
            if version == self._version + 1:
                # Nothing else changed in between; otherwise the next sync reloads.
                self._version = version

    def allowed_for(self, account_id: int | None) -> Callable[[np.ndarray], np.ndarray]:
        """Mask for `Index.query(allowed=…)`: public tracks + this account's custom ones.

        Make one per query: its first call checks that the owner map is current, after the
        index has caught up, so a track another process added is known by then."""
        synced = False

        def allowed(ids: np.ndarray) -> np.ndarray:
            nonlocal synced
            if not synced:
                synced = True
                self._sync_owner()
            ids = np.asarray(ids, dtype=np.int64)
            owner = self._owner
            if ids.size and int(ids.max()) >= len(owner):
                # A track whose row was committed after the sync above: re-read.
                self._reload_owner()
                owner = self._owner
            inside = (ids >= 0) & (ids < len(owner))
            values = np.full(ids.shape, _NONE, dtype=np.int64)
            values[inside] = owner[ids[inside]]
            mask = values == _PUBLIC
            if account_id is not None:
                mask |= values == account_id
            return np.asarray(mask, dtype=bool)

        return allowed

    # -- public catalog ----------------------------------------------------------------------
    def add(
        self,
        meta: Mapping[str, Any],
        *,
        account_id: int | None = None,
        audio_id: int | None = None,
        source: str | None = None,
    ) -> int:
        """Insert a track row (metadata, optional `lyrics` and provider blocks); returns its id.

        The id is reserved before fingerprinting; call `set_fingerprinted` once indexed.
        """
        providers = {p: meta[p] for p in PROVIDERS if meta.get(p) is not None}
        values = {k: (None if meta.get(k) in (None, "") else str(meta[k])) for k in META_FIELDS}
        lyrics = meta.get("lyrics")
        with self._db.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO tracks(account_id, audio_id, artist, title, album, release_date, "
                "label, isrc, upc, song_link, lyrics, providers, source, created) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    account_id,
                    audio_id,
                    *(values[k] for k in META_FIELDS),
                    None if lyrics is None else str(lyrics),
                    json.dumps(providers, ensure_ascii=False),
                    source,
                    time.time(),
                ),
            )
            track_id = int(cur.lastrowid or 0)
            if account_id is None:
                conn.execute(
                    "INSERT INTO lyrics_fts(rowid, artist, title, lyrics) VALUES (?,?,?,?)",
                    (track_id, values["artist"] or "", values["title"] or "", lyrics or ""),
                )
            version = self._current_version()
        self._set_owner(track_id, _PUBLIC if account_id is None else account_id, version)
        return track_id

    def set_fingerprinted(self, track_id: int, hashes: int, duration: float | None) -> None:
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE tracks SET hashes = ?, duration = ? WHERE id = ?",
                (hashes, duration, track_id),
            )

    def get(self, track_id: int) -> Track | None:
        row = self._db.query_one("SELECT * FROM tracks WHERE id = ?", (track_id,))
        return None if row is None else _row_to_track(row)

    def list(self, *, account_id: int | None = None, public_only: bool = True) -> list[Track]:
        if account_id is not None:
            rows = self._db.query(
                "SELECT * FROM tracks WHERE account_id = ? ORDER BY id", (account_id,)
            )
        elif public_only:
            rows = self._db.query("SELECT * FROM tracks WHERE account_id IS NULL ORDER BY id")
        else:
            rows = self._db.query("SELECT * FROM tracks ORDER BY id")
        return [_row_to_track(r) for r in rows]

    def count(self) -> int:
        row = self._db.query_one("SELECT COUNT(*) AS n FROM tracks")
        return 0 if row is None else int(row["n"])

    def remove(self, track_id: int) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute("DELETE FROM tracks WHERE id = ?", (track_id,))
            conn.execute("DELETE FROM lyrics_fts WHERE rowid = ?", (track_id,))
            version = self._current_version()
        self._set_owner(track_id, _NONE, version)
        return cur.rowcount > 0

    # -- custom catalog ----------------------------------------------------------------------
    def custom_slot(self, account_id: int, audio_id: int) -> Track | None:
        row = self._db.query_one(
            "SELECT * FROM tracks WHERE account_id = ? AND audio_id = ?", (account_id, audio_id)
        )
        return None if row is None else _row_to_track(row)

    # -- lyrics --------------------------------------------------------------------------------
    def find_lyrics(self, q: str, *, limit: int = 10) -> builtins.list[Track]:
        """Public tracks whose artist/title/lyrics match every word of `q` (else any word)."""
        for joiner in (" AND ", " OR "):
            expr = _fts_query(q, joiner)
            if not expr:
                return []
            rows = self._db.query(
                "SELECT t.* FROM lyrics_fts f JOIN tracks t ON t.id = f.rowid "
                "WHERE lyrics_fts MATCH ? ORDER BY bm25(lyrics_fts) LIMIT ?",
                (expr, limit),
            )
            if rows:
                return [_row_to_track(r) for r in rows]
        return []

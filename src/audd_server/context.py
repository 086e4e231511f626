"""Everything a request handler or a stream worker needs, built once per server process.

`ServerContext.open(settings)` opens the database, stores, event log and fingerprint index;
`close()` releases them. It holds no HTTP client: the API and the stream workers own theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from audd_server.config import Settings
from audd_server.store import (
    Account,
    AccountStore,
    CatalogStore,
    Database,
    EventLog,
    StreamStore,
    Track,
)

if TYPE_CHECKING:
    from audd_server.engine import Index, Match
    from audd_server.streams import StreamSupervisor


@dataclass
class ServerContext:
    """Shared server state. Store and index methods are thread-safe."""

    settings: Settings
    db: Database
    accounts: AccountStore
    catalog: CatalogStore
    streams: StreamStore
    events: EventLog
    index: Index
    # Set by the app lifespan once the supervisor exists; None in CLI-only use.
    supervisor: StreamSupervisor | None = field(default=None)

    @classmethod
    def open(cls, settings: Settings) -> ServerContext:
        from audd_server.engine import Index

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_path)
        accounts = AccountStore(db)
        if settings.create_test_token:
            accounts.ensure_test_token()
        return cls(
            settings=settings,
            db=db,
            accounts=accounts,
            catalog=CatalogStore(db),
            streams=StreamStore(db),
            events=EventLog(
                db,
                keep_per_category=settings.events_keep_per_category,
                max_age_seconds=settings.events_max_age_seconds,
            ),
            index=Index(settings.index_dir),
        )

    def close(self) -> None:
        self.index.close()
        self.db.close()

    # -- recognition helpers shared by the API and the stream workers -------------------------
    def match(
        self, samples: np.ndarray, account: Account | int | None, *, limit: int = 5
    ) -> list[Match]:
        """Query the index over the public catalog + the account's custom catalog (blocking:
        call from a worker thread). Best first; empty when nothing passes the decision rule."""
        account_id = account.id if isinstance(account, Account) else account
        return self.index.query(samples, limit=limit, allowed=self.catalog.allowed_for(account_id))

    def track(self, track_id: int) -> Track | None:
        return self.catalog.get(track_id)

    def song(
        self, track: Track, *, providers: list[str] | tuple[str, ...] = (), isrc_upc: bool = False
    ) -> dict[str, Any]:
        """Public song object for `track` (artist, title, …, song_link, requested providers)."""
        return track.song(base_url=self.settings.base_url, providers=providers, isrc_upc=isrc_upc)

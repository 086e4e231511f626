"""Server settings: where data lives, limits, and the address the server advertises.

One frozen dataclass built by the CLI (or tests) and carried on the ServerContext.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from audd_server.streams._settings import StreamSettings

DATA_DIR_ENV = "AUDD_SERVER_DATA_DIR"

# Standard recognition: the real service rejects uploads above 10 MB and analyses 25 s.
RECOGNIZE_MAX_BYTES = 10 * 1024 * 1024
RECOGNIZE_SECONDS = 25.0
# Enterprise splits files into 12-second chunks and bills each scanned chunk as one request.
ENTERPRISE_CHUNK_SECONDS = 12.0


def default_data_dir() -> Path:
    """`$AUDD_SERVER_DATA_DIR`, else the platform's per-user data directory."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("audd-server"))


@dataclass(frozen=True)
class Settings:
    """Everything the server needs to know about its environment."""

    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8080
    # Base of `song_link` (`<public_url>/song/<id>`); defaults to http://host:port.
    public_url: str | None = None
    recognize_max_bytes: int = RECOGNIZE_MAX_BYTES
    recognize_seconds: float = RECOGNIZE_SECONDS
    enterprise_chunk_seconds: float = ENTERPRISE_CHUNK_SECONDS
    # Largest enterprise upload / URL download accepted (bytes).
    enterprise_max_bytes: int = 20 * 1024 * 1024 * 1024
    # Whole-download time limit for `url=` sources (seconds).
    fetch_timeout: float = 30.0
    # Longpoll event log retention, per category.
    events_keep_per_category: int = 1000
    events_max_age_seconds: float = 7 * 24 * 3600.0
    # Create the `test` token (free plan) when the database is new.
    create_test_token: bool = True
    # Live-stream timing knobs (window, hop, 651 period, back-off).
    streams: StreamSettings = field(default_factory=StreamSettings)
    # Accept `file://` URLs and absolute paths in addStream/setStreamUrl. Off by default: it lets
    # any token holder make the server read local files.
    allow_local_streams: bool = False

    @property
    def db_path(self) -> Path:
        return self.data_dir / "audd.db"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        """Temp spool for uploads and downloads (same filesystem as the data)."""
        return self.data_dir / "tmp"

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

"""Live-stream test helpers: fast stream settings, a catalog of short songs, and `StreamServer`
(the real app under uvicorn with a fast `StreamSupervisor`, restartable on its port)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from server_fixtures import TOKEN_ENTERPRISE, Song, build_data_dir

from audd_server.api import create_app
from audd_server.config import Settings
from audd_server.store import longpoll_category
from audd_server.streams import StreamSettings, StreamSupervisor

TOKEN = TOKEN_ENTERPRISE

# Stream-audio knobs stay at their defaults (they decide what is reported); only wall-clock
# waits are shortened and local files are read unpaced.
FAST = StreamSettings(
    no_music_seconds=20.0,
    reconnect_initial=0.1,
    reconnect_max=0.5,
    open_timeout=5.0,
    read_timeout=5.0,
    pace_files=False,
    callback_backoff=0.05,
    callback_backoff_max=0.3,
    state_save_seconds=2.0,
)

SONG_SECONDS = 30.0
CATALOG_SEEDS = (301, 302, 303, 304, 305)
TWIN_SEED = 301  # enrolled twice (original + remaster): a guaranteed alternative
UNKNOWN_SEED = 399


def _song(seed: int) -> Song:
    return Song(
        seed,
        SONG_SECONDS,
        {
            "artist": f"Artist {seed}",
            "title": f"Song {seed}",
            "album": f"Album {seed}",
            "release_date": "2024-01-01",
            "label": "Test Label",
            "song_link": f"https://lis.tn/song{seed}",
            "apple_music": {"url": f"https://music.apple.com/{seed}", "name": f"Song {seed}"},
            "spotify": {"uri": f"spotify:track:{seed}"},
        },
    )


def build_stream_catalog(path: Path) -> dict[str, int]:
    """Enrol the catalog songs (and the twin of song 301) in a new data dir: title → track id."""
    songs = [_song(s) for s in CATALOG_SEEDS]
    twin = Song(TWIN_SEED, SONG_SECONDS, {**_song(TWIN_SEED).meta, "title": "Song 301 (Remaster)"})
    ids = build_data_dir(path, [*songs, twin])
    return {f"Song {s}": ids[s] for s in CATALOG_SEEDS}


@dataclass
class StreamServer:
    """The real app under uvicorn with a fast `StreamSupervisor`; restartable on its port."""

    data_dir: Path
    settings: StreamSettings = FAST
    port: int = 0
    supervisor: StreamSupervisor | None = None
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _sock: socket.socket | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StreamServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = int(sock.getsockname()[1])
        self._sock = sock

        def factory(ctx: Any) -> StreamSupervisor:
            self.supervisor = StreamSupervisor(ctx, self.settings)
            return self.supervisor

        app = create_app(
            Settings(data_dir=self.data_dir, host="127.0.0.1", port=self.port),
            supervisor_factory=factory,
        )
        config = uvicorn.Config(
            app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="audd-stream-server", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            thread.join(0.01)
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(30)
        assert self._sock is not None
        self._sock.close()
        self._server = self._thread = self._sock = None

    def api(self, method: str, **fields: Any) -> dict[str, Any]:
        data = {k: str(v) for k, v in fields.items()}
        data["api_token"] = TOKEN
        r = httpx.post(f"{self.base_url}/{method}/", data=data, timeout=30)
        body: dict[str, Any] = r.json()
        assert body.get("status") == "success", body
        return body

    @staticmethod
    def category(radio_id: int) -> str:
        return longpoll_category(TOKEN, radio_id)


@contextmanager
def stream_server(data_dir: Path, settings: StreamSettings = FAST) -> Iterator[StreamServer]:
    server = StreamServer(data_dir, settings).start()
    try:
        yield server
    finally:
        server.stop()

"""Reusable helpers for tests that need a populated local server (also for SDK end-to-end tests).

`build_data_dir(path)` enrols deterministic synthetic songs (audd_server.synth) with metadata and
creates tokens; `run_live_server(data_dir)` runs the real app under uvicorn on 127.0.0.1:<free
port> in a thread and yields a `LiveServer` (base_url, enterprise_base_url, data_dir, app).

The pytest fixtures at the bottom can be imported into any conftest:

    import sys; sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
    from server_fixtures import (  # noqa: F401  (fixtures)
        template_dir, data_dir, track_ids, live_server, live_server_factory,
    )
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn

from audd_server.api import create_app
from audd_server.config import Settings
from audd_server.context import ServerContext
from audd_server.engine import SAMPLE_RATE
from audd_server.store import ingest
from audd_server.synth import encode_audio, synth_track

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLIP_RATE = 44100

# Tokens created by build_data_dir (besides the built-in `test`, free plan, 10 requests/day).
TOKEN_ENTERPRISE = "ent0123456789abcdef"  # enterprise plan: everything, 10 stream slots
TOKEN_STANDARD = "std0123456789abcdef"  # standard plan: standard + enterprise, no custom catalog
TOKEN_ONE_SLOT = "slot0123456789abcde"  # enterprise plan with a single stream slot


@dataclass(frozen=True)
class Song:
    seed: int
    duration: float
    meta: dict[str, Any]


def _provider_blocks() -> dict[str, Any]:
    body = json.loads((FIXTURES / "recognize_with_metadata.json").read_text())
    result = body["result"]
    return {k: result[k] for k in ("apple_music", "spotify", "musicbrainz")}


SONGS: tuple[Song, ...] = (
    Song(
        101,
        60.0,
        {
            "artist": "Tears For Fears",
            "title": "Everybody Wants To Rule The World",
            "album": "Songs From The Big Chair",
            "release_date": "2014-11-10",
            "label": "UMC (Universal Music Catalogue)",
            "isrc": "GBUM71403885",
            "upc": "00602547037169",
            "song_link": "https://lis.tn/NbkVb",
            "lyrics": "Welcome to your life\nThere's no turning back\nEven while we sleep",
            **_provider_blocks(),
        },
    ),
    Song(
        102,
        45.0,
        {
            "artist": "Synth Ensemble",
            "title": "Paper Boats",
            "album": "Harbour",
            "release_date": "2020-05-01",
            "label": "Local Label",
            "lyrics": "paper boats drifting on the evening tide",
        },
    ),
    Song(103, 45.0, {"artist": "Third Voice", "title": "Late Trains"}),
    Song(104, 45.0, {"artist": "Fourth Wall", "title": "Quiet Hours"}),
)
UNKNOWN_SEED = 199  # never enrolled


def song_samples(seed: int, duration: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    return synth_track(seed, duration, sample_rate=rate)


def clip_bytes(
    seed: int,
    start: float,
    length: float,
    *,
    song_duration: float = 60.0,
    fmt: str = "wav",
    rate: int = CLIP_RATE,
) -> bytes:
    """`length` seconds of song `seed` from `start`, encoded (wav/mp3/flac/ogg)."""
    samples = synth_track(seed, song_duration, sample_rate=rate)
    part = samples[int(start * rate) : int((start + length) * rate)]
    return encode_audio(part, rate, fmt)


def build_data_dir(
    data_dir: Path,
    songs: Sequence[Song] = SONGS,
    *,
    extra_tokens: Sequence[tuple[str, str]] = (),
) -> dict[int, int]:
    """Enrol `songs` and create the standard test tokens; returns seed → track_id."""
    ctx = ServerContext.open(Settings(data_dir=data_dir))
    try:
        ids = {}
        for song in songs:
            track = ingest.add_samples(ctx, song_samples(song.seed, song.duration), song.meta)
            ids[song.seed] = track.id
        ctx.accounts.create(plan="enterprise", token=TOKEN_ENTERPRISE)
        ctx.accounts.create(plan="standard", token=TOKEN_STANDARD)
        ctx.accounts.create(plan="enterprise", token=TOKEN_ONE_SLOT, stream_slots=1)
        for plan, token in extra_tokens:
            ctx.accounts.create(plan=plan, token=token)
        return ids
    finally:
        ctx.close()


@dataclass
class LiveServer:
    base_url: str
    data_dir: Path
    port: int
    track_ids: dict[int, int] = field(default_factory=dict)
    app: Any = None  # the Starlette app; `app.state.ctx` is its ServerContext while running

    @property
    def enterprise_base_url(self) -> str:
        return self.base_url + "/enterprise"


@contextmanager
def run_live_server(
    data_dir: Path,
    *,
    track_ids: dict[int, int] | None = None,
    start_streams: bool = True,
    startup_timeout: float = 20.0,
) -> Iterator[LiveServer]:
    """Serve `data_dir` with uvicorn on 127.0.0.1:<free port> in a background thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port)
    app = create_app(settings, start_streams=start_streams)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="audd-live-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.01)
        yield LiveServer(
            base_url=f"http://127.0.0.1:{port}",
            data_dir=data_dir,
            port=port,
            track_ids=dict(track_ids or {}),
            app=app,
        )
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


# -- pytest fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, int]]:
    """A data dir with SONGS and the test tokens, built once per session (do not modify)."""
    path = tmp_path_factory.mktemp("template") / "data"
    ids = build_data_dir(path)
    return path, ids


@pytest.fixture
def data_dir(template_dir: tuple[Path, dict[int, int]], tmp_path: Path) -> Path:
    """A private copy of the template data dir."""
    path = tmp_path / "data"
    shutil.copytree(template_dir[0], path)
    return path


@pytest.fixture
def track_ids(template_dir: tuple[Path, dict[int, int]]) -> dict[int, int]:
    """Song seed → catalog track id in the template data dir."""
    return template_dir[1]


@pytest.fixture
def live_server(data_dir: Path, track_ids: dict[int, int]) -> Iterator[LiveServer]:
    """The real server under uvicorn on 127.0.0.1:<free port>, over a copy of the template."""
    with run_live_server(data_dir, track_ids=track_ids) as server:
        yield server


@pytest.fixture
def live_server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """`start(songs=SONGS, extra_tokens=(), data_dir=None, start_streams=True)` → LiveServer.

    With `data_dir` given (e.g. pre-populated with `audd-server catalog add` or
    `build_data_dir`), and `songs=None`, the directory is served as it is.
    """
    with ExitStack() as stack:
        counter = iter(range(1_000_000))

        def start(
            songs: Sequence[Song] | None = SONGS,
            extra_tokens: Sequence[tuple[str, str]] = (),
            data_dir: Path | None = None,
            start_streams: bool = True,
        ) -> LiveServer:
            path = data_dir or tmp_path / f"live-{next(counter)}"
            ids = (
                build_data_dir(path, songs, extra_tokens=extra_tokens) if songs is not None else {}
            )
            return stack.enter_context(
                run_live_server(path, track_ids=ids, start_streams=start_streams)
            )

        yield start

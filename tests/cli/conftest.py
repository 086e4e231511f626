"""A real local server with a small tagged catalog, and a helper running `audd` in-process."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from audd_cli.__main__ import main
from audd_cli._local import LocalServer

SR = 22_050
# (artist, title, seed): enrolled in the public catalog.
SONGS = (
    ("Cli Test Band", "First Light", 71),
    ("Second Artist", "Paper Boats", 72),
    ("Third Voice", "Late Trains", 73),
)
CUSTOM_SEED = 74  # only ever added through `audd catalog add`
UNKNOWN_SEED = 75  # never enrolled


@dataclass
class Env:
    server: LocalServer
    token: str
    free_token: str
    spare_token: str  # enterprise plan; no test sets its callback URL
    clip: Path  # 10 s of SONGS[1] from 12 s
    unknown_clip: Path
    mix: Path  # 30 s of SONGS[0] then 30 s of SONGS[2]
    custom_song: Path
    custom_clip: Path


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    import numpy as np

    from audd_server.synth import synth_track, write_audio

    root = tmp_path_factory.mktemp("audd-cli")
    music = root / "music"
    music.mkdir()
    tracks = {}
    paths = []
    for artist, title, seed in SONGS:
        samples = synth_track(seed, 45.0, sample_rate=SR)
        tracks[seed] = samples
        path = music / f"{seed}.mp3"
        write_audio(path, samples, SR, tags={"artist": artist, "title": title})
        paths.append(path)
    clips = root / "clips"
    clips.mkdir()
    clip = clips / "clip.mp3"
    write_audio(clip, tracks[72][12 * SR : 22 * SR], SR)
    unknown_clip = clips / "unknown.mp3"
    write_audio(unknown_clip, synth_track(UNKNOWN_SEED, 10.0, sample_rate=SR), SR)
    mix = clips / "mix.mp3"
    write_audio(
        mix, np.concatenate([tracks[71][5 * SR : 35 * SR], tracks[73][5 * SR : 35 * SR]]), SR
    )
    custom = synth_track(CUSTOM_SEED, 40.0, sample_rate=SR)
    custom_song = clips / "custom.mp3"
    write_audio(custom_song, custom, SR)
    custom_clip = clips / "custom_clip.mp3"
    write_audio(custom_clip, custom[15 * SR : 25 * SR], SR)

    server = LocalServer(root / "data")
    with server:
        token = server.create_token("enterprise")
        free_token = server.create_token("free")
        spare_token = server.create_token("enterprise")
        server.enrol(paths)
        server.start()
        yield Env(
            server,
            token,
            free_token,
            spare_token,
            clip,
            unknown_clip,
            mix,
            custom_song,
            custom_clip,
        )


@pytest.fixture
def audd(
    cli_env: Env, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Result]:
    """Run `audd ARGS...` in-process against the local server; returns code, stdout, stderr."""
    monkeypatch.setenv("AUDD_API_TOKEN", cli_env.token)
    monkeypatch.setenv("AUDD_BASE_URL", cli_env.server.base_url)
    monkeypatch.setenv("AUDD_ENTERPRISE_BASE_URL", cli_env.server.enterprise_base_url)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def http_files(cli_env: Env) -> Iterator[str]:
    """The test clips over plain HTTP (a progressive "radio" the stream workers can read)."""
    handler = functools.partial(_QuietHandler, directory=str(cli_env.mix.parent))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

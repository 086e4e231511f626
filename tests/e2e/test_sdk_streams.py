"""Live streams end to end through the SDK: a test radio on loopback → the local server's stream
worker → `streams.longpoll` and a FastAPI receiver that parses callbacks with
`streams.handle_callback`. Real HTTP everywhere, nothing mocked."""

from __future__ import annotations

import asyncio
import shutil
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server" / "streams"))

from fastapi import FastAPI, Request
from radio import Item, Program, ServerThread, TestRadio, running
from stream_helpers import TOKEN, build_stream_catalog, stream_server

from audd import (
    AsyncAudD,
    AudD,
    LongpollConsumer,
    StreamCallbackMatch,
    StreamCallbackNotification,
)

T = TypeVar("T")
SONG_SECONDS = 30.0


def _collect(
    items: Iterable[T], closer: Callable[[], None], done: Callable[[list[T]], bool], timeout: float
) -> list[T]:
    """Iterate `items` until `done(collected)`; a watchdog closes the source after `timeout`."""
    watchdog = threading.Timer(timeout, closer)
    watchdog.start()
    collected: list[T] = []
    try:
        for item in items:
            collected.append(item)
            if done(collected):
                break
    finally:
        watchdog.cancel()
    return collected


class SdkCallbackReceiver:
    """A FastAPI app on loopback that parses every callback with the SDK's `handle_callback`."""

    def __init__(self) -> None:
        self.received: list[tuple[StreamCallbackMatch | None, StreamCallbackNotification | None]]
        self.received = []
        self._cond = threading.Condition()
        self._sdk = AsyncAudD("receiver-does-not-call-the-api")
        app = FastAPI()

        @app.post("/audd-callback")
        async def audd_callback(request: Request) -> dict[str, str]:
            parsed = await self._sdk.streams.handle_callback(request)
            with self._cond:
                self.received.append(parsed)
                self._cond.notify_all()
            return {"ok": "true"}

        self.server = ServerThread(app)

    @property
    def url(self) -> str:
        return f"{self.server.url}/audd-callback"

    def matches(self) -> list[StreamCallbackMatch]:
        with self._cond:
            return [m for m, _ in self.received if m is not None]

    def wait_for_matches(self, count: int, timeout: float) -> list[StreamCallbackMatch]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.matches()) >= count, timeout)
        return self.matches()

    def start(self) -> SdkCallbackReceiver:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop(timeout=5)
        asyncio.run(self._sdk.aclose())


@pytest.fixture(scope="module")
def stream_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("streams") / "template"
    build_stream_catalog(path)
    return path


@pytest.fixture
def stream_data(stream_catalog: Path, tmp_path: Path) -> Path:
    path = tmp_path / "data"
    shutil.copytree(stream_catalog, path)
    return path


def test_sdk_follows_a_live_radio_by_longpoll_and_by_callback(stream_data: Path) -> None:
    program = Program(
        [
            Item("song", SONG_SECONDS, seed=302),
            Item("noise", 8.0, seed=11),
            Item("song", SONG_SECONDS, seed=303),
            Item("noise", 8.0, seed=12),
        ]
    )
    radio = TestRadio(program, speed=10.0)
    receiver = SdkCallbackReceiver()

    with running(radio, receiver), stream_server(stream_data) as server:
        with AudD(TOKEN, base_url=server.base_url) as audd:
            audd.streams.set_callback_url(receiver.url, return_metadata=["apple_music"])
            with audd.streams.longpoll(radio_id=9, timeout=5) as poll:
                audd.streams.add(url=radio.url, radio_id=9)
                matches = _collect(
                    poll.matches, poll.close, lambda got: len(got) >= 2, timeout=90.0
                )

                radio.stop()
                off_air = _collect(
                    poll.notifications,
                    poll.close,
                    lambda got: any(n.notification_code == 650 for n in got),
                    timeout=60.0,
                )
            streams = audd.streams.list()
        callbacks = receiver.wait_for_matches(2, timeout=30.0)

    assert [m.song.title for m in matches] == ["Song 302", "Song 303"]
    assert all(m.radio_id == 9 for m in matches)
    for match in matches:
        assert match.play_length is not None
        assert abs(match.play_length - SONG_SECONDS) <= 2
    assert matches[0].song.artist == "Artist 302"
    assert matches[0].song.score is not None
    assert matches[0].song.score >= 50

    assert off_air[-1].notification_code == 650
    assert off_air[-1].stream_running is False
    assert [(s.radio_id, s.url) for s in streams] == [(9, radio.url)]

    assert [(m.song.title, m.play_length) for m in callbacks] == [
        (m.song.title, m.play_length) for m in matches
    ]
    # The callback URL asked for Apple Music metadata through its `?return=`.
    assert callbacks[0].song.apple_music is not None
    assert callbacks[0].song.streaming_url("apple_music") == "https://music.apple.com/302"


def test_tokenless_consumer_receives_before_mode_events(stream_data: Path) -> None:
    program = Program([Item("song", SONG_SECONDS, seed=304), Item("noise", 6.0, seed=13)])
    radio = TestRadio(program, speed=10.0)

    with (
        running(radio),
        stream_server(stream_data) as server,
        AudD(TOKEN, base_url=server.base_url) as audd,
    ):
        audd.streams.set_callback_url("https://audd.tech/empty/")
        category = audd.streams.derive_longpoll_category(radio_id=4)
        with (
            LongpollConsumer(category=category, base_url=server.base_url) as consumer,
            consumer.iterate(timeout=5) as poll,
        ):
            audd.streams.add(url=radio.url, radio_id=4, callbacks="before")
            matches = _collect(poll.matches, poll.close, lambda got: bool(got), timeout=60.0)

    assert [m.song.title for m in matches] == ["Song 304"]
    assert matches[0].play_length is None

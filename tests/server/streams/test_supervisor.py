"""Supervisor behaviour on 127.0.0.1: no events without a callback URL (as on AudD), deleteStream
ends the worker thread, a slow or dead stream does not hold the others up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from radio import Item, Program, TestRadio, free_port, longpoll_events, notifications_of, songs_of
from stream_helpers import StreamServer, stream_server

from audd_server.streams._worker import StreamWorker

pytestmark = pytest.mark.slow

SONGS = {302: 30.0, 303: 30.0, 304: 30.0}


def _program(*items: Item) -> Program:
    return Program(items, song_seconds=SONGS)


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _worker(server: StreamServer, radio_id: int) -> StreamWorker:
    assert server.supervisor is not None
    (worker,) = [w for (_, rid), w in server.supervisor.workers.items() if rid == radio_id]
    return worker


def _running(server: StreamServer, radio_id: int) -> bool:
    (stream,) = [s for s in server.api("getStreams")["result"] if s["radio_id"] == radio_id]
    return bool(stream["stream_running"])


def _logged(server: StreamServer, radio_id: int) -> dict[str, Any]:
    """The oldest event of the stream's longpoll category ever logged (or the timeout answer)."""
    params: dict[str, str | int] = {
        "category": server.category(radio_id),
        "since_time": 0,
        "timeout": 1,
    }
    body: dict[str, Any] = httpx.get(
        f"{server.base_url}/longpoll/", params=params, timeout=10
    ).json()
    return body


def test_without_a_callback_url_no_event_is_logged_or_posted(stream_data_dir: Any) -> None:
    """AudD delivers stream events only to accounts with a callback URL: none are logged for
    longpoll (nor POSTed) before one is set; the placeholder `https://audd.tech/empty/` counts."""
    radio = TestRadio(_program(Item("song", 20, 302), Item("song", 20, 303)), speed=20, loop=True)
    with radio, stream_server(stream_data_dir) as server:
        server.api("addStream", url=radio.url, radio_id=31, callbacks="before")
        worker = _worker(server, 31)
        # 40+ s of stream audio analysed: both songs recognized (before mode reports at once).
        _wait(lambda: worker.windows >= 25, 60, "the worker to analyse the program")
        assert _running(server, 31)
        radio.stop()  # an outage: would be a 650 notification
        _wait(lambda: not _running(server, 31), 60, "the outage to be noticed")
        assert "timeout" in _logged(server, 31)
        assert server.supervisor is not None
        assert server.supervisor.dispatcher._queues == {}  # nothing was queued for a POST

        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        radio.start()
        events = longpoll_events(
            server.base_url,
            server.category(31),
            until=lambda ev: len(songs_of(ev)) >= 1,
            timeout=60,
        )
    codes = [n["notification_code"] for n in notifications_of(events)]
    assert codes[:1] == [0], events  # the recovery; the 650 before it was never delivered
    assert 650 not in codes
    assert songs_of(events)[0]["results"][0]["title"] in {"Song 302", "Song 303"}


def test_delete_stream_ends_the_worker_thread(stream_data_dir: Any) -> None:
    radio = TestRadio(_program(Item("song", 30, 304)), speed=1, loop=True)  # real time, endless
    with radio, stream_server(stream_data_dir) as server:
        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        server.api("addStream", url=radio.url, radio_id=41)
        worker = _worker(server, 41)
        _wait(lambda: worker.windows >= 1, 60, "the worker to decode the stream")
        assert worker.is_alive()
        server.api("deleteStream", radio_id=41)
        # deleteStream answers once the worker has stopped: its thread has ended.
        assert not worker.is_alive()
        assert server.supervisor is not None
        assert server.supervisor.workers == {}
        assert server.api("getStreams")["result"] == []
        windows = worker.windows
        time.sleep(0.5)
        assert worker.windows == windows


def test_a_slow_and_a_dead_stream_do_not_delay_another(stream_data_dir: Any) -> None:
    slow = TestRadio(_program(Item("song", 30, 303)), speed=0.02)  # trickles a few bytes a second
    fast = TestRadio(_program(Item("song", 20, 302), Item("song", 20, 304)), speed=20)
    dead_url = f"http://127.0.0.1:{free_port()}/stream.mp3"  # nothing listens there
    with slow, fast, stream_server(stream_data_dir) as server:
        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        server.api("addStream", url=slow.url, radio_id=1)
        server.api("addStream", url=dead_url, radio_id=2)
        _wait(lambda: slow.connections >= 1, 30, "the slow stream to be opened")
        t0 = time.monotonic()
        server.api("addStream", url=fast.url, radio_id=3, callbacks="before")
        events = longpoll_events(
            server.base_url,
            server.category(3),
            until=lambda ev: len(songs_of(ev)) >= 2,
            timeout=60,
        )
        elapsed = time.monotonic() - t0
        assert len(server.supervisor.workers if server.supervisor else {}) == 3
    titles = [r["results"][0]["title"] for r in songs_of(events)]
    assert titles == ["Song 302", "Song 304"]
    # 40 s of audio at 20x is 2 s on air; the other streams must not add their stalls to it.
    assert elapsed < 20, elapsed

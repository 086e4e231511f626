"""End to end on 127.0.0.1: test radio → server (addStream) → longpoll (httpx) and callbacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from radio import (
    RATE,
    CallbackReceiver,
    Item,
    Program,
    TestRadio,
    longpoll_events,
    notifications_of,
    running,
    songs_of,
)
from stream_helpers import TOKEN, TWIN_SEED, UNKNOWN_SEED, StreamServer, stream_server

from audd_server.synth import encode_audio, synth_track

pytestmark = pytest.mark.slow

SONGS = {301: 30.0, 302: 30.0, 303: 30.0, 304: 30.0, 305: 30.0, UNKNOWN_SEED: 30.0}


def _program(*items: Item) -> Program:
    return Program(items, song_seconds=SONGS)


def _title(song: dict[str, Any]) -> str:
    return str(song["title"])


def _has_code(code: int) -> Any:
    return lambda events: any(n["notification_code"] == code for n in notifications_of(events))


def _strip(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "timestamp"} for e in events]


def test_after_mode_reports_each_song_once_with_play_length_and_notifications(
    stream_data_dir: Path, openapi: Any
) -> None:
    program = _program(
        Item("song", 30, 301),
        Item("noise", 10, 7),
        Item("song", 30, 302),
        Item("song", 20, 303, offset=10),  # joined mid-song
        Item("song", 15, UNKNOWN_SEED),  # music, but not in the catalog
        Item("song", 30, 304),
        Item("silence", 35),
        Item("song", 30, 305),
    )
    radio = TestRadio(program, speed=20)
    receiver = CallbackReceiver()
    with running(radio, receiver), stream_server(stream_data_dir) as server:
        server.api("setCallbackUrl", url=receiver.url + "?return=apple_music")
        server.api("addStream", url=radio.url, radio_id=7)
        events = longpoll_events(
            server.base_url, server.category(7), until=_has_code(650), timeout=90
        )
        streams = server.api("getStreams")["result"]
        callbacks = receiver.wait_for(lambda b: len(b) >= len(events), timeout=30)

    results = songs_of(events)
    assert [_title(r["results"][0]).split(" (")[0] for r in results] == [
        "Song 301",
        "Song 302",
        "Song 303",
        "Song 304",
        "Song 305",
    ]
    truth = [30, 30, 20, 30, 30]
    for r, expected in zip(results, truth, strict=False):
        assert r["radio_id"] == 7
        assert abs(r["play_length"] - expected) <= 2, (r, expected)
        top = r["results"][0]
        assert top["score"] >= 20
        assert top["artist"].startswith("Artist")
        assert "apple_music" in top
        assert "spotify" not in top
    # The twin recording of song 301 is a close competitor: reported as an alternative.
    assert {_title(s) for s in results[0]["results"][:2]} == {"Song 301", "Song 301 (Remaster)"}
    assert all(len(r["results"]) == 1 for r in results[1:]), [
        [(s["title"], s["score"]) for s in r["results"]] for r in results
    ]

    codes = [n["notification_code"] for n in notifications_of(events)]
    assert codes == [651, 0, 650], codes
    down = notifications_of(events)[-1]
    assert down["stream_running"] is False
    assert down["radio_id"] == 7
    assert streams == [
        {
            "radio_id": 7,
            "url": radio.url,
            "stream_running": False,
            "longpoll_category": server.category(7),
        }
    ]
    # Same events, same order, on the callback URL as on longpoll.
    assert callbacks == _strip(events)
    for body in callbacks:
        openapi.validate(body, "StreamCallbackPayload")
    for body in events:
        openapi.validate(body, "LongpollEventResponse")
    assert TWIN_SEED == 301


def test_before_mode_reports_songs_as_they_start_without_play_length(
    stream_data_dir: Path,
) -> None:
    program = _program(
        Item("song", 20, 302),
        Item("song", 12, UNKNOWN_SEED),
        Item("song", 20, 303),
        Item("song", 20, 304, offset=5),
    )
    radio = TestRadio(program, speed=20)
    with running(radio), stream_server(stream_data_dir) as server:
        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        server.api("addStream", url=radio.url, radio_id=3, callbacks="before")
        events = longpoll_events(
            server.base_url, server.category(3), until=_has_code(650), timeout=60
        )
    results = songs_of(events)
    assert [_title(r["results"][0]) for r in results] == ["Song 302", "Song 303", "Song 304"]
    assert all("play_length" not in r for r in results)
    # `before` events come while the song is still playing: before the stream's end (650).
    assert notifications_of(events)[-1]["notification_code"] == 650


def test_restarting_the_server_mid_stream_loses_no_event(stream_data_dir: Path) -> None:
    program = _program(Item("song", 20, 302), Item("song", 30, 303), Item("song", 30, 304))
    radio = TestRadio(program, speed=5)
    receiver = CallbackReceiver()
    with running(radio, receiver):
        server = StreamServer(stream_data_dir).start()
        try:
            server.api("setCallbackUrl", url=receiver.url)
            server.api("addStream", url=radio.url, radio_id=11)
            first = longpoll_events(
                server.base_url,
                server.category(11),
                until=lambda ev: len(songs_of(ev)) >= 1,
                timeout=60,
                poll_seconds=2,
            )
            assert radio.position() < 48, "the restart must happen while song 303 plays"
        finally:
            server.stop()
        server = StreamServer(stream_data_dir, port=server.port).start()
        try:
            events = longpoll_events(
                server.base_url, server.category(11), until=_has_code(650), timeout=60
            )
            receiver.wait_for(lambda b: len(songs_of(b)) >= 3, timeout=30)
        finally:
            server.stop()
    assert _title(songs_of(first)[0]["results"][0]) == "Song 302"
    results = songs_of(events)  # since_time=0: what was logged before the restart is kept
    assert [_title(r["results"][0]) for r in results] == ["Song 302", "Song 303", "Song 304"]
    for r, expected in zip(results, [20, 30, 30], strict=True):
        assert abs(r["play_length"] - expected) <= 2, r
    assert [_title(r["results"][0]) for r in songs_of(receiver.bodies)] == [
        "Song 302",
        "Song 303",
        "Song 304",
    ]


def test_radio_going_off_air_gives_650_and_coming_back_gives_0(stream_data_dir: Path) -> None:
    radio = TestRadio(_program(Item("song", 30, 305), Item("noise", 5, 3)), speed=10, loop=True)
    with running(radio), stream_server(stream_data_dir) as server:
        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        server.api("addStream", url=radio.url, radio_id=5, callbacks="before")
        cat = server.category(5)
        events = longpoll_events(
            server.base_url, cat, until=lambda ev: len(songs_of(ev)) >= 1, timeout=60
        )
        assert server.api("getStreams")["result"][0]["stream_running"] is True
        radio.stop()
        events = longpoll_events(server.base_url, cat, until=_has_code(650), timeout=60)
        assert server.api("getStreams")["result"][0]["stream_running"] is False
        radio.start()
        events = longpoll_events(server.base_url, cat, until=_has_code(0), timeout=60)
        notes = notifications_of(events)
        assert [n["notification_code"] for n in notes] == [650, 0]
        assert [n["stream_running"] for n in notes] == [False, True]
        assert server.api("getStreams")["result"][0]["stream_running"] is True
        server.api("deleteStream", radio_id=5)
        assert server.supervisor is not None
        assert not server.supervisor.workers


def test_dead_callback_receiver_loses_no_longpoll_event_and_retries_deliver(
    stream_data_dir: Path,
) -> None:
    program = _program(Item("song", 20, 302), Item("song", 20, 303))
    radio = TestRadio(program, speed=20)
    receiver = CallbackReceiver(fail_first=2)
    with running(radio, receiver), stream_server(stream_data_dir) as server:
        # Account A: a receiver that refuses the first POSTs; radio 1.
        server.api("setCallbackUrl", url=receiver.url)
        server.api("addStream", url=radio.url, radio_id=1, callbacks="before")
        events = longpoll_events(
            server.base_url, server.category(1), until=_has_code(650), timeout=60
        )
        bodies = receiver.wait_for(lambda b: len(b) >= len(events), timeout=30)
        assert bodies == _strip(events)
        assert receiver.attempts == len(events) + 2
        # Now a dead receiver: nothing listens there. Longpoll still gets every event.
        dead = CallbackReceiver().start()
        dead_url = dead.url
        dead.stop()
        server.api("setCallbackUrl", url=dead_url)
        server.api("addStream", url=radio.url, radio_id=2, callbacks="before")
        events2 = longpoll_events(
            server.base_url, server.category(2), until=_has_code(650), timeout=60
        )
    assert events2, "no events on longpoll with a dead callback receiver"


def test_pls_and_hls_sources_and_set_stream_url_switches_without_an_outage(
    stream_data_dir: Path,
) -> None:
    looped = TestRadio(_program(Item("song", 30, 304)), speed=10, loop=True)
    hls = TestRadio(_program(Item("song", 30, 301), Item("song", 30, 302)), speed=20)
    with running(looped, hls), stream_server(stream_data_dir) as server:
        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        server.api("addStream", url=looped.pls_url, radio_id=9, callbacks="before")
        cat = server.category(9)
        events = longpoll_events(
            server.base_url, cat, until=lambda ev: len(songs_of(ev)) >= 1, timeout=60
        )
        assert _title(songs_of(events)[0]["results"][0]) == "Song 304"
        server.api("setStreamUrl", radio_id=9, url=hls.hls_url)
        events = longpoll_events(
            server.base_url,
            cat,
            until=lambda ev: [_title(r["results"][0]) for r in songs_of(ev)][-1:] == ["Song 302"],
            timeout=60,
        )
        titles = [_title(r["results"][0]).split(" (")[0] for r in songs_of(events)]
        assert titles[-2:] == ["Song 301", "Song 302"]
        # Switching is not an outage.
        assert 650 not in [n["notification_code"] for n in notifications_of(events)]


def test_custom_catalog_song_is_reported_with_audio_id_and_timecode(
    stream_data_dir: Path,
) -> None:
    program = _program(Item("song", 20, 302), Item("song", 20, UNKNOWN_SEED, offset=6))
    radio = TestRadio(program, speed=20)
    upload = encode_audio(synth_track(UNKNOWN_SEED, 30.0, RATE), RATE, "mp3")
    with running(radio), stream_server(stream_data_dir) as server:
        r = httpx.post(
            f"{server.base_url}/upload/",
            data={"audio_id": "77", "api_token": TOKEN},
            files={"file": ("mine.mp3", upload, "application/octet-stream")},
            timeout=60,
        )
        assert r.json()["status"] == "success", r.text
        server.api("setCallbackUrl", url="https://audd.tech/empty/")
        server.api("addStream", url=radio.url, radio_id=21)
        events = longpoll_events(
            server.base_url, server.category(21), until=_has_code(650), timeout=60
        )
    results = songs_of(events)
    assert _title(results[0]["results"][0]) == "Song 302"
    custom = results[1]["results"][0]
    assert custom["audio_id"] == 77
    assert custom["timecode"] == "00:06"
    assert custom["score"] >= 20
    assert set(custom) == {"artist", "title", "score", "audio_id", "timecode"}
    assert abs(results[1]["play_length"] - 20) <= 2

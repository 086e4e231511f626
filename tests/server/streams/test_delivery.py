"""Event shapes, callback-URL rules, the callback dispatcher and the checkpoint store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from audd_server.store import Database
from audd_server.streams import StreamSettings
from audd_server.streams._delivery import CallbackDispatcher, backoff_delay
from audd_server.streams._payloads import (
    callback_returns,
    custom_song,
    format_timecode,
    is_placeholder,
    notification_body,
    result_body,
    with_score,
)
from audd_server.streams._state import StreamStateStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://audd.tech/empty/", True),
        ("https://audd.tech/empty", True),
        ("https://audd.tech/empty/?return=spotify", True),
        ("", True),
        (None, True),
        ("https://audd.tech/other/", False),
        ("http://127.0.0.1:9/callback", False),
    ],
)
def test_placeholder_callback_url(url: str | None, expected: bool) -> None:
    assert is_placeholder(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.test/cb?return=apple_music,spotify", ["apple_music", "spotify"]),
        ("https://x.test/cb?a=1&return=Deezer,%20napster,bogus,deezer", ["deezer", "napster"]),
        ("https://x.test/cb?return=musicbrainz&return=spotify", ["musicbrainz", "spotify"]),
        ("https://x.test/cb", []),
        ("https://x.test/cb?return=", []),
        (None, []),
    ],
)
def test_callback_url_return_parsing(url: str | None, expected: list[str]) -> None:
    assert callback_returns(url) == expected


def test_result_body_matches_the_callback_fixture_shape() -> None:
    fixture = json.loads((FIXTURES / "streams_callback_with_result.json").read_text())
    song = fixture["result"]["results"][0]
    plain = {k: v for k, v in song.items() if k != "score"}
    body = result_body(7, [with_score(plain, 100)], started_at=1586773903, play_length=111.4)
    assert body == fixture
    assert list(body["result"]["results"][0]) == list(song)  # same key order
    before = result_body(7, [song], started_at=1586773903, play_length=None)
    assert "play_length" not in before["result"]


def test_notification_body_matches_the_fixture() -> None:
    fixture = json.loads((FIXTURES / "streams_callback_with_notification.json").read_text())
    assert notification_body(3, 650, running=False, now=1587939136.7) == fixture


def test_custom_song_shape_and_timecode() -> None:
    assert custom_song(146, 88, 105.0, None, None) == {
        "artist": "",
        "title": "",
        "score": 88,
        "audio_id": 146,
        "timecode": "01:45",
    }
    assert format_timecode(3725) == "01:02:05"


def test_backoff_is_capped() -> None:
    assert [backoff_delay(i, 0.5, 4.0) for i in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert 0.25 <= backoff_delay(0, 0.5, 4.0, jitter=1.0) <= 0.75


class _Recorder:
    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def _dispatch(
    bodies: list[tuple[int, dict[str, Any]]],
    url: str | None,
    recorder: _Recorder,
    settings: StreamSettings,
) -> tuple[CallbackDispatcher, list[float]]:
    slept: list[float] = []

    async def fake_sleep(delay: float) -> None:
        slept.append(delay)

    async def main() -> CallbackDispatcher:
        client = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        d = CallbackDispatcher(lambda _acc: url, settings, client=client, sleep=fake_sleep)
        await d.start()
        for radio_id, body in bodies:
            d.submit(1, radio_id, body)
        await asyncio.sleep(0)  # let the thread-safe submissions land
        await d.join(timeout=10)
        await d.aclose()
        await client.aclose()
        return d

    return asyncio.run(main()), slept


def test_placeholder_url_is_accepted_and_discarded_without_a_request() -> None:
    rec = _Recorder()
    d, _ = _dispatch([(1, {"n": 1})], "https://audd.tech/empty/", rec, StreamSettings())
    assert rec.requests == []
    assert d.delivered == 0
    assert d.dropped == 0


def test_callbacks_are_posted_in_order_as_json_with_retries() -> None:
    rec = _Recorder([500, 503, 200])
    bodies = [(1, {"n": i}) for i in range(4)]
    d, slept = _dispatch(bodies, "http://cb.test/hook?return=spotify", rec, StreamSettings())
    assert rec.bodies() == [{"n": 0}, {"n": 0}, {"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]
    assert all(str(r.url) == "http://cb.test/hook?return=spotify" for r in rec.requests)
    assert rec.requests[0].headers["content-type"] == "application/json"
    assert d.delivered == 4
    assert len(slept) == 2
    assert slept[1] > slept[0] * 1.2 or slept[1] >= 0.5  # backing off


def test_a_callback_is_dropped_after_its_attempts() -> None:
    rec = _Recorder([500] * 3)
    settings = StreamSettings(callback_attempts=3)
    d, slept = _dispatch([(1, {"n": 0}), (1, {"n": 1})], "http://cb.test/", rec, settings)
    assert rec.bodies() == [{"n": 0}] * 3 + [{"n": 1}]
    assert d.dropped == 1
    assert d.delivered == 1
    assert len(slept) == 2


def test_queue_overflow_drops_the_oldest() -> None:
    rec = _Recorder()
    settings = StreamSettings(callback_queue_max=2)
    d, _ = _dispatch([(1, {"n": i}) for i in range(5)], "http://cb.test/", rec, settings)
    # The first is taken by the consumer at once; later ones queue up and overflow.
    assert rec.bodies()[-2:] == [{"n": 3}, {"n": 4}]
    assert d.dropped >= 1


def test_state_store_roundtrip(tmp_path: Path) -> None:
    db = Database(tmp_path / "audd.db")
    try:
        store = StreamStateStore(db)
        assert store.load(1, 2) is None
        store.save(1, 2, {"track_id": 5, "track_last": 12.5})
        assert store.load(1, 2) == {"track_id": 5, "track_last": 12.5}
        store.save(1, 2, {"track_id": 6})
        assert store.load(1, 2) == {"track_id": 6}
        assert StreamStateStore(db).load(1, 2) == {"track_id": 6}  # table kept on reopen
        store.delete(1, 2)
        assert store.load(1, 2) is None
    finally:
        db.close()

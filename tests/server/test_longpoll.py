"""`GET /longpoll/` and the EventLog behind it."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from audd_server.store import Database, EventLog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RESULT = json.loads((FIXTURES / "streams_callback_with_result.json").read_text())
NOTE = json.loads((FIXTURES / "streams_callback_with_notification.json").read_text())


def test_longpoll_timeout_answer(client, openapi):
    resp = client.get("/longpoll/", params={"category": "abcdef123", "timeout": 1})
    body = resp.json()
    openapi.validate(body, "LongpollResponse")
    openapi.validate(body, "LongpollTimeoutResponse")
    fixture = json.loads((FIXTURES / "longpoll_no_events.json").read_text())
    assert list(body) == list(fixture)
    assert body["timeout"] == "no events before timeout"


def test_longpoll_returns_oldest_newer_event_and_client_advances(client, openapi):
    events = client.app.state.ctx.events
    start = events.now()
    t1 = events.append("cat1", RESULT)
    t2 = events.append("cat1", NOTE)
    events.append("other", NOTE)
    assert start < t1 < t2
    body = client.get(
        "/longpoll/", params={"category": "cat1", "since_time": start, "timeout": 5}
    ).json()
    openapi.validate(body, "LongpollResponse")
    assert body == {**RESULT, "timestamp": t1}
    body = client.get(
        "/longpoll/", params={"category": "cat1", "since_time": t1, "timeout": 5}
    ).json()
    assert body == {**NOTE, "timestamp": t2}
    body = client.get(
        "/longpoll/", params={"category": "cat1", "since_time": t2, "timeout": 1}
    ).json()
    assert body["timeout"] == "no events before timeout"
    assert body["timestamp"] >= t2


def test_longpoll_wakes_on_event_appended_from_a_thread(client):
    events = client.app.state.ctx.events
    since = events.now()
    box = {}

    def poll():
        box["body"] = client.get(
            "/longpoll/", params={"category": "live", "since_time": since, "timeout": 30}
        ).json()

    t = threading.Thread(target=poll)
    t.start()
    # Append from another thread once the poll is waiting.
    for _ in range(2000):
        if events.waiter_count():
            break
        threading.Event().wait(0.005)
    ts = events.append("live", NOTE)
    t.join(10)
    assert not t.is_alive()
    assert box["body"]["timestamp"] == ts
    assert events.waiter_count() == 0


def test_longpoll_without_since_time_waits_for_new_events(client):
    client.app.state.ctx.events.append("old", NOTE)
    body = client.get("/longpoll/", params={"category": "old", "timeout": 1}).json()
    assert body["timeout"] == "no events before timeout"


def test_longpoll_needs_no_token_and_clamps_timeout(client):
    events = client.app.state.ctx.events
    since = events.now()
    ts = events.append("c", RESULT)
    body = client.get(
        "/longpoll/", params={"category": "c", "since_time": since, "timeout": 1000}
    ).json()
    assert body["timestamp"] == ts
    # A malformed timeout falls back to the default (checked with an event already pending).
    body = client.get(
        "/longpoll", params={"category": "c", "since_time": since, "timeout": "junk"}
    ).json()
    assert body["timestamp"] == ts


@pytest.fixture
def log(tmp_path):
    db = Database(tmp_path / "e.db")
    yield EventLog(db, keep_per_category=3)
    db.close()


def test_eventlog_timestamps_strictly_increase_across_threads(log):
    stamps: list[int] = []
    lock = threading.Lock()

    def worker():
        for _ in range(50):
            ts = log.append("x", {"n": 1})
            with lock:
                stamps.append(ts)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(stamps)) == 200
    assert log.now() >= max(stamps)
    assert log.append("x", {}) > max(stamps)


def test_eventlog_retention_is_bounded(log):
    for i in range(10):
        log.append("x", {"i": i})
    assert [b["i"] for _, b in log.since("x", 0)] == [7, 8, 9]


def test_eventlog_cancelled_wait_leaves_no_waiter(log):
    async def scenario():
        task = asyncio.create_task(log.wait("x", log.now(), 30))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert log.waiter_count() == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert log.waiter_count() == 0

    asyncio.run(scenario())


def test_eventlog_wait_times_out_empty(log):
    async def scenario():
        return await log.wait("x", log.now(), 0.05)

    assert asyncio.run(scenario()) == []
    assert log.waiter_count() == 0


def test_eventlog_persists_across_reopen(tmp_path):
    db = Database(tmp_path / "e.db")
    ts = EventLog(db).append("x", {"a": 1})
    db.close()
    db = Database(tmp_path / "e.db")
    log2 = EventLog(db)
    assert log2.since("x", 0) == [(ts, {"a": 1})]
    assert log2.append("x", {}) > ts
    db.close()

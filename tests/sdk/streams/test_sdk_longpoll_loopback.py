"""Longpoll against a real server on loopback: outages, restarts, prompt shutdown."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sdk_longpoll_helpers import song_event
from sdk_longpoll_server import EventLog, LoopbackServer

from audd import AsyncAudD, AudD
from audd._async._longpoll import AsyncLongpollConsumer
from audd._sync._longpoll import LongpollConsumer

pytestmark = pytest.mark.timeout(60)


def song(n: int) -> dict[str, object]:
    body = song_event(n, 0)
    del body["timestamp"]
    return body


@pytest.fixture
def log() -> EventLog:
    return EventLog()


@pytest.fixture
def server(log: EventLog) -> Iterator[LoopbackServer]:
    srv = LoopbackServer(log).start()
    yield srv
    srv.kill()


class Received:
    """Titles seen by a consumer, with a wait-for-count."""

    def __init__(self) -> None:
        self.titles: list[str | None] = []
        self.cond = threading.Condition()

    def add(self, title: str | None) -> None:
        with self.cond:
            self.titles.append(title)
            self.cond.notify_all()

    def wait_for(self, n: int, timeout: float = 15.0) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.titles) >= n, timeout)


def outage(server: LoopbackServer, log: EventLog, received: Received) -> None:
    """Publish 5, crash mid-poll, publish 5 while down, restart replaying old events, publish 5."""
    for n in range(1, 6):
        log.publish(song(n))
    assert received.wait_for(5)
    assert server.holding.wait(10)  # a poll is held open: the crash drops it mid-request
    polls_before = server.polls
    server.kill()
    for n in range(6, 11):
        log.publish(song(n))
    server.replay_overlap = 3  # the restarted server resends already-delivered events
    server.start()
    for n in range(11, 16):
        log.publish(song(n))
    assert received.wait_for(15)
    assert server.polls >= 1
    assert polls_before >= 1


EXPECTED = [f"Song {n}" for n in range(1, 16)]


def test_sync_consumer_survives_a_server_crash_without_loss_or_duplicates(
    server: LoopbackServer, log: EventLog
) -> None:
    received = Received()
    consumer = LongpollConsumer(
        "abcdef123", base_url=server.url, backoff_factor=0.05, max_backoff=0.25
    )
    with consumer, consumer.iterate(timeout=10) as poll:

        def collect() -> None:
            for match in poll.matches:
                received.add(match.song.title)

        reader = threading.Thread(target=collect, daemon=True)
        reader.start()
        outage(server, log, received)
        # Nothing more arrives: no late duplicates either.
        assert not received.wait_for(16, timeout=0.3)
    reader.join(2)
    assert not reader.is_alive()
    assert received.titles == EXPECTED


def test_async_consumer_survives_a_server_crash_without_loss_or_duplicates(
    server: LoopbackServer, log: EventLog
) -> None:
    received = Received()

    async def scenario() -> None:
        consumer = AsyncLongpollConsumer(
            "abcdef123", base_url=server.url, backoff_factor=0.05, max_backoff=0.25
        )
        async with consumer, consumer.iterate(timeout=10) as poll:

            async def collect() -> None:
                async for match in poll.matches:
                    received.add(match.song.title)

            reader = asyncio.ensure_future(collect())
            await asyncio.to_thread(outage, server, log, received)
            assert not await asyncio.to_thread(received.wait_for, 16, 0.3)
        await asyncio.wait_for(reader, 2)

    asyncio.run(scenario())
    assert received.titles == EXPECTED


def test_resuming_with_since_time_replays_only_newer_events(
    server: LoopbackServer, log: EventLog
) -> None:
    first = log.publish(song(1))
    log.publish(song(2))
    consumer = LongpollConsumer("abcdef123", base_url=server.url)
    with consumer, consumer.iterate(timeout=5, since_time=first) as poll:
        assert next(iter(poll.matches)).song.title == "Song 2"


@pytest.mark.parametrize("injected", [False, True], ids=["owned-client", "injected-client"])
def test_sync_exit_aborts_a_held_poll_within_one_second(
    server: LoopbackServer, injected: bool
) -> None:
    http = httpx.Client() if injected else None
    with AudD("test-token", base_url=server.url, httpx_client=http) as audd:
        # With an injected client the poll must open its own connection to be abortable
        # (a pooled one opened by another call is out of reach): skip the preflight here.
        poll = audd.streams.longpoll(radio_id=1, timeout=60, skip_callback_check=injected)
        with poll:
            assert server.holding.wait(10)
            started = time.monotonic()
        elapsed = time.monotonic() - started
        assert elapsed < 1.0
        assert not poll.running
        # The server saw the request go away: it was cancelled, not left running.
        assert server.disconnected.wait(5)
        assert list(poll.matches) == []
    if http is not None:
        http.close()


def test_sync_exit_on_a_reused_injected_connection_still_returns_within_one_second(
    server: LoopbackServer, log: EventLog
) -> None:
    with httpx.Client() as http, AudD("test-token", base_url=server.url, httpx_client=http) as audd:
        poll = audd.streams.longpoll(radio_id=1, timeout=3)  # preflight opens the connection
        with poll:
            assert server.holding.wait(10)
            started = time.monotonic()
        assert time.monotonic() - started < 1.0
        assert list(poll.matches) == []
        log.publish(song(1))  # the detached poll ends with the server's answer, delivering nothing
        assert list(poll.matches) == []


def test_async_exit_cancels_a_held_poll_within_one_second(server: LoopbackServer) -> None:
    async def scenario() -> float:
        async with AsyncAudD("test-token", base_url=server.url) as audd:
            poll = await audd.streams.longpoll(radio_id=1, timeout=60)
            async with poll:
                assert await asyncio.to_thread(server.holding.wait, 10)
                started = time.monotonic()
            return time.monotonic() - started

    assert asyncio.run(scenario()) < 1.0
    assert server.disconnected.wait(5)


def test_events_arrive_through_audd_streams_longpoll(server: LoopbackServer, log: EventLog) -> None:
    with (
        AudD("test-token", base_url=server.url) as audd,
        audd.streams.longpoll(radio_id=1, timeout=5) as poll,
    ):
        assert server.holding.wait(10)
        log.publish(song(42))
        assert next(iter(poll.matches)).song.title == "Song 42"

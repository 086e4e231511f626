"""Tokenless consumers (`LongpollConsumer`, `AsyncLongpollConsumer`) and bounded queues."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import httpx
import pytest
from sdk_longpoll_helpers import FakeServer, notification_event, song_event

from audd._async._longpoll import AsyncLongpollConsumer
from audd._sync._longpoll import LongpollConsumer


class Endless:
    """Every poll returns one new event; counts polls and signals thresholds."""

    def __init__(self) -> None:
        self.polls: list[httpx.Request] = []
        self.lock = threading.Lock()
        self.reached: dict[int, threading.Event] = {}

    def at(self, n: int) -> threading.Event:
        with self.lock:
            event = self.reached.setdefault(n, threading.Event())
            if len(self.polls) >= n:
                event.set()
            return event

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.polls.append(request)
            n = len(self.polls)
            for threshold, event in self.reached.items():
                if n >= threshold:
                    event.set()
        return httpx.Response(200, json=song_event(n, 1000 + n))


def sync_consumer(handler: Any, **kwargs: Any) -> LongpollConsumer:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    consumer = LongpollConsumer("abcdef123", base_url="http://lp.test", httpx_client=http, **kwargs)
    consumer._sleep = lambda delay: None
    return consumer


def async_consumer(handler: Any, **kwargs: Any) -> AsyncLongpollConsumer:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    consumer = AsyncLongpollConsumer(
        "abcdef123", base_url="http://lp.test", httpx_client=http, **kwargs
    )

    async def no_sleep(delay: float) -> None:
        return None

    consumer._sleep = no_sleep
    return consumer


# -- construction and wire --------------------------------------------------------------------


def test_consumer_sends_only_category_timeout_and_since_time() -> None:
    server = FakeServer(song_event(1, 50))
    with (
        sync_consumer(server) as consumer,
        consumer.iterate(timeout=20, since_time=40) as poll,
    ):
        assert next(iter(poll.matches)).song.title == "Song 1"
        server.release()
    request = server.polls[0]
    assert (
        str(request.url) == "http://lp.test/longpoll/?category=abcdef123&timeout=20&since_time=40"
    )
    assert "api_token" not in str(request.url)
    assert request.extensions["timeout"]["read"] > 20
    assert [r.url.path for r in server.requests] == ["/longpoll/"] * len(server.requests)


def test_async_consumer_sends_only_category_timeout_and_since_time() -> None:
    server = FakeServer(song_event(1, 50))

    async def scenario() -> None:
        async with async_consumer(server) as consumer, consumer.iterate(timeout=20) as poll:
            async for match in poll.matches:
                assert match.song.title == "Song 1"
                break

    asyncio.run(scenario())
    assert str(server.polls[0].url) == "http://lp.test/longpoll/?category=abcdef123&timeout=20"


def test_consumer_base_url_from_argument_env_or_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LongpollConsumer("c").base_url == "https://api.audd.io"
    monkeypatch.setenv("AUDD_BASE_URL", "http://127.0.0.1:9/")
    assert LongpollConsumer("c").base_url == "http://127.0.0.1:9"
    assert AsyncLongpollConsumer("c").base_url == "http://127.0.0.1:9"
    assert LongpollConsumer("c", base_url="https://x.test").base_url == "https://x.test"
    with pytest.raises(ValueError, match="http"):
        LongpollConsumer("c", base_url="ftp://x")


@pytest.mark.parametrize("cls", [LongpollConsumer, AsyncLongpollConsumer])
def test_consumer_validates_arguments(cls: Any) -> None:
    with pytest.raises(TypeError):
        cls(123)
    with pytest.raises(ValueError, match="non-empty"):
        cls("  ")
    with pytest.raises(ValueError, match="queue_size"):
        cls("c", queue_size=0)
    wrong = httpx.AsyncClient() if cls is LongpollConsumer else httpx.Client()
    with pytest.raises(TypeError, match="httpx"):
        cls("c", httpx_client=wrong)
    consumer = cls("c")
    with pytest.raises(ValueError, match="between 1 and 90"):
        consumer.iterate(timeout=120)
    with pytest.raises(TypeError):
        consumer.iterate(since_time="5")


def test_closed_consumer_refuses_new_subscriptions_and_closes_open_ones() -> None:
    server = FakeServer()
    consumer = sync_consumer(server)
    poll = consumer.iterate().start()
    assert server.first_poll.wait(5)
    server.release()
    consumer.close()
    assert poll.closed
    assert list(poll.matches) == []
    with pytest.raises(RuntimeError, match="closed"):
        consumer.iterate()


# -- bounded queues ---------------------------------------------------------------------------


def test_slow_consumer_slows_polling_instead_of_buffering() -> None:
    server = Endless()
    with sync_consumer(server, queue_size=2) as consumer, consumer.iterate() as poll:
        matches = iter(poll.matches)
        assert next(matches).song.title == "Song 1"
        # Two queued + one waiting for room: the poller then stops asking for more.
        assert server.at(4).wait(5)
        assert not server.at(6).wait(0.3)
        assert len(poll.matches) == 2
        assert [m.song.title for m in itertools.islice(matches, 3)] == [
            "Song 2",
            "Song 3",
            "Song 4",
        ]
        assert server.at(6).wait(5)


def test_async_slow_consumer_slows_polling_instead_of_buffering() -> None:
    server = Endless()

    async def scenario() -> None:
        async with async_consumer(server, queue_size=2) as consumer, consumer.iterate() as poll:
            matches = aiter(poll.matches)
            assert (await anext(matches)).song.title == "Song 1"
            assert await asyncio.to_thread(server.at(4).wait, 5)
            assert not await asyncio.to_thread(server.at(6).wait, 0.3)
            assert len(poll.matches) == 2
            titles = [(await anext(matches)).song.title for _ in range(3)]
            assert titles == ["Song 2", "Song 3", "Song 4"]
            assert await asyncio.to_thread(server.at(6).wait, 5)

    asyncio.run(scenario())


def _notification_flood() -> FakeServer:
    notes = [notification_event(651, 100 + i, time_s=i) for i in range(10)]
    return FakeServer({"events": [*notes, song_event(1, 200)]})


def test_an_unread_channel_keeps_only_the_newest_items() -> None:
    server = _notification_flood()
    with sync_consumer(server, queue_size=3) as consumer, consumer.iterate() as poll:
        assert next(iter(poll.matches)).song.title == "Song 1"
        assert server.wait_polls(2).wait(5)  # the first answer was fully delivered
        assert len(poll.notifications) == 3
        notes = list(itertools.islice(iter(poll.notifications), 3))
        assert [n.time for n in notes] == [7, 8, 9]
        server.release()


def test_async_an_unread_channel_keeps_only_the_newest_items() -> None:
    server = _notification_flood()

    async def scenario() -> None:
        async with async_consumer(server, queue_size=3) as consumer, consumer.iterate() as poll:
            async for _ in poll.matches:
                break
            assert await asyncio.to_thread(server.wait_polls(2).wait, 5)
            assert len(poll.notifications) == 3
            times = []
            async for note in poll.notifications:
                times.append(note.time)
                if len(times) == 3:
                    break
            assert times == [7, 8, 9]

    asyncio.run(scenario())


def test_nothing_is_lost_before_the_first_read_and_polling_waits_for_it() -> None:
    server = Endless()
    with sync_consumer(server, queue_size=5) as consumer, consumer.iterate() as poll:
        # Nobody reads yet: five queued, the sixth waits for room; no more polls.
        assert server.at(6).wait(5)
        assert not server.at(8).wait(0.3)
        assert len(poll.matches) == 5
        titles = [m.song.title for m in itertools.islice(iter(poll.matches), 8)]
        assert titles == [f"Song {n}" for n in range(1, 9)]


def test_dedupe_memory_is_bounded() -> None:
    server = Endless()
    with sync_consumer(server) as consumer, consumer.iterate() as poll:
        poll._state.dedupe_window = 50
        assert len(list(itertools.islice(iter(poll.matches), 300))) == 300
        assert len(poll._state._seen) <= 50

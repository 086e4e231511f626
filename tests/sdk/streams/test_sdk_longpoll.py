"""Longpoll through `audd.streams.longpoll` on both twins, over a scripted MockTransport."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from sdk_helpers import Twin, load_fixture, ok
from sdk_longpoll_helpers import (
    LP,
    FakeServer,
    notification_event,
    run,
    song_event,
    wait_event,
)

from audd import (
    AudDAPIError,
    AudDAuthenticationError,
    AudDBlockedError,
    AudDConnectionError,
    AudDEvent,
    AudDInvalidRequestError,
    AudDServerError,
    StreamCallbackMatch,
    StreamCallbackNotification,
)

TIMEOUT_BODY = load_fixture("longpoll_no_events")


def titles(matches: list[StreamCallbackMatch]) -> list[str | None]:
    return [m.song.title for m in matches]


# -- preflight and arguments ------------------------------------------------------------------


def test_preflight_without_callback_url_raises_with_guidance(twin: Twin) -> None:
    server = FakeServer()
    server.callback_url = ok(load_fixture("error_19_no_callback_url"))
    lp = LP(twin, server)

    async def scenario() -> None:
        with pytest.raises(AudDInvalidRequestError) as info:
            await lp.open(radio_id=1)
        message = str(info.value)
        assert "https://audd.tech/empty/" in message
        assert "skip_callback_check" in message
        assert info.value.error_code == 19
        assert isinstance(info.value.__cause__, AudDBlockedError)

    run(scenario)
    assert server.polls == []


def test_preflight_on_a_blocked_account_raises_the_blocked_error(twin: Twin) -> None:
    body = load_fixture("error_19_no_callback_url")
    body["result"] = {"artist": "Blocked", "title": "contact api@audd.io"}
    server = FakeServer()
    server.callback_url = ok(body)
    lp = LP(twin, server)

    async def scenario() -> None:
        with pytest.raises(AudDBlockedError):
            await lp.open(radio_id=1)

    run(scenario)


def test_preflight_null_callback_url_raises(twin: Twin) -> None:
    server = FakeServer()
    server.callback_url = {"status": "success", "result": None}
    lp = LP(twin, server)

    async def scenario() -> None:
        with pytest.raises(AudDInvalidRequestError, match="skip_callback_check"):
            await lp.open(radio_id=1)

    run(scenario)


def test_preflight_runs_once_per_client_and_can_be_skipped(twin: Twin) -> None:
    server = FakeServer()
    lp = LP(twin, server)

    async def scenario() -> None:
        await lp.open(radio_id=1)
        await lp.open(radio_id=2)
        assert [r.url.path for r in server.requests] == ["/getCallbackUrl/"]

    run(scenario)

    server2 = FakeServer()
    lp2 = LP(twin, server2)

    async def skipped() -> None:
        await lp2.open(radio_id=1, skip_callback_check=True)

    run(skipped)
    assert server2.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"radio_id": 1, "timeout": 0}, ValueError),
        ({"radio_id": 1, "timeout": 91}, ValueError),
        ({"radio_id": 1, "timeout": 2.5}, ValueError),
        ({"radio_id": 1, "timeout": True}, TypeError),
        ({"radio_id": 1, "timeout": "30"}, TypeError),
        ({"radio_id": "1"}, TypeError),
        ({"radio_id": True}, TypeError),
        ({}, TypeError),
        ({"radio_id": 1, "category": "abc"}, TypeError),
        ({"category": ""}, ValueError),
        ({"radio_id": 1, "since_time": -1}, ValueError),
    ],
)
def test_invalid_longpoll_arguments_fail_before_any_request(
    twin: Twin, kwargs: dict[str, object], error: type[Exception]
) -> None:
    server = FakeServer()
    lp = LP(twin, server)

    async def scenario() -> None:
        with pytest.raises(error):
            await lp.open(**kwargs)

    run(scenario)
    assert server.requests == []


# -- lifecycle --------------------------------------------------------------------------------


def test_polling_starts_when_the_with_block_is_entered(twin: Twin) -> None:
    server = FakeServer(events=[song_event(1, 1001)])
    lp = LP(twin, server)

    async def scenario() -> None:
        handle = await lp.open(radio_id=1)
        assert not server.first_poll.is_set()
        with pytest.raises(RuntimeError, match="context manager"):
            await handle.take("matches", 1)
        assert server.polls == []
        async with handle:
            assert await wait_event(server.first_poll)
            assert titles(await handle.take("matches", 1)) == ["Song 1"]

    run(scenario)


def test_leaving_the_block_returns_quickly_and_ends_iterators(twin: Twin) -> None:
    server = FakeServer()
    lp = LP(twin, server)

    async def scenario() -> None:
        handle = await lp.open(radio_id=1)
        handle.keep_holding = True
        async with handle:
            assert await wait_event(server.first_poll)  # the poll is now held open
            waiting = asyncio.ensure_future(handle.drain("matches", timeout=5))
            notes = asyncio.ensure_future(handle.drain("notifications", timeout=5))
            errors = asyncio.ensure_future(handle.drain("errors", timeout=5))
            await asyncio.sleep(0)  # let the iterators start
        assert handle.exit_seconds is not None
        assert handle.exit_seconds < 1.0
        assert await asyncio.wait_for(waiting, 1.0) == []
        assert await asyncio.wait_for(notes, 1.0) == []
        assert await asyncio.wait_for(errors, 1.0) == []
        assert not handle.sub.running

    run(scenario)


def test_a_subscription_cannot_be_started_twice(twin: Twin) -> None:
    lp = LP(twin, FakeServer())

    async def scenario() -> None:
        handle = await lp.open(radio_id=1)
        async with handle:
            start = handle.sub.start
            with pytest.raises(RuntimeError):
                await start() if lp.is_async else start()

    run(scenario)


# -- wire -------------------------------------------------------------------------------------


def test_longpoll_request_is_a_tokenless_get_with_a_long_read_timeout(twin: Twin) -> None:
    server = FakeServer(events=[song_event(1, 1001)])
    lp = LP(twin, server, api_token="secret-token-123")

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1, timeout=45) as handle:
            await handle.take("matches", 1)

    run(scenario)
    poll = server.polls[0]
    assert poll.method == "GET"
    assert poll.url.path == "/longpoll/"
    assert dict(poll.url.params) == {
        "category": lp.client.streams.derive_longpoll_category(1),
        "timeout": "45",
    }
    assert poll.content == b""
    assert "secret-token-123" not in str(poll.url)
    assert all("secret-token-123" not in v for v in poll.headers.values())
    timeouts = poll.extensions["timeout"]
    assert timeouts["read"] > 45
    assert poll.headers["user-agent"].startswith("audd/")


def test_longpoll_by_category_and_since_time(twin: Twin) -> None:
    server = FakeServer(events=[song_event(1, 5000), song_event(2, 6000)])
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(category="abcdef123", since_time=5000) as handle:
            assert titles(await handle.take("matches", 1)) == ["Song 2"]

    run(scenario)
    assert server.polls[0].url.params["category"] == "abcdef123"
    assert server.polls[0].url.params["since_time"] == "5000"


# -- events -----------------------------------------------------------------------------------


def test_events_are_delivered_in_order_and_since_time_advances(twin: Twin) -> None:
    events = [song_event(1, 1001), notification_event(650, 1002), song_event(2, 1003)]
    server = FakeServer(events=events)
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            matches = await handle.take("matches", 2)
            notes = await handle.take("notifications", 1)
            assert titles(matches) == ["Song 1", "Song 2"]
            assert matches[0].play_length == 101
            assert isinstance(notes[0], StreamCallbackNotification)
            assert notes[0].notification_code == 650
            assert await wait_event(server.wait_polls(4))
            assert handle.sub.since_time == 1003

    run(scenario)
    assert server.since_times()[:4] == [None, 1001, 1002, 1003]


def test_since_time_follows_each_response_timestamp(twin: Twin) -> None:
    server = FakeServer(
        {"timeout": "no events before timeout", "timestamp": 10},
        song_event(1, 20),
        {"timeout": "no events before timeout", "timestamp": 30},
        song_event(2, 40),
    )
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 2)) == ["Song 1", "Song 2"]
            assert await wait_event(server.wait_polls(5))

    run(scenario)
    assert server.since_times()[:5] == [None, 10, 20, 30, 40]


def test_events_list_form_and_golongpoll_envelope(twin: Twin) -> None:
    batch = {
        "events": [
            song_event(1, 101),
            {"timestamp": 102, "category": "x", "data": notification_event(0, 102)},
            {"timestamp": 103, "category": "x", "data": json.dumps(song_event(2, 103))},
            "garbage",
            {"timestamp": 104, "data": {"neither": True}},
        ]
    }
    server = FakeServer(batch)
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 2)) == ["Song 1", "Song 2"]
            notes = await handle.take("notifications", 1)
            assert notes[0].notification_code == 0
            assert await wait_event(server.wait_polls(2))

    run(scenario)
    assert server.since_times()[1] == 104


def test_duplicate_events_are_delivered_once(twin: Twin) -> None:
    first = song_event(1, 1001)
    restamped = {**first, "timestamp": 1005}
    server = FakeServer(
        first,
        first,
        {"events": [first, restamped, song_event(2, 1006)]},
        song_event(2, 1006),
        song_event(3, 1007),
    )
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 3)) == ["Song 1", "Song 2", "Song 3"]

    run(scenario)


def test_malformed_alternative_in_longpoll_event_is_skipped(twin: Twin) -> None:
    event = song_event(1, 1001)
    event["result"]["results"].append(42)
    event["result"]["results"].append({"artist": "Alt", "title": "Alt song", "score": 10})
    lp = LP(twin, FakeServer(event))

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            (match,) = await handle.take("matches", 1)
            assert [a.title for a in match.alternatives] == ["Alt song"]

    run(scenario)


# -- failures ---------------------------------------------------------------------------------


def test_transient_failures_reconnect_with_capped_backoff_and_resume(twin: Twin) -> None:
    server = FakeServer(
        song_event(1, 1001),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        ok({}, status=500),
        ok({}, status=429, headers={"Retry-After": "7"}),
        ok({}, status=408),
        httpx.Response(503, text="<html>down</html>"),
        song_event(2, 1002),
    )
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 2)) == ["Song 1", "Song 2"]

    run(scenario)
    # backoff_factor 0.5, jitter 1.0: 0.5, 1, 2, 4, then Retry-After 7 over 8, 16, 30 (cap).
    assert lp.sleeps[:7] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    # Every reconnect resumes from the last since_time.
    assert server.since_times()[1:9] == [1001] * 8


def test_retry_after_raises_the_backoff_floor(twin: Twin) -> None:
    server = FakeServer(ok({}, status=503, headers={"Retry-After": "12"}), song_event(1, 1))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            await handle.take("matches", 1)

    run(scenario)
    assert lp.sleeps[0] == 12.0


def test_backoff_resets_after_a_successful_poll(twin: Twin) -> None:
    server = FakeServer(
        httpx.ConnectError("x"),
        httpx.ConnectError("x"),
        song_event(1, 1),
        httpx.ConnectError("x"),
        song_event(2, 2),
    )
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            await handle.take("matches", 2)

    run(scenario)
    assert lp.sleeps[:3] == [0.5, 1.0, 0.5]


def test_outage_of_many_failures_keeps_reconnecting(twin: Twin) -> None:
    server = FakeServer(*[httpx.ConnectError("down")] * 60, song_event(1, 1))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 1)) == ["Song 1"]

    run(scenario)
    assert len(lp.sleeps) >= 60
    assert max(lp.sleeps) == 30.0


@pytest.mark.parametrize(
    ("reply", "error_type", "status"),
    [
        (lambda: httpx.Response(404, text="not found"), AudDServerError, 404),
        (lambda: httpx.Response(401, text="nope"), AudDServerError, 401),
        (lambda: ok(load_fixture("error_900_invalid_token")), AudDAuthenticationError, 200),
        (
            lambda: ok(load_fixture("error_900_invalid_token"), status=403),
            AudDAuthenticationError,
            403,
        ),
    ],
)
def test_permanent_failure_ends_with_one_error(
    twin: Twin, reply: Callable[[], httpx.Response], error_type: type[AudDAPIError], status: int
) -> None:
    server = FakeServer(song_event(1, 1), reply(), song_event(2, 2))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            errors = await handle.drain("errors")
            assert len(errors) == 1
            assert isinstance(errors[0], error_type)
            assert errors[0].http_status == status
            # Items queued before the failure are still delivered, then iteration ends.
            assert titles(await handle.drain("matches")) == ["Song 1"]
            assert not handle.sub.running

    run(scenario)
    assert len(server.polls) == 2


def test_the_terminal_error_is_still_readable_after_the_block(twin: Twin) -> None:
    server = FakeServer(httpx.Response(410, text="gone"))
    lp = LP(twin, server)

    async def scenario() -> None:
        handle = await lp.open(radio_id=1)
        async with handle:
            assert await handle.drain("matches") == []
        (error,) = await handle.drain("errors")
        assert error.http_status == 410

    run(scenario)


def test_unsupported_url_scheme_is_permanent(twin: Twin) -> None:
    server = FakeServer(httpx.UnsupportedProtocol("ftp"))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            (error,) = await handle.drain("errors")
            assert isinstance(error, AudDConnectionError)
            assert isinstance(error.__cause__, httpx.UnsupportedProtocol)

    run(scenario)


def test_transient_api_error_codes_back_off_instead_of_ending(twin: Twin) -> None:
    rate_limited = {"status": "error", "error": {"error_code": 611, "error_message": "slow down"}}
    internal = {"status": "error", "error": {"error_code": 1000, "error_message": "oops"}}
    server = FakeServer(rate_limited, internal, song_event(1, 1))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 1)) == ["Song 1"]

    run(scenario)
    assert lp.sleeps[:2] == [0.5, 1.0]


def test_unknown_or_malformed_200_bodies_never_poll_in_a_tight_loop(twin: Twin) -> None:
    odd = [
        ok({"hello": "world"}),
        httpx.Response(200, text="<html>proxy page</html>"),
        ok([1, 2, 3]),
        httpx.Response(204),
        ok({"status": "success"}),
    ] * 4
    server = FakeServer(*odd, song_event(1, 1))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 1)) == ["Song 1"]

    run(scenario)
    # One backoff sleep per odd answer, never zero: the re-poll rate is bounded.
    assert len(lp.sleeps) >= len(odd)
    assert all(delay >= 0.1 for delay in lp.sleeps[: len(odd)])


def test_event_less_answers_that_return_at_once_back_off(twin: Twin) -> None:
    server = FakeServer(*[TIMEOUT_BODY] * 5, song_event(1, 1777901270050))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1, timeout=30) as handle:
            await handle.take("matches", 1)

    run(scenario)
    assert lp.sleeps[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_all_duplicate_answers_that_return_at_once_back_off(twin: Twin) -> None:
    same = song_event(1, 1)
    server = FakeServer(same, same, same, song_event(2, 2))
    lp = LP(twin, server)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            assert titles(await handle.take("matches", 2)) == ["Song 1", "Song 2"]

    run(scenario)
    assert lp.sleeps[:2] == [0.5, 1.0]


# -- observability ----------------------------------------------------------------------------


def test_on_event_sees_every_longpoll_attempt(twin: Twin) -> None:
    seen: list[AudDEvent] = []
    server = FakeServer(httpx.ConnectError("x"), song_event(1, 1))
    lp = LP(twin, server, on_event=seen.append)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1) as handle:
            await handle.take("matches", 1)

    run(scenario)
    polls = [e for e in seen if e.method == "longpoll"]
    kinds = [e.kind for e in polls[:4]]
    assert kinds == ["request", "exception", "request", "response"]
    assert polls[1].extras["exception"] == "ConnectError"
    assert polls[3].http_status == 200
    assert all("test-token" not in e.url for e in seen)


def test_a_failing_on_event_hook_does_not_break_the_poll(twin: Twin) -> None:
    def hook(event: AudDEvent) -> None:
        raise RuntimeError("observer bug")

    lp = LP(twin, FakeServer(song_event(1, 1)), on_event=hook)

    async def scenario() -> None:
        async with lp.subscribed(radio_id=1, skip_callback_check=True) as handle:
            assert titles(await handle.take("matches", 1)) == ["Song 1"]

    run(scenario)

"""Pure longpoll and callback decisions in `audd._core._streams` (no I/O, no client)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from audd._core._streams import (
    LONGPOLL_MIN_DELAY,
    LongpollState,
    event_key,
    longpoll_http_timeout,
    longpoll_params,
    longpoll_url,
    merge_return_into_url,
    parse_callback_url,
)
from audd.errors import (
    AudDAuthenticationError,
    AudDConnectionError,
    AudDInvalidRequestError,
    AudDServerError,
)

SONG = {"radio_id": 1, "results": [{"artist": "A", "title": "T", "score": 9}]}
NOTE = {"notification": {"radio_id": 1}, "time": 1, "timestamp": 9}
BATCH = {
    "events": [{"result": SONG, "timestamp": 3}, {"data": {"notification": {}}, "timestamp": 4}]
}
BAD_TOKEN = {"status": "error", "error": {"error_code": 900, "error_message": "x"}}
SLOW_DOWN = {"status": "error", "error": {"error_code": 611, "error_message": "x"}}


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


def state(**kwargs: Any) -> LongpollState:
    return LongpollState(category="c", timeout=30, **kwargs)


@pytest.mark.parametrize(
    ("status", "headers", "content", "matches", "notifications", "since", "delay", "error"),
    [
        (200, {}, body({"timeout": "no events before timeout", "timestamp": 7}), 0, 0, 7, 0, None),
        (200, {}, body({"result": SONG, "timestamp": 8}), 1, 0, 8, 0, None),
        (200, {}, body(NOTE), 0, 1, 9, 0, None),
        (200, {}, body(BATCH), 1, 1, 4, 0, None),
        (200, {}, body({"what": 1}), 0, 0, None, 0.5, None),
        (200, {}, b"<html>", 0, 0, None, 0.5, None),
        (204, {}, b"", 0, 0, None, 0.5, None),
        (500, {}, b"", 0, 0, None, 0.5, None),
        (502, {}, body({"status": "error"}), 0, 0, None, 0.5, None),
        (408, {}, b"", 0, 0, None, 0.5, None),
        (429, {"retry-after": "3"}, b"", 0, 0, None, 3.0, None),
        (503, {"retry-after": "999"}, b"", 0, 0, None, 30.0, None),
        (404, {}, b"nope", 0, 0, None, 0, AudDServerError),
        (301, {}, b"", 0, 0, None, 0, AudDServerError),
        (200, {}, body(BAD_TOKEN), 0, 0, None, 0, AudDAuthenticationError),
        (200, {}, body(SLOW_DOWN), 0, 0, None, 0.5, None),
    ],
)  # fmt: skip
def test_on_response_table(
    status: int,
    headers: dict[str, str],
    content: bytes,
    matches: int,
    notifications: int,
    since: int | None,
    delay: float,
    error: type[Exception] | None,
) -> None:
    lp = state()
    step = lp.on_response(status, headers, content, elapsed=20.0, rand=0.5)
    assert (len(step.matches), len(step.notifications)) == (matches, notifications)
    assert lp.since_time == since
    assert step.delay == delay
    if error is None:
        assert step.error is None
    else:
        assert isinstance(step.error, error)


def test_since_time_never_moves_backwards() -> None:
    lp = state(since_time=100)
    lp.on_response(200, {}, body({"timeout": "x", "timestamp": 50}), elapsed=20, rand=0.5)
    assert lp.since_time == 100
    assert lp.params() == {"category": "c", "timeout": "30", "since_time": "100"}


def test_backoff_doubles_caps_and_jitters() -> None:
    lp = state(backoff_factor=1.0, max_backoff=10.0)
    delays = [lp.backoff(0.5) for _ in range(6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    lp.failures = 0
    assert lp.backoff(0.0) == 0.5
    lp.failures = 0
    assert lp.backoff(0.999) == pytest.approx(1.499)


def test_backoff_has_a_floor_even_with_factor_zero() -> None:
    lp = state(backoff_factor=0.0)
    assert lp.backoff(0.5) == LONGPOLL_MIN_DELAY


def test_backoff_survives_very_long_outages() -> None:
    lp = state()
    lp.failures = 10_000
    assert lp.backoff(0.5) == 30.0


def test_transport_errors_are_transient_except_bad_urls() -> None:
    lp = state()
    assert lp.on_transport_error(httpx.ConnectError("x"), 0.5).error is None
    step = lp.on_transport_error(httpx.UnsupportedProtocol("x"), 0.5)
    assert isinstance(step.error, AudDConnectionError)


def test_dedupe_ignores_transport_fields_but_not_content() -> None:
    a = {"result": SONG, "timestamp": 1, "category": "x"}
    assert event_key(a) == event_key({**a, "timestamp": 2, "category": "y"})
    assert event_key(a) != event_key({"result": {**SONG, "radio_id": 2}, "timestamp": 1})


def test_dedupe_window_is_bounded() -> None:
    lp = state(dedupe_window=3)
    for n in range(10):
        event = {"result": {**SONG, "play_length": n}, "timestamp": n + 1}
        lp.on_response(200, {}, body(event), elapsed=20, rand=0.5)
    assert len(lp._seen) == 3


def test_quick_empty_answers_back_off_but_held_ones_do_not() -> None:
    lp = state()
    idle = body({"timeout": "no events before timeout", "timestamp": 1})
    assert lp.on_response(200, {}, idle, elapsed=0.01, rand=0.5).delay == 0.5
    assert lp.on_response(200, {}, idle, elapsed=0.01, rand=0.5).delay == 1.0
    assert lp.on_response(200, {}, idle, elapsed=29.9, rand=0.5).delay == 0
    assert lp.failures == 0


def test_wire_helpers() -> None:
    assert longpoll_url("http://h:1/") == "http://h:1/longpoll/"
    assert longpoll_params("c", 5, None) == {"category": "c", "timeout": "5"}
    timeout = longpoll_http_timeout(90)
    assert timeout.read is not None
    assert timeout.read > 90


@pytest.mark.parametrize(
    "url",
    [
        "https://a/?return=x",
        "https://a/?x=1&return=",
        "https://a/?%72eturn=spotify",
        "https://a/?return",
    ],
)
def test_existing_return_key_conflicts(url: str) -> None:
    with pytest.raises(AudDInvalidRequestError):
        merge_return_into_url(url, ["spotify"])


def test_return_merge_keeps_similar_keys() -> None:
    assert merge_return_into_url("https://a/?returns=1", "deezer") == (
        "https://a/?returns=1&return=deezer"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("None", None),
        ("null", None),
        ("  ", None),
        (5, None),
        ("https://a/", "https://a/"),
    ],
)
def test_parse_callback_url(raw: Any, expected: str | None) -> None:
    assert parse_callback_url(raw) == expected

"""on_event hooks and debug logging on both twins."""

from __future__ import annotations

import dataclasses
import logging

import httpx
import pytest
from sdk_helpers import Recorder, Twin, load_fixture, ok

from audd import AudDAuthenticationError, AudDConnectionError, AudDEvent

TOKEN = "super-secret-token"


def test_events_for_every_attempt(twin: Twin) -> None:
    events: list[AudDEvent] = []
    rec = Recorder(
        httpx.ConnectError("refused"),
        httpx.Response(500, text="x", headers={"x-request-id": "r-500"}),
        ok({"status": "success", "result": None}, headers={"x-request-id": "r-ok"}),
    )
    client = twin.client(rec, on_event=events.append)
    twin.run(client.recognize("https://x.test/a.mp3"))
    assert [e.kind for e in events] == [
        "request", "exception", "request", "response", "request", "response",
    ]  # fmt: skip
    assert {e.method for e in events} == {"recognize"}
    assert [e.extras["attempt"] for e in events] == [1, 1, 2, 2, 3, 3]
    assert events[1].extras["exception"] == "ConnectError"
    assert events[1].extras["will_retry"] is True
    assert (events[3].http_status, events[3].request_id, events[3].error_code) == (500, "r-500", 0)
    assert (events[5].http_status, events[5].request_id, events[5].error_code) == (
        200,
        "r-ok",
        None,
    )
    assert all(
        e.elapsed_ms is not None and e.elapsed_ms >= 0 for e in events if e.kind != "request"
    )
    assert all(e.url == "https://api.audd.io/" for e in events)


def test_event_is_frozen(twin: Twin) -> None:
    events: list[AudDEvent] = []
    twin.run(twin.client(Recorder(), on_event=events.append).recognize("https://x.test/a"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        events[0].kind = "response"  # type: ignore[misc]


def test_api_error_event_has_error_code(twin: Twin) -> None:
    events: list[AudDEvent] = []
    client = twin.client(
        Recorder(ok(load_fixture("error_900_invalid_token"))), on_event=events.append
    )
    with pytest.raises(AudDAuthenticationError):
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert [(e.kind, e.error_code) for e in events] == [("request", None), ("response", 900)]


def test_events_fire_on_every_endpoint(twin: Twin) -> None:
    events: list[AudDEvent] = []
    rec = Recorder(ok({"status": "success", "result": []}))
    client = twin.client(rec, on_event=events.append)
    twin.run(client.recognize(b"x"))
    twin.run(client.recognize_enterprise(b"x", limit=1))
    twin.run(client.custom_catalog.add(1, b"x"))
    twin.run(client.advanced.find_lyrics("x"))
    twin.run(client.advanced.raw_request("getLinks", {}))
    assert [e.method for e in events if e.kind == "response"] == [
        "recognize", "recognizeEnterprise", "upload", "findLyrics", "getLinks",
    ]  # fmt: skip


def test_events_never_carry_token_or_body(twin: Twin) -> None:
    events: list[AudDEvent] = []
    client = twin.client(Recorder(), api_token=TOKEN, on_event=events.append)
    twin.run(client.recognize(b"AUDIO-PAYLOAD", extra_parameters={"x": "FIELD-VALUE"}))
    text = repr(events)
    assert TOKEN not in text
    assert "AUDIO-PAYLOAD" not in text
    assert "FIELD-VALUE" not in text


def test_hook_exceptions_are_swallowed_and_logged(
    twin: Twin, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: AudDEvent) -> None:
        raise RuntimeError("hook bug")

    client = twin.client(Recorder(ok(load_fixture("recognize_basic"))), on_event=broken)
    with caplog.at_level(logging.DEBUG, logger="audd"):
        result = twin.run(client.recognize("https://x.test/a.mp3"))
    assert result.artist == "Tears For Fears"
    hook_logs = [r for r in caplog.records if "on_event" in r.getMessage()]
    assert hook_logs
    assert all(r.levelno == logging.DEBUG and r.name == "audd" for r in hook_logs)


def test_requests_are_logged_at_debug_without_token(
    twin: Twin, caplog: pytest.LogCaptureFixture
) -> None:
    client = twin.client(Recorder(httpx.ConnectError("x")), api_token=TOKEN, max_retries=2)
    with caplog.at_level(logging.DEBUG, logger="audd"), pytest.raises(AudDConnectionError):
        twin.run(client.recognize("https://x.test/a.mp3"))
    messages = [r.getMessage() for r in caplog.records if r.name == "audd"]
    assert any("recognize" in m and "attempt 1/2" in m for m in messages)
    assert any("attempt 2/2" in m for m in messages)
    assert all(TOKEN not in m for m in messages)

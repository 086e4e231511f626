"""`x-request-id` on every response (404, 405, longpoll, errors) and the last-resort catch-all."""

from __future__ import annotations

from typing import Any

import pytest
from server_fixtures import TOKEN_ENTERPRISE


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/song/999999", 404),
        ("GET", "/song/not-a-number", 404),
        ("GET", "/a/b/c", 404),
        ("PUT", "/", 405),
        ("DELETE", "/enterprise/", 405),
        ("DELETE", "/longpoll/", 405),
        ("PATCH", "/getStreams/", 405),
    ],
)
def test_not_found_and_method_not_allowed_carry_a_request_id(
    client: Any, method: str, path: str, status: int
) -> None:
    resp = client.request(method, path)
    assert resp.status_code == status
    assert len(resp.headers["x-request-id"]) == 32


def test_longpoll_timeout_carries_a_request_id(client: Any) -> None:
    resp = client.get("/longpoll/", params={"category": "abc", "timeout": 1})
    assert resp.json()["timeout"] == "no events before timeout"
    assert resp.headers["x-request-id"]


def test_failure_outside_an_endpoint_is_code_1000_with_a_request_id(
    client: Any, openapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Longpoll and song pages are plain routes: their failures still become the envelope."""
    events = client.app.state.ctx.events

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /home/user/audd.db")

    monkeypatch.setattr(events, "now", boom)
    resp = client.get("/longpoll/", params={"category": "abc", "timeout": 1})
    assert resp.status_code == 200
    assert resp.headers["x-request-id"]
    openapi.validate_error(resp.json(), 1000)
    assert "secret" not in resp.text
    assert "Traceback" not in resp.text

    monkeypatch.setattr(client.app.state.ctx.catalog, "get", boom)
    resp = client.get("/song/1")
    assert resp.headers["x-request-id"]
    openapi.validate_error(resp.json(), 1000)
    assert "secret" not in resp.text


def test_endpoint_internal_error_keeps_the_echo_masked_and_a_request_id(
    client: Any, openapi: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    streams = client.app.state.ctx.streams

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret")

    monkeypatch.setattr(streams, "list", boom)
    resp = client.post("/getStreams/", data={"api_token": TOKEN_ENTERPRISE})
    assert resp.headers["x-request-id"]
    body = resp.json()
    openapi.validate_error(body, 1000)
    assert body["request_params"]["api_token"] == f"{TOKEN_ENTERPRISE[0]}***{TOKEN_ENTERPRISE[-1]}"
    assert "secret" not in resp.text

"""Local files as stream URLs: refused unless the server was started to allow them."""

from __future__ import annotations

import pytest
from server_fixtures import TOKEN_ENTERPRISE


@pytest.mark.parametrize("url", ["file:///srv/radio.mp3", "/srv/radio.mp3"])
def test_local_stream_urls_are_refused_by_default(client, openapi, url):
    body = client.post(
        "/addStream/", data={"api_token": TOKEN_ENTERPRISE, "url": url, "radio_id": "1"}
    ).json()

    openapi.validate_error(body, 600)
    assert "--allow-local-streams" in body["error"]["error_message"]


@pytest.mark.parametrize("url", ["file:///srv/radio.mp3", "/srv/radio.mp3"])
def test_local_stream_urls_are_accepted_when_allowed(make_client, url):
    client = make_client(allow_local_streams=True)

    added = client.post(
        "/addStream/", data={"api_token": TOKEN_ENTERPRISE, "url": url, "radio_id": "1"}
    ).json()
    listed = client.post("/getStreams/", data={"api_token": TOKEN_ENTERPRISE}).json()

    assert added == {"status": "success", "result": None}
    assert [s["url"] for s in listed["result"]] == [url]

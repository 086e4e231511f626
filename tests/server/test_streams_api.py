"""Stream management endpoints and the supervisor hooks they drive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from server_fixtures import TOKEN_ENTERPRISE, TOKEN_ONE_SLOT

from audd_server.store import longpoll_category

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class RecordingSupervisor:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.calls: list[tuple[str, int, int]] = []

    async def start(self) -> None:
        self.calls.append(("start", 0, 0))

    async def stream_added(self, account_id: int, radio_id: int) -> None:
        self.calls.append(("added", account_id, radio_id))

    async def stream_updated(self, account_id: int, radio_id: int) -> None:
        self.calls.append(("updated", account_id, radio_id))

    async def stream_deleted(self, account_id: int, radio_id: int) -> None:
        self.calls.append(("deleted", account_id, radio_id))

    async def stop(self) -> None:
        self.calls.append(("stop", 0, 0))


def api(client, method: str, **fields):
    fields.setdefault("api_token", TOKEN_ENTERPRISE)
    return client.post(f"/{method}/", data=fields).json()


def test_callback_url_roundtrip_and_error_19(client, openapi):
    fixture = json.loads((FIXTURES / "error_19_no_callback_url.json").read_text())
    body = api(client, "getCallbackUrl")
    openapi.validate_error(body, 19)
    assert body["error"] == fixture["error"]
    assert list(body) == list(fixture)
    url = "https://example.com/cb?x=1&return=apple_music,deezer"
    body = api(client, "setCallbackUrl", url=url)
    openapi.validate(body, "StreamMutationSuccessResponse")
    assert body == {"status": "success", "result": None}
    body = api(client, "getCallbackUrl")
    openapi.validate(body, "GetCallbackUrlSuccessResponse")
    assert body["result"] == url
    openapi.validate_error(api(client, "setCallbackUrl", url="ftp://x"), 600)
    openapi.validate_error(api(client, "setCallbackUrl"), 50)


def test_streams_lifecycle(client, openapi):
    body = api(client, "getStreams")
    openapi.validate(body, "GetStreamsSuccessResponse")
    assert body == json.loads((FIXTURES / "getStreams_empty.json").read_text())
    openapi.validate(
        api(client, "addStream", url="https://radio.test/a.mp3", radio_id="7"),
        "StreamMutationSuccessResponse",
    )
    api(client, "addStream", url="twitch:somechannel", radio_id="3", callbacks="before")
    body = api(client, "getStreams")
    openapi.validate(body, "GetStreamsSuccessResponse")
    assert body["result"] == [
        {
            "radio_id": 3,
            "url": "twitch:somechannel",
            "stream_running": False,
            "longpoll_category": longpoll_category(TOKEN_ENTERPRISE, 3),
        },
        {
            "radio_id": 7,
            "url": "https://radio.test/a.mp3",
            "stream_running": False,
            "longpoll_category": longpoll_category(TOKEN_ENTERPRISE, 7),
        },
    ]
    stream = client.app.state.ctx.streams.get(
        client.app.state.ctx.accounts.by_token(TOKEN_ENTERPRISE).id, 3
    )
    assert stream.callbacks_before
    assert api(client, "setStreamUrl", radio_id="7", url="https://radio.test/b.mp3") == {
        "status": "success",
        "result": None,
    }
    assert api(client, "getStreams")["result"][1]["url"] == "https://radio.test/b.mp3"
    assert api(client, "deleteStream", radio_id="7")["status"] == "success"
    assert [s["radio_id"] for s in api(client, "getStreams")["result"]] == [3]
    openapi.validate_error(api(client, "deleteStream", radio_id="7"), 50)
    openapi.validate_error(api(client, "setStreamUrl", radio_id="9", url="https://x.test/"), 50)


def test_longpoll_category_vectors():
    assert longpoll_category("test", 1) == "de4b8e91c"
    assert longpoll_category("d29ebb205488e3b414bcc0c50432463e", 1) == "088719f57"
    assert longpoll_category("other", 1) == "6d67143db"


@pytest.mark.parametrize("radio_id", ["abc", "1.5", ""])
def test_add_stream_validates_integer_radio_id(client, openapi, radio_id):
    body = api(client, "addStream", url="https://radio.test/a.mp3", radio_id=radio_id)
    openapi.validate_error(body, 50)


def test_add_stream_validates_callbacks_and_url(client, openapi):
    body = api(client, "addStream", url="https://r.test/", radio_id="1", callbacks="after")
    openapi.validate_error(body, 50)
    openapi.validate_error(api(client, "addStream", url="file:///etc/passwd", radio_id="1"), 600)


def test_stream_slots_exhausted_is_902_like_the_fixture(client, openapi):
    fixture = json.loads((FIXTURES / "error_902_stream_limit.json").read_text())
    assert (
        api(client, "addStream", api_token=TOKEN_ONE_SLOT, url="https://r.test/1", radio_id="1")[
            "status"
        ]
        == "success"
    )
    # Re-adding the same radio_id replaces it and needs no new slot.
    assert (
        api(client, "addStream", api_token=TOKEN_ONE_SLOT, url="https://r.test/2", radio_id="1")[
            "status"
        ]
        == "success"
    )
    body = client.post(
        "/addStream/",
        data={
            "radio_id": "999001",
            "api_token": TOKEN_ONE_SLOT,
            "url": "https://npr-ice.streamguys1.com/live.mp3",
        },
    ).json()
    openapi.validate_error(body, 902)
    assert body["error"] == fixture["error"]
    assert list(body) == list(fixture)
    assert list(body["request_params"]) == list(fixture["request_params"])
    assert body["request_params"]["api_token"] == "s***e"


def test_test_token_has_no_stream_slots(client, openapi):
    body = api(client, "addStream", api_token="test", url="https://r.test/", radio_id="1")
    openapi.validate_error(body, 902)


def test_streams_are_per_account(client):
    api(client, "addStream", url="https://r.test/a", radio_id="5")
    assert api(client, "getStreams", api_token=TOKEN_ONE_SLOT)["result"] == []


def test_stream_changes_reach_the_supervisor(make_client):
    holder: list[RecordingSupervisor] = []

    def factory(ctx):
        holder.append(RecordingSupervisor(ctx))
        return holder[0]

    client = make_client(supervisor_factory=factory)
    sup = holder[0]
    assert client.app.state.ctx.supervisor is sup
    acc = client.app.state.ctx.accounts.by_token(TOKEN_ENTERPRISE).id
    api(client, "addStream", url="https://r.test/a", radio_id="5")
    api(client, "addStream", url="https://r.test/b", radio_id="5")
    api(client, "setStreamUrl", url="https://r.test/c", radio_id="5")
    api(client, "deleteStream", radio_id="5")
    api(client, "deleteStream", radio_id="5")  # error: no hook
    make_client.close(client)
    assert sup.calls == [
        ("start", 0, 0),
        ("added", acc, 5),
        ("updated", acc, 5),
        ("updated", acc, 5),
        ("deleted", acc, 5),
        ("stop", 0, 0),
    ]


def test_stream_endpoints_need_a_valid_token(client, openapi):
    for method in ("getStreams", "getCallbackUrl", "setCallbackUrl", "deleteStream"):
        body = api(client, method, api_token="wrong")
        openapi.validate_error(body, 900)
        assert body["request_api_method"] == method

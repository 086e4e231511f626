"""Stream management, callback URL, category and callback parsing on both twins."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sdk_helpers import Recorder, Twin, field_map, load_fixture, ok

from audd import (
    AudDBlockedError,
    AudDInvalidRequestError,
    AudDSerializationError,
    AudDServerError,
    Stream,
    StreamCallbackMatch,
    StreamCallbackNotification,
)

SUCCESS_NULL = {"status": "success", "result": None}


def fields(rec: Recorder, index: int = -1) -> dict[str, bytes]:
    return field_map(rec.form(index))


# -- set_callback_url -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "providers", "sent"),
    [
        (
            "https://x.example/cb",
            ["apple_music", "spotify"],
            "https://x.example/cb?return=apple_music,spotify",
        ),
        (
            "https://x.example/cb",
            ("spotify", "deezer"),
            "https://x.example/cb?return=spotify,deezer",
        ),
        ("https://x.example/cb", "spotify, napster", "https://x.example/cb?return=spotify,napster"),
        (
            "https://x.example/c%20b?q=a%2Bb&x=%E2%9C%93#frag",
            ["spotify"],
            "https://x.example/c%20b?q=a%2Bb&x=%E2%9C%93&return=spotify#frag",
        ),
        ("https://x.example/cb?", ["deezer"], "https://x.example/cb?return=deezer"),
        ("https://x.example/cb?a=1&", ["deezer"], "https://x.example/cb?a=1&return=deezer"),
        ("https://x.example/cb?a=1", None, "https://x.example/cb?a=1"),
        ("https://x.example/cb?return=spotify", None, "https://x.example/cb?return=spotify"),
    ],
)
def test_set_callback_url_merges_return_leaving_the_rest_byte_for_byte(
    twin: Twin, url: str, providers: Any, sent: str
) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    client = twin.client(rec)
    assert twin.run(client.streams.set_callback_url(url, return_metadata=providers)) is None
    assert rec.last.url.path == "/setCallbackUrl/"
    assert fields(rec)["url"] == sent.encode()
    assert list(fields(rec))[-1] == "api_token"


def test_set_callback_url_with_return_in_url_and_return_metadata_raises_before_request(
    twin: Twin,
) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    client = twin.client(rec)
    with pytest.raises(AudDInvalidRequestError, match="return"):
        twin.run(
            client.streams.set_callback_url(
                "https://x.example/cb?a=1&return=deezer", return_metadata=["spotify"]
            )
        )
    assert rec.requests == []


@pytest.mark.parametrize("bad", [["tidal"], [1], 5])
def test_set_callback_url_rejects_bad_providers_before_request(twin: Twin, bad: Any) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    client = twin.client(rec)
    with pytest.raises((ValueError, TypeError)):
        twin.run(client.streams.set_callback_url("https://x.example/cb", return_metadata=bad))
    assert rec.requests == []


def test_set_callback_url_extra_parameters_never_override_url_or_token(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    client = twin.client(rec)
    twin.run(
        client.streams.set_callback_url(
            "https://x.example/cb",
            extra_parameters={"url": "https://evil/", "api_token": "x", "note": "n"},
        )
    )
    form = fields(rec)
    assert form == {"note": b"n", "url": b"https://x.example/cb", "api_token": b"test-token"}


def test_set_callback_url_is_mutating_not_retried_on_5xx(twin: Twin) -> None:
    rec = Recorder(ok({"oops": 1}, status=503), ok(SUCCESS_NULL))
    client = twin.client(rec)
    with pytest.raises(AudDServerError):
        twin.run(client.streams.set_callback_url("https://x.example/cb"))
    assert len(rec.requests) == 1


# -- get_callback_url -------------------------------------------------------------------------


def test_get_callback_url_returns_the_url(twin: Twin) -> None:
    rec = Recorder(ok({"status": "success", "result": "https://audd.tech/empty/"}))
    client = twin.client(rec)
    assert twin.run(client.streams.get_callback_url()) == "https://audd.tech/empty/"
    assert rec.last.url.path == "/getCallbackUrl/"
    assert fields(rec) == {"api_token": b"test-token"}


@pytest.mark.parametrize("result", [None, "", "None"])
def test_get_callback_url_null_is_none_never_the_string(twin: Twin, result: Any) -> None:
    client = twin.client(Recorder(ok({"status": "success", "result": result})))
    assert twin.run(client.streams.get_callback_url()) is None


def test_get_callback_url_code_19_means_none_configured(twin: Twin) -> None:
    client = twin.client(Recorder(ok(load_fixture("error_19_no_callback_url"))))
    assert twin.run(client.streams.get_callback_url()) is None


def test_get_callback_url_branded_code_19_is_a_blocked_account(twin: Twin) -> None:
    body = load_fixture("error_19_no_callback_url")
    body["result"] = {"artist": "Blocked", "title": "contact api@audd.io"}
    client = twin.client(Recorder(ok(body)))
    with pytest.raises(AudDBlockedError) as info:
        twin.run(client.streams.get_callback_url())
    assert info.value.branded_message == "Blocked — contact api@audd.io"


def test_get_callback_url_is_read_retried_on_5xx_and_network_errors(twin: Twin) -> None:
    rec = Recorder(
        ok({}, status=502),
        httpx.ReadError("reset"),
        ok({"status": "success", "result": "https://a/"}),
    )
    client = twin.client(rec, max_retries=3)
    assert twin.run(client.streams.get_callback_url()) == "https://a/"
    assert len(rec.requests) == 3


# -- add / set_url / delete / list ------------------------------------------------------------


def test_add_sends_url_radio_id_callbacks_and_token_last(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    client = twin.client(rec)
    twin.run(
        client.streams.add(
            "https://radio.example/stream.mp3",
            7,
            callbacks="before",
            extra_parameters={"radio_id": "9", "foo": "bar"},
        )
    )
    assert rec.last.url.path == "/addStream/"
    form = rec.form()
    assert [name for name, _, _ in form][-1] == "api_token"
    assert field_map(form) == {
        "foo": b"bar",
        "url": b"https://radio.example/stream.mp3",
        "radio_id": b"7",
        "callbacks": b"before",
        "api_token": b"test-token",
    }


def test_add_without_callbacks_omits_the_field(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    twin.run(twin.client(rec).streams.add(url="twitch:channel", radio_id=1))
    assert "callbacks" not in fields(rec)


def test_set_url_and_delete(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    client = twin.client(rec)
    twin.run(client.streams.set_url(radio_id=3, url="https://new.example/s.m3u8"))
    assert rec.last.url.path == "/setStreamUrl/"
    assert fields(rec) == {
        "radio_id": b"3",
        "url": b"https://new.example/s.m3u8",
        "api_token": b"test-token",
    }
    twin.run(client.streams.delete(radio_id=3))
    assert rec.last.url.path == "/deleteStream/"
    assert fields(rec) == {"radio_id": b"3", "api_token": b"test-token"}


@pytest.mark.parametrize("bad", ["1", 1.0, True, None, [1]])
@pytest.mark.parametrize("method", ["add", "set_url", "delete", "derive_longpoll_category"])
def test_radio_id_must_be_an_int_before_any_request(twin: Twin, method: str, bad: Any) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    streams = twin.client(rec).streams
    calls = {
        "add": lambda: streams.add("https://r/s", bad),
        "set_url": lambda: streams.set_url(bad, "https://r/s"),
        "delete": lambda: streams.delete(bad),
        "derive_longpoll_category": lambda: streams.derive_longpoll_category(bad),
    }
    with pytest.raises((TypeError, ValueError)):
        twin.run(calls[method]())
    assert rec.requests == []


def test_add_rejects_unknown_callbacks_value(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS_NULL))
    with pytest.raises(ValueError, match="before"):
        twin.run(twin.client(rec).streams.add("https://r/s", 1, callbacks="after"))
    assert rec.requests == []


@pytest.mark.parametrize("method", ["add", "set_url", "delete"])
def test_mutations_are_not_retried_on_5xx_but_are_on_connect_errors(
    twin: Twin, method: str
) -> None:
    def call(client: Any) -> Any:
        if method == "add":
            return client.streams.add("https://r/s", 1)
        if method == "set_url":
            return client.streams.set_url(1, "https://r/s")
        return client.streams.delete(1)

    rec = Recorder(ok({}, status=500))
    with pytest.raises(AudDServerError):
        twin.run(call(twin.client(rec, max_retries=3)))
    assert len(rec.requests) == 1

    rec = Recorder(httpx.ConnectError("refused"), ok(SUCCESS_NULL))
    twin.run(call(twin.client(rec, max_retries=3)))
    assert len(rec.requests) == 2


def test_list_returns_streams(twin: Twin) -> None:
    body = {
        "status": "success",
        "result": [
            {
                "radio_id": 1,
                "url": "https://r/1",
                "stream_running": True,
                "longpoll_category": "abcdef123",
            },
            {"radio_id": "2", "url": "twitch:x", "stream_running": "false", "new_field": 1},
            "garbage",
        ],
    }
    rec = Recorder(ok(body))
    streams = twin.run(twin.client(rec).streams.list())
    assert rec.last.url.path == "/getStreams/"
    assert all(isinstance(s, Stream) for s in streams)
    assert [(s.radio_id, s.stream_running) for s in streams] == [(1, True), (2, False)]
    assert streams[0].longpoll_category == "abcdef123"
    assert streams[1].model_extra == {"new_field": 1}


def test_list_empty_fixture(twin: Twin) -> None:
    client = twin.client(Recorder(ok(load_fixture("getStreams_empty"))))
    assert twin.run(client.streams.list()) == []


def test_list_is_read_retried_on_429(twin: Twin) -> None:
    rec = Recorder(ok({}, status=429), ok(load_fixture("getStreams_empty")))
    assert twin.run(twin.client(rec, max_retries=2).streams.list()) == []
    assert len(rec.requests) == 2


def test_list_with_non_list_result_is_serialization_error(twin: Twin) -> None:
    client = twin.client(Recorder(ok({"status": "success", "result": {"a": 1}})))
    with pytest.raises(AudDSerializationError):
        twin.run(client.streams.list())


# -- category ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("test", "de4b8e91c"),
        ("d29ebb205488e3b414bcc0c50432463e", "088719f57"),
        ("other", "6d67143db"),
    ],
)
def test_derive_longpoll_category_vectors(twin: Twin, token: str, expected: str) -> None:
    rec = Recorder()
    client = twin.client(rec, api_token=token)
    assert client.streams.derive_longpoll_category(radio_id=1) == expected
    assert rec.requests == []


def test_derive_longpoll_category_follows_token_rotation(twin: Twin) -> None:
    client = twin.client(Recorder(), api_token="other")
    client.set_api_token("test")
    assert client.streams.derive_longpoll_category(1) == "de4b8e91c"


# -- parse_callback ---------------------------------------------------------------------------


def _result_body() -> dict[str, Any]:
    body: dict[str, Any] = load_fixture("streams_callback_with_result")
    return body


@pytest.mark.parametrize("form", ["bytes", "bytearray", "str", "dict", "memoryview"])
def test_parse_callback_result_in_every_body_form(twin: Twin, form: str) -> None:
    body = _result_body()
    text = json.dumps(body)
    value: Any = {
        "bytes": text.encode(),
        "bytearray": bytearray(text.encode()),
        "str": text,
        "dict": body,
        "memoryview": memoryview(text.encode()),
    }[form]
    match, notification = twin.client(Recorder()).streams.parse_callback(value)
    assert notification is None
    assert isinstance(match, StreamCallbackMatch)
    assert match.radio_id == 7
    assert match.timestamp == "2020-04-13 10:31:43"
    assert match.play_length == 111
    assert match.song.artist == "Alan Walker, A$AP Rocky"
    assert match.song.score == 100
    assert match.alternatives == []
    assert match.raw_response == body
    assert match.song.thumbnail_url == "https://lis.tn/LiveFastPUBGM?thumb"
    assert match.song.streaming_url("spotify") == "https://lis.tn/LiveFastPUBGM?spotify"
    assert "Live Fast" in str(match.song)


def test_parse_callback_notification(twin: Twin) -> None:
    body = load_fixture("streams_callback_with_notification")
    match, notification = twin.client(Recorder()).streams.parse_callback(json.dumps(body))
    assert match is None
    assert isinstance(notification, StreamCallbackNotification)
    assert (notification.radio_id, notification.stream_running) == (3, False)
    assert notification.notification_code == 650
    assert "can't connect" in (notification.notification_message or "")
    assert notification.time == 1587939136


def test_parse_callback_skips_one_malformed_alternative(twin: Twin) -> None:
    body = _result_body()
    songs = body["result"]["results"]
    songs.append("not a song")
    songs.append(None)
    songs.append({"artist": "Alt", "title": "Other", "score": "87", "spotify": "broken"})
    match, _ = twin.client(Recorder()).streams.parse_callback(body)
    assert match is not None
    assert [a.title for a in match.alternatives] == ["Other"]
    assert match.alternatives[0].score == 87
    assert match.alternatives[0].spotify is None
    assert match.alternatives[0].model_extra == {"spotify_raw": "broken"}


def test_parse_callback_without_play_length_for_callbacks_before(twin: Twin) -> None:
    body = _result_body()
    del body["result"]["play_length"]
    match, _ = twin.client(Recorder()).streams.parse_callback(body)
    assert match is not None
    assert match.play_length is None


def test_parse_callback_with_provider_metadata(twin: Twin) -> None:
    body = _result_body()
    body["result"]["results"][0]["spotify"] = {
        "external_urls": {"spotify": "https://open.spotify.com/track/1"},
        "preview_url": "https://p/1.mp3",
    }
    match, _ = twin.client(Recorder()).streams.parse_callback(body)
    assert match is not None
    assert match.song.streaming_url("spotify") == "https://open.spotify.com/track/1"
    assert match.song.preview_url() == "https://p/1.mp3"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        "[1, 2]",
        {"status": "success"},
        {"status": "success", "result": {"radio_id": 1, "results": []}},
        b"\xff\xfe\x00bad",
    ],
)
def test_parse_callback_neither_shape_is_serialization_error_with_raw_text(
    twin: Twin, body: Any
) -> None:
    with pytest.raises(AudDSerializationError) as info:
        twin.client(Recorder()).streams.parse_callback(body)
    assert info.value.raw_text


def test_parse_callback_keeps_raw_text(twin: Twin) -> None:
    with pytest.raises(AudDSerializationError) as info:
        twin.client(Recorder()).streams.parse_callback('{"hello": "world"}')
    assert info.value.raw_text == '{"hello": "world"}'


# -- handle_callback (duck typing without a framework) ---------------------------------------


class ReadsBytes:
    def __init__(self, data: Any) -> None:
        self.data = data

    def read(self) -> Any:
        return self.data


class AsyncBody:
    def __init__(self, data: bytes) -> None:
        self.data = data

    async def body(self) -> bytes:
        return self.data


@pytest.mark.parametrize(
    "make",
    [
        lambda raw: raw,
        lambda raw: bytearray(raw),
        lambda raw: raw.decode(),
        lambda raw: json.loads(raw),
        lambda raw: ReadsBytes(raw),
        lambda raw: ReadsBytes(raw.decode()),
        lambda raw: ReadsBytes(bytearray(raw)),
    ],
    ids=["bytes", "bytearray", "str", "dict", "read-bytes", "read-str", "read-bytearray"],
)
def test_handle_callback_accepts_plain_bodies_and_readers(twin: Twin, make: Any) -> None:
    raw = json.dumps(_result_body()).encode()
    match, notification = twin.run(twin.client(Recorder()).streams.handle_callback(make(raw)))
    assert notification is None
    assert match is not None
    assert match.radio_id == 7


def test_async_handle_callback_awaits_async_body(twin: Twin) -> None:
    raw = json.dumps(load_fixture("streams_callback_with_notification")).encode()
    streams = twin.client(Recorder()).streams
    if twin.is_async:
        match, notification = twin.run(streams.handle_callback(AsyncBody(raw)))
        assert match is None
        assert notification is not None
    else:
        with pytest.raises(TypeError, match="AsyncAudD"):
            streams.handle_callback(AsyncBody(raw))


def test_handle_callback_rejects_objects_without_a_body(twin: Twin) -> None:
    with pytest.raises(TypeError):
        twin.run(twin.client(Recorder()).streams.handle_callback(object()))

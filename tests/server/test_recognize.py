"""`POST/GET /`: standard recognition, its sources, metadata and errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from server_fixtures import (
    SONGS,
    TOKEN_ENTERPRISE,
    TOKEN_STANDARD,
    UNKNOWN_SEED,
    clip_bytes,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SONG = SONGS[0]  # carries full metadata and provider blocks


def post_file(client, data: bytes, **fields):
    fields.setdefault("api_token", TOKEN_STANDARD)
    return client.post(
        "/", data=fields, files={"file": ("clip.bin", data, "application/octet-stream")}
    )


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_recognize_file_returns_song_with_timecode(client, openapi, fmt):
    resp = post_file(client, clip_bytes(SONG.seed, 20, 10, fmt=fmt))
    assert resp.status_code == 200
    body = resp.json()
    openapi.validate(body, "RecognizeSuccessResponse")
    result = body["result"]
    assert result["artist"] == "Tears For Fears"
    assert result["title"] == SONG.meta["title"]
    assert result["album"] == SONG.meta["album"]
    assert result["release_date"] == "2014-11-10"
    assert result["label"] == SONG.meta["label"]
    assert result["song_link"] == "https://lis.tn/NbkVb"
    minutes, seconds = map(int, result["timecode"].split(":"))
    assert abs(minutes * 60 + seconds - 20) <= 1
    assert "apple_music" not in result
    assert "isrc" not in result  # isrc/upc are enterprise-only fields


def test_recognize_body_shape_matches_the_basic_fixture(client):
    body = post_file(client, clip_bytes(SONG.seed, 56, 4)).json()
    fixture = json.loads((FIXTURES / "recognize_basic.json").read_text())
    assert list(body) == list(fixture)
    assert list(body["result"]) == list(fixture["result"])


def test_recognize_return_adds_known_provider_blocks_and_ignores_unknown(client, openapi):
    body = post_file(
        client, clip_bytes(SONG.seed, 5, 8), **{"return": "apple_music,spotify,nonsense,deezer"}
    ).json()
    openapi.validate(body, "RecognizeSuccessResponse")
    result = body["result"]
    fixture = json.loads((FIXTURES / "recognize_with_metadata.json").read_text())["result"]
    assert result["apple_music"] == fixture["apple_music"]
    assert result["spotify"] == fixture["spotify"]
    assert "deezer" not in result  # the catalog has no deezer block for this track
    assert "nonsense" not in result
    assert "musicbrainz" not in result


def test_recognize_song_without_stored_link_gets_local_song_page(client, track_ids):
    seed = SONGS[1].seed
    result = post_file(client, clip_bytes(seed, 10, 8, song_duration=45)).json()["result"]
    assert result["title"] == "Paper Boats"
    assert result["song_link"] == f"http://127.0.0.1:8080/song/{track_ids[seed]}"
    page = client.get(f"/song/{track_ids[seed]}")
    assert page.status_code == 200
    assert "Paper Boats" in page.text
    assert client.get(f"/song/{track_ids[seed]}?format=json").json()["title"] == "Paper Boats"
    assert client.get("/song/99999").status_code == 404


def test_recognize_unknown_audio_returns_null_result(client, openapi):
    from audd_server.synth import encode_audio, synth_noise_like

    noise = encode_audio(synth_noise_like(UNKNOWN_SEED, 10, sample_rate=44100), 44100, "wav")
    body = post_file(client, noise).json()
    openapi.validate(body, "RecognizeSuccessResponse")
    assert body == {"status": "success", "result": None}


def test_recognize_by_url_with_urlencoded_body(client, openapi):
    resp = client.post(
        "/",
        data={"url": f"http://media.test/clip/{SONG.seed}/30/8.mp3", "api_token": TOKEN_STANDARD},
    )
    body = resp.json()
    openapi.validate(body, "RecognizeSuccessResponse")
    assert body["result"]["title"] == SONG.meta["title"]


def test_recognize_get_with_query_parameters(client, openapi):
    resp = client.get(
        "/",
        params={
            "url": f"http://media.test/clip/{SONG.seed}/30/8.wav",
            "api_token": TOKEN_STANDARD,
            "return": "musicbrainz",
        },
    )
    body = resp.json()
    openapi.validate(body, "RecognizeSuccessResponse")
    assert body["result"]["musicbrainz"][0]["id"] == "14379ff4-5128-4e0f-8d08-1a4e50f53187"


def test_token_accepted_as_query_parameter_on_post(client):
    resp = client.post(
        f"/?api_token={TOKEN_STANDARD}",
        files={"file": ("c.wav", clip_bytes(SONG.seed, 10, 6), "application/octet-stream")},
    )
    assert resp.json()["status"] == "success"


def test_every_response_has_a_request_id(client):
    ids = set()
    for resp in (
        post_file(client, b"", api_token="nope"),
        client.get("/longpoll/", params={"category": "x", "timeout": 1}),
        client.get("/song/1"),
    ):
        assert resp.headers["x-request-id"]
        ids.add(resp.headers["x-request-id"])
    assert len(ids) == 3


def test_no_file_and_no_url_is_700_like_the_fixture(client, openapi):
    body = client.post("/", data={"api_token": "dbd1c1ee"}).json()
    fixture = json.loads((FIXTURES / "error_700_no_file.json").read_text())
    # dbd1c1ee is not a token here: 900 comes first. With a valid token, 700:
    assert body["error"]["error_code"] == 900
    body = client.post("/", data={"api_token": TOKEN_STANDARD}).json()
    openapi.validate_error(body, 700)
    assert body["error"] == fixture["error"]
    assert list(body) == list(fixture)
    assert body["request_params"] == {"api_token": "s***f"}
    assert body["request_api_method"] == "recognize"
    assert body["request_http_method"] == "POST"


def test_wrong_token_is_900_with_masked_echo_like_the_fixture(client, openapi):
    fixture = json.loads((FIXTURES / "error_900_invalid_token.json").read_text())
    body = client.post(
        "/", data={"api_token": "d0000000a", "url": "https://audd.tech/example.mp3"}
    ).json()
    openapi.validate_error(body, 900)
    assert body["error"] == fixture["error"]
    assert body["request_params"] == fixture["request_params"]


def test_missing_token_is_901(client, openapi):
    body = post_file(client, clip_bytes(SONG.seed, 0, 5), api_token="").json()
    openapi.validate_error(body, 901)


def test_disabled_token_is_903(client, openapi):
    client.app.state.ctx.accounts.set_disabled(TOKEN_STANDARD, True)
    body = post_file(client, clip_bytes(SONG.seed, 0, 5)).json()
    openapi.validate_error(body, 903)


def test_test_token_has_ten_requests_a_day_then_902(client, openapi):
    clip = clip_bytes(SONG.seed, 0, 5)
    for _ in range(10):
        assert post_file(client, clip, api_token="test").json()["status"] == "success"
    body = post_file(client, clip, api_token="test").json()
    openapi.validate_error(body, 902)
    assert body["request_params"] == {"api_token": "t***t"}


def test_failed_requests_are_not_metered(client):
    for _ in range(12):
        client.post("/", data={"api_token": "test"})  # 700, free
    body = post_file(client, clip_bytes(SONG.seed, 0, 5), api_token="test").json()
    assert body["status"] == "success"


def test_upload_over_10_mb_is_400(client, openapi):
    body = post_file(client, b"\0" * (10 * 1024 * 1024 + 1)).json()
    openapi.validate_error(body, 400)


def test_not_audio_is_500(client, openapi):
    body = post_file(client, b"definitely not audio" * 500).json()
    openapi.validate_error(body, 500)


def test_too_short_audio_is_300(client, openapi):
    body = post_file(client, clip_bytes(SONG.seed, 0, 0.3)).json()
    openapi.validate_error(body, 300)


def test_silence_is_300(client, openapi):
    from audd_server.synth import encode_audio

    silent = encode_audio(__import__("numpy").zeros(44100 * 3, dtype="float32"), 44100, "wav")
    openapi.validate_error(post_file(client, silent).json(), 300)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://media.test/a.mp3", 600),
        ("not a url", 600),
        ("http://media.test/missing", 601),
        ("http://media.test/page.html", 602),
        ("http://media.test/empty.mp3", 602),
        ("http://media.test/down", 702),
        ("http://media.test/big.mp3", 400),
        ("http://media.test/notaudio.mp3", 500),
    ],
)
def test_url_source_errors(client, openapi, url, code):
    body = client.post("/", data={"api_token": TOKEN_STANDARD, "url": url}).json()
    openapi.validate_error(body, code)
    assert body["request_params"]["url"] == url


def test_internal_errors_are_code_1000_without_traceback(client, openapi, monkeypatch):
    from audd_server.api import recognize

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(recognize, "recognize_samples", boom)
    resp = post_file(client, clip_bytes(SONG.seed, 0, 5))
    assert resp.status_code == 200
    body = resp.json()
    openapi.validate_error(body, 1000)
    assert "secret" not in resp.text


def test_enterprise_token_also_recognizes_on_standard_endpoint(client):
    body = post_file(client, clip_bytes(SONG.seed, 40, 10), api_token=TOKEN_ENTERPRISE).json()
    assert body["result"]["title"] == SONG.meta["title"]


def test_oversized_body_is_refused_before_it_is_read(client, openapi):
    big = b"\0" * (12 * 1024 * 1024)
    resp = client.post(
        f"/?api_token={TOKEN_STANDARD}",
        content=big,
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    body = resp.json()
    openapi.validate_error(body, 400)
    assert body["request_params"] == {"api_token": "s***f"}


def test_get_errors_echo_the_http_method(client, openapi):
    body = client.get("/", params={"api_token": TOKEN_STANDARD}).json()
    openapi.validate_error(body, 700)
    assert body["request_http_method"] == "GET"
    assert body["request_params"] == {"api_token": "s***f"}


def test_recognition_runs_off_the_event_loop(client, monkeypatch):
    """While one recognition is busy in a worker thread, other requests are still served."""
    import threading

    from audd_server.api import recognize

    entered, release = threading.Event(), threading.Event()
    real = recognize.recognize_samples

    def slow(*args, **kwargs):
        entered.set()
        assert release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(recognize, "recognize_samples", slow)
    box: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: box.setdefault("body", post_file(client, clip_bytes(SONG.seed, 5, 6)).json())
    )
    worker.start()
    try:
        assert entered.wait(20)
        body = client.post("/getStreams/", data={"api_token": TOKEN_ENTERPRISE}).json()
        assert body == {"status": "success", "result": []}
        assert "body" not in box
    finally:
        release.set()
        worker.join(20)
    assert box["body"]["result"]["title"] == SONG.meta["title"]


def test_recognize_song_not_in_catalog_returns_null_result(client, openapi):
    body = post_file(client, clip_bytes(UNKNOWN_SEED, 5, 10)).json()
    openapi.validate(body, "RecognizeSuccessResponse")
    assert body == {"status": "success", "result": None}


def test_recognize_base64_audio_field(client, openapi):
    encoded = base64.b64encode(clip_bytes(SONG.seed, 30, 8, fmt="mp3")).decode()

    body = client.post("/", data={"audio": encoded, "api_token": TOKEN_STANDARD}).json()

    openapi.validate(body, "RecognizeSuccessResponse")
    assert body["result"]["title"] == SONG.meta["title"]


def test_recognize_invalid_base64_audio_is_701(client, openapi):
    body = client.post("/", data={"audio": "%%%not base64%%%", "api_token": TOKEN_STANDARD}).json()

    openapi.validate_error(body, 701)

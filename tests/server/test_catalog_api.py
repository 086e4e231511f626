"""`/upload/` (custom catalog), `/findLyrics/`, and restart persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from server_fixtures import (
    SONGS,
    TOKEN_ENTERPRISE,
    TOKEN_ONE_SLOT,
    TOKEN_STANDARD,
    clip_bytes,
)

from audd_server.synth import encode_audio, synth_track

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CUSTOM_SEED = 150  # only ever uploaded to a custom catalog


def song_bytes(seed: int, duration: float = 40.0) -> bytes:
    return encode_audio(synth_track(seed, duration, sample_rate=22050), 22050, "mp3")


def upload(client, audio_id, data: bytes | None = None, **fields):
    fields.setdefault("api_token", TOKEN_ENTERPRISE)
    fields["audio_id"] = str(audio_id)
    files = None if data is None else {"file": ("s.mp3", data, "application/octet-stream")}
    return client.post("/upload/", data=fields, files=files).json()


def recognize(client, data: bytes, token: str = TOKEN_ENTERPRISE):
    return client.post(
        "/",
        data={"api_token": token},
        files={"file": ("c.wav", data, "application/octet-stream")},
    ).json()


def test_custom_catalog_upload_then_match_has_only_timecode_and_audio_id(client, openapi):
    body = upload(client, 146, song_bytes(CUSTOM_SEED))
    openapi.validate(body, "CustomCatalogUploadSuccessResponse")
    assert body == {"status": "success", "result": None}
    clip = clip_bytes(CUSTOM_SEED, 25, 8, song_duration=40)
    body = recognize(client, clip)
    openapi.validate(body, "RecognizeSuccessResponse")
    fixture = json.loads((FIXTURES / "recognize_custom_match.json").read_text())
    assert list(body["result"]) == list(fixture["result"])
    assert body["result"]["audio_id"] == 146
    assert abs(int(body["result"]["timecode"][-2:]) - 25) <= 1
    # Another account does not see it.
    assert recognize(client, clip, TOKEN_STANDARD)["result"] is None


def test_custom_catalog_reusing_audio_id_refingerprints_the_slot(client):
    upload(client, 5, song_bytes(CUSTOM_SEED))
    upload(client, 5, song_bytes(CUSTOM_SEED + 1))
    old = recognize(client, clip_bytes(CUSTOM_SEED, 10, 8, song_duration=40))
    new = recognize(client, clip_bytes(CUSTOM_SEED + 1, 10, 8, song_duration=40))
    assert old["result"] is None
    assert new["result"]["audio_id"] == 5
    ctx = client.app.state.ctx
    account = ctx.accounts.by_token(TOKEN_ENTERPRISE)
    assert len(ctx.catalog.list(account_id=account.id)) == 1


def test_custom_catalog_per_account_slots_are_separate(client):
    upload(client, 1, song_bytes(CUSTOM_SEED))
    upload(client, 1, song_bytes(CUSTOM_SEED + 1), api_token=TOKEN_ONE_SLOT)
    clip = clip_bytes(CUSTOM_SEED, 10, 8, song_duration=40)
    assert recognize(client, clip)["result"]["audio_id"] == 1
    assert recognize(client, clip, TOKEN_ONE_SLOT)["result"] is None


def test_custom_catalog_by_url(client):
    url = f"http://media.test/clip/{CUSTOM_SEED}/0/40.mp3"
    assert upload(client, 9, url=url)["status"] == "success"
    clip = clip_bytes(CUSTOM_SEED, 15, 8, song_duration=40)
    assert recognize(client, clip)["result"]["audio_id"] == 9


def test_custom_catalog_needs_access_904(client, openapi):
    body = upload(client, 1, song_bytes(CUSTOM_SEED, 10), api_token=TOKEN_STANDARD)
    openapi.validate_error(body, 904)
    assert body["request_api_method"] == "upload"
    openapi.validate_error(upload(client, 1, song_bytes(CUSTOM_SEED, 10), api_token="test"), 904)


def test_custom_catalog_errors(client, openapi):
    openapi.validate_error(upload(client, "x", song_bytes(CUSTOM_SEED, 5)), 50)
    openapi.validate_error(upload(client, 1), 700)
    openapi.validate_error(upload(client, 1, b"garbage" * 100), 500)


def test_find_lyrics(client, openapi, track_ids):
    body = client.post(
        "/findLyrics/", data={"api_token": TOKEN_STANDARD, "q": "paper boats tide"}
    ).json()
    openapi.validate(body, "FindLyricsSuccessResponse")
    assert len(body["result"]) == 1
    hit = body["result"][0]
    assert hit["title"] == "Paper Boats"
    assert hit["artist"] == "Synth Ensemble"
    assert hit["song_id"] == track_ids[SONGS[1].seed]
    assert hit["full_title"] == "Paper Boats by Synth Ensemble"
    assert "evening tide" in hit["lyrics"]
    # Artist names are searchable too; a query matching nothing gives an empty list.
    body = client.post("/findLyrics/", data={"api_token": "test", "q": "tears fears"}).json()
    assert body["result"][0]["title"] == SONGS[0].meta["title"]
    body = client.post("/findLyrics/", data={"api_token": "test", "q": "zzzz qqqq"}).json()
    openapi.validate(body, "FindLyricsSuccessResponse")
    assert body["result"] == []
    openapi.validate_error(client.post("/findLyrics/", data={"api_token": "test"}).json(), 50)
    body = client.post("/findLyrics/", data={"api_token": "x", "q": "a"}).json()
    openapi.validate_error(body, 900)


def test_restart_keeps_accounts_streams_callbacks_custom_catalog_usage(make_client):
    client = make_client()
    upload(client, 77, song_bytes(CUSTOM_SEED))
    client.post("/setCallbackUrl/", data={"api_token": TOKEN_ENTERPRISE, "url": "https://cb.test/"})
    client.post(
        "/addStream/",
        data={"api_token": TOKEN_ENTERPRISE, "url": "https://r.test/s", "radio_id": "4"},
    )
    ctx = client.app.state.ctx
    ts = ctx.events.append("cat", {"status": "-", "notification": {"radio_id": 4}, "time": 1})
    recognize(client, clip_bytes(SONGS[0].seed, 0, 5), "test")
    new_token = ctx.accounts.create(plan="free").token
    make_client.close(client)

    client = make_client()
    ctx = client.app.state.ctx
    assert ctx.accounts.by_token(new_token) is not None
    assert ctx.accounts.usage_today(ctx.accounts.by_token("test").id) == 1
    assert (
        client.post("/getCallbackUrl/", data={"api_token": TOKEN_ENTERPRISE}).json()["result"]
        == "https://cb.test/"
    )
    streams = client.post("/getStreams/", data={"api_token": TOKEN_ENTERPRISE}).json()["result"]
    assert [s["radio_id"] for s in streams] == [4]
    clip = clip_bytes(CUSTOM_SEED, 12, 8, song_duration=40)
    assert recognize(client, clip)["result"]["audio_id"] == 77
    assert recognize(client, clip_bytes(SONGS[0].seed, 30, 8))["result"]["title"]
    assert ctx.events.since("cat", 0)[0][0] == ts
    assert ctx.events.append("cat", {}) > ts


@pytest.mark.parametrize("path", ["/noSuchMethod/", "/noSuchMethod"])
def test_unknown_method_is_an_api_error_not_a_404_page(client, openapi, path):
    response = client.post(path, data={"api_token": "test"})

    assert response.status_code == 200
    assert response.headers["x-request-id"]
    openapi.validate_error(response.json(), 100)

"""recognize_enterprise(), custom_catalog.add and advanced.* on both twins."""

from __future__ import annotations

import httpx
import pytest
from sdk_helpers import Recorder, Twin, field_map, load_fixture, ok

from audd import (
    AudDCustomCatalogAccessError,
    AudDSerializationError,
    AudDSubscriptionError,
    EnterpriseMatch,
    LyricsResult,
)

CHUNKS = {
    "status": "success",
    "result": [
        {
            "songs": [
                {
                    "score": 90,
                    "artist": "A",
                    "title": "One",
                    "timecode": "00:10",
                    "start_offset": 1500,
                    "end_offset": 11000,
                },
                {"score": "70", "artist": "B", "title": "Two", "timecode": "01:00"},
            ],
            "offset": "00:12",
        },
        {
            "songs": [
                {
                    "score": 99,
                    "artist": "C",
                    "title": "Three",
                    "timecode": "02:00",
                    "start_offset": 0,
                    "end_offset": 12000,
                }
            ],
            "offset": "01:00:00",
        },
        {"songs": [], "offset": "01:00:12"},
    ],
    "execution_time": "1ms",
}


def test_enterprise_sends_fields_to_enterprise_host(twin: Twin) -> None:
    rec = Recorder(ok(CHUNKS))
    client = twin.client(rec)
    twin.run(
        client.recognize_enterprise(
            "https://x.test/set.mp3",
            limit=10,
            skip=2,
            every=3,
            skip_first_seconds=30,
            use_timecode=False,
            return_=["apple_music"],
        )
    )
    assert str(rec.last.url) == "https://enterprise.audd.io/"
    fields = field_map(rec.form())
    assert fields == {
        "url": b"https://x.test/set.mp3",
        "return": b"apple_music",
        "skip": b"2",
        "every": b"3",
        "limit": b"10",
        "skip_first_seconds": b"30",
        "use_timecode": b"false",
        "accurate_offsets": b"true",
        "api_token": b"test-token",
    }
    assert rec.form()[-1][0] == "api_token"


def test_enterprise_defaults_send_accurate_offsets_only(twin: Twin) -> None:
    rec = Recorder(ok(CHUNKS))
    twin.run(twin.client(rec).recognize_enterprise(b"audio", limit=1, accurate_offsets=False))
    values = field_map(rec.form())
    assert values["accurate_offsets"] == b"false"
    assert set(values) == {"limit", "accurate_offsets", "file", "api_token"}


def test_enterprise_matches_are_flattened_with_chunk_offsets(twin: Twin) -> None:
    client = twin.client(Recorder(ok(CHUNKS)))
    matches = twin.run(client.recognize_enterprise("https://x.test/set.mp3", limit=5))
    assert [type(m) for m in matches] == [EnterpriseMatch] * 3
    assert [m.title for m in matches] == ["One", "Two", "Three"]
    first, second, third = matches
    assert first.chunk_offset == "00:12"
    assert (first.start_seconds, first.end_seconds) == (13.5, 23.0)
    assert second.score == 70
    assert (second.start_seconds, second.end_seconds) == (None, None)
    assert third.chunk_offset_seconds == 3600.0
    assert (third.start_seconds, third.end_seconds) == (3600.0, 3612.0)


def test_enterprise_fixture_with_isrc_upc(twin: Twin) -> None:
    client = twin.client(Recorder(ok(load_fixture("enterprise_with_isrc_upc"))))
    [match] = twin.run(client.recognize_enterprise("https://x.test/a.mp3", limit=1))
    assert (match.isrc, match.upc, match.score) == ("GBUM71403885", "00602547037169", 81)
    assert match.thumbnail_url == "https://lis.tn/NbkVb?thumb"
    assert match.streaming_urls()["spotify"] == "https://lis.tn/NbkVb?spotify"
    assert "Tears For Fears" in str(match)


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", -1), ("skip", -5), ("every", 1.5), ("skip_first_seconds", "10"), ("limit", True)],
)
def test_enterprise_rejects_bad_numbers_before_request(
    twin: Twin, name: str, value: object
) -> None:
    rec = Recorder(ok(CHUNKS))
    kwargs = {"limit": 1, name: value}
    with pytest.raises(ValueError, match=name):
        twin.run(twin.client(rec).recognize_enterprise("https://x.test/a.mp3", **kwargs))
    assert rec.requests == []


def test_enterprise_rejects_unknown_provider(twin: Twin) -> None:
    rec = Recorder(ok(CHUNKS))
    with pytest.raises(ValueError, match="unknown provider"):
        twin.run(
            twin.client(rec).recognize_enterprise(
                "https://x.test/a.mp3", limit=1, return_metadata=["nope"]
            )
        )
    assert rec.requests == []


def test_enterprise_warns_once_per_client_without_limit(twin: Twin) -> None:
    rec = Recorder(ok(CHUNKS))
    client = twin.client(rec)
    with pytest.warns(UserWarning, match="limit"):
        twin.run(client.recognize_enterprise("https://x.test/a.mp3"))
    twin.run(client.recognize_enterprise("https://x.test/a.mp3"))  # no second warning
    other = twin.client(rec)
    with pytest.warns(UserWarning, match="limit"):
        twin.run(other.recognize_enterprise("https://x.test/a.mp3"))
    assert "limit" not in field_map(rec.form())


def test_enterprise_904_has_requested_params(twin: Twin) -> None:
    client = twin.client(Recorder(ok(load_fixture("error_904_enterprise_unauthorized"))))
    with pytest.raises(AudDSubscriptionError) as info:
        twin.run(client.recognize_enterprise("https://audd.tech/example.mp3", limit=1))
    assert not isinstance(info.value, AudDCustomCatalogAccessError)
    assert info.value.requested_params["limit"] == "1"
    assert info.value.error_code == 904


def test_custom_catalog_add(twin: Twin) -> None:
    rec = Recorder(ok({"status": "success", "result": None}))
    client = twin.client(rec)
    assert twin.run(client.custom_catalog.add(audio_id=7, source="https://cdn.test/s.mp3")) is None
    assert str(rec.last.url) == "https://api.audd.io/upload/"
    assert rec.form() == [
        ("audio_id", None, b"7"),
        ("url", None, b"https://cdn.test/s.mp3"),
        ("api_token", None, b"test-token"),
    ]


def test_custom_catalog_add_uploads_bytes(twin: Twin) -> None:
    rec = Recorder(ok({"status": "success", "result": None}))
    twin.run(twin.client(rec).custom_catalog.add(1, b"song-bytes"))
    assert rec.form() == [
        ("audio_id", None, b"1"),
        ("file", "upload.bin", b"song-bytes"),
        ("api_token", None, b"test-token"),
    ]


@pytest.mark.parametrize("code", [904, 905])
def test_custom_catalog_access_error(twin: Twin, code: int) -> None:
    body = {"status": "error", "error": {"error_code": code, "error_message": "no access"}}
    client = twin.client(Recorder(ok(body)))
    with pytest.raises(AudDCustomCatalogAccessError) as info:
        twin.run(client.custom_catalog.add(1, "https://cdn.test/s.mp3"))
    assert info.value.error_code == code
    assert info.value.request_method == "upload"


def test_custom_catalog_rejects_non_integer_audio_id(twin: Twin) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="audio_id"):
        twin.run(twin.client(rec).custom_catalog.add("7", b"x"))
    assert rec.requests == []


def test_find_lyrics(twin: Twin) -> None:
    body = {
        "status": "success",
        "result": [
            {
                "artist": "Imagine Dragons",
                "title": "Warriors",
                "lyrics": "[Verse 1]",
                "song_id": "12345",
                "full_title": "Warriors by Imagine Dragons",
                "new": 1,
            },
        ],
    }
    rec = Recorder(ok(body))
    [hit] = twin.run(twin.client(rec).advanced.find_lyrics("as a child you would wait"))
    assert isinstance(hit, LyricsResult)
    assert hit.song_id == 12345
    assert hit.model_extra == {"new": 1}
    assert str(rec.last.url) == "https://api.audd.io/findLyrics/"
    assert field_map(rec.form())["q"] == b"as a child you would wait"


def test_raw_request_returns_body_dict(twin: Twin) -> None:
    body = {"status": "success", "result": {"links": [1, 2]}}
    rec = Recorder(ok(body))
    client = twin.client(rec, api_token="mine")
    got = twin.run(client.advanced.raw_request("getLinks", {"audd_id": 12345, "api_token": "x"}))
    assert got == body
    assert str(rec.last.url) == "https://api.audd.io/getLinks/"
    assert rec.form() == [("audd_id", None, b"12345"), ("api_token", None, b"mine")]


@pytest.mark.parametrize("payload", [b"[1, 2]", b'"text"', b"<html>oops</html>"])
def test_raw_request_non_object_is_serialization_error(twin: Twin, payload: bytes) -> None:
    client = twin.client(Recorder(httpx.Response(200, content=payload)))
    with pytest.raises(AudDSerializationError) as info:
        twin.run(client.advanced.raw_request("getLinks", {}))
    assert info.value.raw_text == payload.decode()


def test_raw_request_rejects_empty_method(twin: Twin) -> None:
    with pytest.raises(ValueError, match="method"):
        twin.run(twin.client(Recorder()).advanced.raw_request("", {}))

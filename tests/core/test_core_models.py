"""Models: unknown fields kept, lenient coercion, nothing dropped, streaming-link helpers."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from audd._core._modelbase import SongMetadata, lis_tn_url
from audd._core._models import EnterpriseMatch, LyricsResult, RecognitionResult, parse_clock
from audd._core._stream_models import StreamCallbackSong

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture_result(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())["result"]


@pytest.mark.parametrize(
    ("model", "data", "field", "expected"),
    [
        (EnterpriseMatch, {"score": "85"}, "score", 85),
        (EnterpriseMatch, {"score": 85.0}, "score", 85),
        (RecognitionResult, {"artist": 123}, "artist", "123"),
        (RecognitionResult, {"title": 1.5}, "title", "1.5"),
        (RecognitionResult, {"audio_id": "146"}, "audio_id", 146),
        (LyricsResult, {"song_id": "12"}, "song_id", 12),
    ],
)
def test_lenient_scalar_coercion(
    model: Any, data: dict[str, Any], field: str, expected: Any
) -> None:
    assert getattr(model.model_validate(data), field) == expected


@pytest.mark.parametrize("value", ["yes", "true", "True", "1", 1, "on"])
def test_lenient_bool(value: Any) -> None:
    song = RecognitionResult.model_validate({"spotify": {"explicit": value}})
    assert song.spotify is not None
    assert song.spotify.explicit is True


@pytest.mark.parametrize(
    ("data", "field", "raw_key", "raw"),
    [
        ({"score": "eighty"}, "score", "score_raw", "eighty"),
        ({"score": 85.5}, "score", "score_raw", 85.5),
        ({"artist": {"name": "x"}}, "artist", "artist_raw", {"name": "x"}),
        ({"apple_music": "oops"}, "apple_music", "apple_music_raw", "oops"),
        ({"musicbrainz": "nope"}, "musicbrainz", "musicbrainz_raw", "nope"),
        ({"start_offset": [1]}, "start_offset", "start_offset_raw", [1]),
    ],
)
def test_uncoercible_values_are_kept_in_model_extra(
    data: dict[str, Any], field: str, raw_key: str, raw: Any
) -> None:
    match = EnterpriseMatch.model_validate({"title": "kept", **data})
    assert getattr(match, field) is None
    assert match.model_extra is not None
    assert match.model_extra[raw_key] == raw
    assert match.title == "kept"


def test_nested_uncoercible_value_stays_in_nested_extra() -> None:
    result = RecognitionResult.model_validate(
        {"musicbrainz": [{"id": "x", "score": "high", "artist-credit": "bad"}]}
    )
    entry = result.musicbrainz[0]  # type: ignore[index]
    assert entry.id == "x"
    assert entry.model_extra == {"score_raw": "high", "artist_credit_raw": "bad"}


def test_unknown_fields_at_every_level() -> None:
    result = RecognitionResult.model_validate(fixture_result("recognize_with_metadata"))
    assert result.apple_music is not None
    assert result.apple_music.model_extra is not None
    assert result.apple_music.model_extra["isAppleDigitalMaster"] is True
    assert result.spotify is not None
    assert result.spotify.model_extra == {}  # every spotify key in the fixture is typed
    top = RecognitionResult.model_validate({"timecode": "00:01", "brand_new": {"a": 1}})
    assert top.model_extra == {"brand_new": {"a": 1}}


def test_custom_match_discriminators() -> None:
    custom = RecognitionResult.model_validate(fixture_result("recognize_custom_match"))
    public = RecognitionResult.model_validate(fixture_result("recognize_basic"))
    assert (custom.is_custom_match, custom.is_public_match) == (True, False)
    assert (public.is_custom_match, public.is_public_match) == (False, True)
    assert custom.thumbnail_url is None
    assert custom.streaming_urls() == {}
    empty = RecognitionResult.model_validate({"timecode": "00:01"})
    assert (empty.is_custom_match, empty.is_public_match) == (False, False)


@pytest.mark.parametrize(
    ("link", "key", "expected"),
    [
        ("https://lis.tn/NbkVb", "thumb", "https://lis.tn/NbkVb?thumb"),
        ("https://lis.tn/NbkVb?a=1", "thumb", "https://lis.tn/NbkVb?a=1&thumb"),
        ("https://lis.tn/NbkVb#frag", "spotify", "https://lis.tn/NbkVb?spotify#frag"),
        ("https://lis.tn/x?a=1#f", "deezer", "https://lis.tn/x?a=1&deezer#f"),
        ("https://LIS.TN/x", "thumb", "https://LIS.TN/x?thumb"),
        ("https://example.com/x", "thumb", None),
        ("https://notlis.tn/x", "thumb", None),
        (None, "thumb", None),
        ("", "thumb", None),
    ],
)
def test_lis_tn_rule(link: str | None, key: str, expected: str | None) -> None:
    assert lis_tn_url(link, key) == expected


def test_streaming_url_prefers_direct_provider_urls() -> None:
    song = SongMetadata.model_validate(
        {
            "song_link": "https://lis.tn/abc",
            "apple_music": {"url": "https://music.apple.com/t"},
            "spotify": {"uri": "spotify:track:1"},
            "deezer": {"link": "https://deezer.com/t", "preview": "https://cdn.deezer/p.mp3"},
            "napster": {"href": "https://napster.com/t"},
        }
    )
    assert song.streaming_urls() == {
        "apple_music": "https://music.apple.com/t",
        "spotify": "spotify:track:1",
        "deezer": "https://deezer.com/t",
        "napster": "https://napster.com/t",
        "youtube": "https://lis.tn/abc?youtube",
    }
    assert song.preview_url() == "https://cdn.deezer/p.mp3"


def test_streaming_url_spotify_external_url_wins_over_uri() -> None:
    song = SongMetadata.model_validate(
        {"spotify": {"uri": "spotify:track:1", "external_urls": {"spotify": "https://open/x"}}}
    )
    assert song.streaming_url("spotify") == "https://open/x"


def test_streaming_url_unknown_provider_is_value_error() -> None:
    with pytest.raises(ValueError, match="tidal"):
        SongMetadata().streaming_url("tidal")


def test_streaming_url_without_blocks_or_lis_tn_is_none() -> None:
    song = SongMetadata.model_validate({"song_link": "https://example.com/s"})
    assert song.streaming_url("spotify") is None
    assert song.preview_url() is None


def test_preview_order() -> None:
    data = fixture_result("recognize_with_metadata")
    song = RecognitionResult.model_validate(data)
    assert song.preview_url() == data["apple_music"]["previews"][0]["url"]
    del data["apple_music"]
    assert RecognitionResult.model_validate(data).preview_url() == data["spotify"]["preview_url"]


PRETTY_BASIC = (
    "Tears For Fears — Everybody Wants To Rule The World "
    "(Songs From The Big Chair, 2014-11-10) @ 00:56 https://lis.tn/NbkVb"
)


def test_pretty_print_prints_the_full_state_like_the_older_client(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Code written for the older official client calls ``result.pretty_print()`` (or
    # ``pretty_print(stream=f)``) as a statement and expects the whole model, extras included,
    # as indented JSON on the stream.
    data = {**fixture_result("recognize_basic"), "brand_new_field": {"x": 1}}
    song = RecognitionResult.model_validate(data)
    returned = song.pretty_print()
    printed = capsys.readouterr().out
    assert printed == returned + "\n"
    assert json.loads(printed) == json.loads(song.model_dump_json())
    assert json.loads(printed)["brand_new_field"] == {"x": 1}
    assert printed.startswith("{\n  ")
    sink = io.StringIO()
    assert song.pretty_print(stream=sink) == returned
    assert sink.getvalue() == returned + "\n"
    assert capsys.readouterr().out == ""
    match = EnterpriseMatch.model_validate(
        {"score": 81, "chunk_offset": "00:12", "start_offset": 5}
    )
    assert json.loads(match.pretty_print(stream=io.StringIO()))["start_seconds"] == 12.005


def test_str_is_one_readable_line_without_printing(capsys: pytest.CaptureFixture[str]) -> None:
    song = RecognitionResult.model_validate(fixture_result("recognize_basic"))
    assert str(song) == PRETTY_BASIC
    assert f"{song}" == PRETTY_BASIC
    assert repr(song).startswith("RecognitionResult(artist='Tears For Fears'")
    assert "[score 81]" in str(EnterpriseMatch.model_validate({"score": 81}))
    callback_song = StreamCallbackSong.model_validate({"artist": "A", "title": "T", "score": 9})
    assert str(callback_song) == "A — T [score 9]"
    assert str(RecognitionResult.model_validate({})) == "(unknown song)"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("00:12", 12.0), ("01:00", 60.0), ("01:00:12", 3612.0), ("7", 7.0), ("x", None), (None, None)],
)
def test_parse_clock(text: Any, seconds: float | None) -> None:
    assert parse_clock(text) == seconds


def test_enterprise_absolute_seconds() -> None:
    match = EnterpriseMatch.model_validate(
        {"chunk_offset": "02:00", "start_offset": 250, "end_offset": "9000"}
    )
    assert (match.start_seconds, match.end_seconds) == (120.25, 129.0)
    bare = EnterpriseMatch.model_validate({"chunk_offset": "02:00"})
    assert (bare.start_seconds, bare.end_seconds) == (None, None)
    assert bare.chunk_offset_seconds == 120.0


def test_enterprise_absolute_seconds_are_in_dumps() -> None:
    match = EnterpriseMatch.model_validate({"chunk_offset": "00:12", "start_offset": 500})
    dumped = match.model_dump()
    assert dumped["start_seconds"] == 12.5
    assert dumped["end_seconds"] is None


def test_one_malformed_musicbrainz_item_keeps_the_others() -> None:
    result = RecognitionResult.model_validate({"musicbrainz": [{"id": "a"}, "junk", {"id": "b"}]})
    entries = result.musicbrainz or []
    assert [e.id for e in entries] == ["a", None, "b"]
    assert entries[1].model_extra == {"value_raw": "junk"}
    single = RecognitionResult.model_validate({"musicbrainz": {"id": "solo"}})
    assert [e.id for e in single.musicbrainz or []] == ["solo"]

"""Code written for the older official SDK runs unchanged: its names, keywords and attributes."""

from __future__ import annotations

import io
import typing

import httpx
import pytest
from sdk_helpers import Recorder, Twin, field_map, load_fixture, ok

import audd
from audd import (
    AppleMusic,
    AppleMusicMetadata,
    AudDConnectionError,
    AudDCustomCatalogAccessError,
    Deezer,
    DeezerMetadata,
    Napster,
    NapsterMetadata,
    RecognitionResult,
    Spotify,
    SpotifyMetadata,
    StreamingProvider,
)


def test_older_model_names_are_the_same_classes() -> None:
    assert AppleMusicMetadata is AppleMusic
    assert SpotifyMetadata is Spotify
    assert DeezerMetadata is Deezer
    assert NapsterMetadata is Napster
    assert set(typing.get_args(StreamingProvider)) == {
        "apple_music",
        "spotify",
        "deezer",
        "napster",
        "youtube",
    }
    song = RecognitionResult.model_validate({"song_link": "https://lis.tn/x"})
    for provider in typing.get_args(StreamingProvider):
        assert song.streaming_url(provider) == f"https://lis.tn/x?{provider}"


def test_api_token_property_follows_rotation(twin: Twin) -> None:
    client = twin.client(Recorder(), api_token="first")
    assert client.api_token == "first"
    client.set_api_token("second")
    assert client.api_token == "second"
    with pytest.raises(AttributeError):
        client.api_token = "third"


def test_connection_error_keeps_original(twin: Twin) -> None:
    cause = httpx.ConnectError("refused")
    client = twin.client(Recorder(cause), max_retries=1)
    with pytest.raises(AudDConnectionError) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert info.value.original is cause
    assert info.value.__cause__ is cause


def test_custom_catalog_access_error_has_server_message(twin: Twin) -> None:
    body = {"status": "error", "error": {"error_code": 904, "error_message": "no access"}}
    client = twin.client(Recorder(ok(body)))
    with pytest.raises(AudDCustomCatalogAccessError) as info:
        twin.run(client.custom_catalog.add(1, "https://cdn.test/s.mp3"))
    assert info.value.server_message == "no access"


def test_older_keywords(twin: Twin) -> None:
    rec = Recorder(
        ok(load_fixture("recognize_with_metadata")),
        ok({"status": "success", "result": [], "execution_time": 1}),
        ok({"status": "success", "result": None}),
    )
    client = twin.client(rec)
    result = twin.run(
        client.recognize("https://x.test/a.mp3", return_metadata="apple_music,spotify")
    )
    assert field_map(rec.form())["return"] == b"apple_music,spotify"
    with pytest.warns(UserWarning, match="limit="):
        twin.run(client.recognize_enterprise("https://x.test/a.mp3", return_metadata=["deezer"]))
    assert field_map(rec.form())["return"] == b"deezer"
    twin.run(client.streams.set_callback_url("https://cb.test/x", return_metadata=["spotify"]))
    assert field_map(rec.form())["url"] == b"https://cb.test/x?return=spotify"
    sink = io.StringIO()
    result.pretty_print(stream=sink)
    assert '"artist": "Tears For Fears"' in sink.getvalue()


def test_older_import_style_still_works() -> None:
    for name in ("AppleMusicMetadata", "SpotifyMetadata", "DeezerMetadata", "NapsterMetadata"):
        assert name in audd.__all__
        assert getattr(audd.models, name) is getattr(audd, name)


def test_longpoll_takes_a_positional_category_or_radio_id(twin: Twin) -> None:
    # The older SDK's examples call ``audd.streams.longpoll(category, timeout=30)``.
    rec = Recorder()
    streams = twin.client(rec, api_token="test").streams
    by_category = twin.run(streams.longpoll("abc123def", timeout=30, skip_callback_check=True))
    assert by_category.category == "abc123def"
    by_radio_id = twin.run(streams.longpoll(1, skip_callback_check=True))
    assert by_radio_id.category == "de4b8e91c"
    by_keyword = twin.run(streams.longpoll(category="abc123def", skip_callback_check=True))
    assert by_keyword.category == "abc123def"
    with pytest.raises(TypeError):
        twin.run(streams.longpoll("abc123def", radio_id=1, skip_callback_check=True))
    with pytest.raises(TypeError):
        twin.run(streams.longpoll(radio_id="1", skip_callback_check=True))
    with pytest.raises(TypeError):
        twin.run(streams.longpoll(True, skip_callback_check=True))
    assert rec.requests == []  # nothing polled: polling starts inside ``with``


@pytest.mark.parametrize("consumer_class", [audd.LongpollConsumer, audd.AsyncLongpollConsumer])
def test_consumer_accepts_the_older_max_retries_keyword(consumer_class: type) -> None:
    consumer = consumer_class("abc123def", max_retries=5, backoff_factor=0.5)
    assert consumer.category == "abc123def"
    with pytest.raises(ValueError, match="max_retries"):
        consumer_class("abc123def", max_retries=-1)

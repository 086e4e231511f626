"""The real SDK against the real local server on 127.0.0.1: every endpoint and error path.

Two independent implementations of the wire contract (the SDK and audd_server) checked against
each other; no mocks.
"""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from server_fixtures import (
    TOKEN_ENTERPRISE,
    TOKEN_ONE_SLOT,
    UNKNOWN_SEED,
    LiveServer,
    clip_bytes,
)

from audd import (
    AsyncAudD,
    AudD,
    AudDAuthenticationError,
    AudDCustomCatalogAccessError,
    AudDInvalidAudioError,
    AudDInvalidRequestError,
    AudDQuotaError,
    AudDSubscriptionError,
    EnterpriseMatch,
)
from audd_server.synth import encode_audio, synth_track

RATE = 44100


def _client(server: LiveServer, token: str = TOKEN_ENTERPRISE) -> AudD:
    return AudD(
        token,
        base_url=server.base_url,
        enterprise_base_url=server.enterprise_base_url,
        max_retries=1,
    )


def _timecode_seconds(timecode: str) -> int:
    minutes, seconds = timecode.split(":")
    return int(minutes) * 60 + int(seconds)


def _noisy_clip(seed: int, start: float, length: float, snr_db: float) -> bytes:
    samples = synth_track(seed, 60.0, sample_rate=RATE)
    part = samples[int(start * RATE) : int((start + length) * RATE)].astype(np.float64)
    rng = np.random.default_rng(7)
    noise = rng.standard_normal(part.size)
    scale = np.sqrt(np.mean(part**2) / (10 ** (snr_db / 10)) / np.mean(noise**2))
    mixed = np.clip(part + noise * scale, -1.0, 1.0).astype(np.float32)
    return encode_audio(mixed, RATE, "mp3")


class _MediaServer:
    """A loopback HTTP server that serves one body, for recognition by URL."""

    def __init__(self, body: bytes, content_type: str = "audio/mpeg") -> None:
        payload, ctype = body, content_type

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/clip.mp3"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> _MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def media_server() -> type[_MediaServer]:
    return _MediaServer


# -- standard recognition ------------------------------------------------------------------------


def test_recognize_path_returns_the_enrolled_song_and_its_position(
    audd: AudD, tmp_path: Path
) -> None:
    path = tmp_path / "clip.mp3"
    path.write_bytes(clip_bytes(101, 20.0, 10.0, fmt="mp3"))

    result = audd.recognize(path)

    assert result is not None
    assert (result.artist, result.title) == ("Tears For Fears", "Everybody Wants To Rule The World")
    assert result.timecode is not None
    assert abs(_timecode_seconds(result.timecode) - 20) <= 1
    assert result.song_link == "https://lis.tn/NbkVb"
    assert result.thumbnail_url == "https://lis.tn/NbkVb?thumb"
    assert not result.is_custom_match


def test_recognize_noisy_bytes_clip(audd: AudD) -> None:
    result = audd.recognize(_noisy_clip(102, 12.0, 10.0, snr_db=10.0))

    assert result is not None
    assert result.title == "Paper Boats"


def test_recognize_file_like_from_its_current_position(audd: AudD) -> None:
    body = clip_bytes(103, 5.0, 10.0, song_duration=45.0, fmt="wav")
    stream = io.BytesIO(b"JUNKJUNK" + body)
    stream.seek(8)

    result = audd.recognize(stream)

    assert result is not None
    assert result.artist == "Third Voice"


def test_recognize_with_return_fills_provider_blocks(audd: AudD) -> None:
    result = audd.recognize(
        clip_bytes(101, 30.0, 8.0, fmt="mp3"), return_=["apple_music", "spotify"]
    )

    assert result is not None
    assert result.apple_music is not None
    assert result.apple_music.url is not None
    assert result.spotify is not None
    assert result.streaming_url("spotify") == (
        "https://open.spotify.com/track/5B9qVIyjqeWkeOAp2tJgqL"
    )
    assert result.deezer is None


def test_recognize_legacy_return_metadata_alias(audd: AudD) -> None:
    result = audd.recognize(clip_bytes(101, 30.0, 8.0, fmt="mp3"), return_metadata="apple_music")

    assert result is not None
    assert result.apple_music is not None


def test_recognize_out_of_catalog_clip_is_none(audd: AudD) -> None:
    samples = synth_track(UNKNOWN_SEED, 20.0, sample_rate=RATE)
    assert audd.recognize(encode_audio(samples[: 10 * RATE], RATE, "mp3")) is None


def test_recognize_by_url_is_fetched_by_the_server(
    audd: AudD, media_server: type[_MediaServer]
) -> None:
    with media_server(clip_bytes(104, 10.0, 10.0, song_duration=45.0, fmt="mp3")) as media:
        result = audd.recognize(media.url)

    assert result is not None
    assert result.title == "Quiet Hours"


def test_async_recognize_matches_like_the_sync_client(async_audd: AsyncAudD) -> None:
    async def run() -> list[object]:
        async with async_audd as client:
            return list(
                await asyncio.gather(
                    client.recognize(clip_bytes(101, 40.0, 10.0, fmt="mp3")),
                    client.recognize(clip_bytes(102, 3.0, 10.0, song_duration=45.0, fmt="mp3")),
                )
            )

    results = asyncio.run(run())

    assert [getattr(r, "title", None) for r in results] == [
        "Everybody Wants To Rule The World",
        "Paper Boats",
    ]


# -- errors --------------------------------------------------------------------------------------


def test_wrong_token_is_an_authentication_error_with_request_id(live_server: LiveServer) -> None:
    with (
        _client(live_server, "wrong-token") as client,
        pytest.raises(AudDAuthenticationError) as info,
    ):
        client.recognize(clip_bytes(101, 0.0, 6.0))

    assert info.value.error_code == 900
    assert info.value.request_id
    assert info.value.http_status == 200
    assert info.value.requested_params.get("api_token") == "w***n"


def test_garbage_upload_is_invalid_audio(audd: AudD) -> None:
    with pytest.raises(AudDInvalidAudioError) as info:
        audd.recognize(b"this is not audio at all" * 100)

    assert info.value.error_code in (300, 500)


def test_upload_over_ten_megabytes_is_rejected_with_400(audd: AudD) -> None:
    with pytest.raises(AudDInvalidAudioError) as info:
        audd.recognize(b"\0" * (10 * 1024 * 1024 + 1))

    assert info.value.error_code == 400


def test_missing_file_is_a_clear_local_error(audd: AudD, tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        audd.recognize(str(tmp_path / "does-not-exist.mp3"))


def test_no_file_and_no_url_is_error_700(audd: AudD) -> None:
    with pytest.raises(AudDInvalidRequestError) as info:
        audd.advanced.raw_request("upload", {"audio_id": 3})

    assert info.value.error_code == 700


def test_test_token_runs_out_after_ten_requests(live_server: LiveServer) -> None:
    clip = clip_bytes(102, 0.0, 5.0, song_duration=45.0)
    with _client(live_server, "test") as client:
        for _ in range(10):
            client.recognize(clip)
        with pytest.raises(AudDQuotaError) as info:
            client.recognize(clip)

    assert info.value.error_code == 902


def test_test_token_has_no_enterprise_access(live_server: LiveServer) -> None:
    with _client(live_server, "test") as client, pytest.raises(AudDSubscriptionError):
        client.recognize_enterprise(clip_bytes(101, 0.0, 12.0), limit=1)


# -- enterprise ----------------------------------------------------------------------------------


def _mix() -> bytes:
    """12 s of song 101, 12 s of unknown audio, then 24 s of song 102 (chunk-aligned)."""
    parts = [
        synth_track(101, 60.0, sample_rate=RATE)[24 * RATE : 36 * RATE],
        synth_track(UNKNOWN_SEED, 20.0, sample_rate=RATE)[: 12 * RATE],
        synth_track(102, 45.0, sample_rate=RATE)[0 : 24 * RATE],
    ]
    return encode_audio(np.concatenate(parts), RATE, "mp3")


def test_enterprise_scans_a_mix_and_places_each_match_in_the_file(audd: AudD) -> None:
    with pytest.warns(UserWarning, match="limit"):
        matches = audd.recognize_enterprise(_mix())

    assert all(isinstance(m, EnterpriseMatch) for m in matches)
    titles = [m.title for m in matches]
    assert titles[0] == "Everybody Wants To Rule The World"
    assert "Paper Boats" in titles
    paper = [m for m in matches if m.title == "Paper Boats"]
    assert paper[0].start_seconds is not None
    assert paper[0].start_seconds >= 23.0
    assert matches[0].isrc == "GBUM71403885"
    assert matches[0].timecode is not None
    assert abs(_timecode_seconds(matches[0].timecode) - 24) <= 1


def test_enterprise_limit_and_skip(audd: AudD) -> None:
    limited = audd.recognize_enterprise(_mix(), limit=1)
    skipped = audd.recognize_enterprise(_mix(), limit=4, skip_first_seconds=24)

    assert [m.title for m in limited] == ["Everybody Wants To Rule The World"]
    assert {m.title for m in skipped} == {"Paper Boats"}


# -- custom catalog ------------------------------------------------------------------------------


def test_custom_catalog_upload_then_recognize_returns_audio_id(audd: AudD) -> None:
    song = synth_track(UNKNOWN_SEED, 30.0, sample_rate=RATE)
    audd.custom_catalog.add(audio_id=77, source=encode_audio(song, RATE, "mp3"))

    result = audd.recognize(encode_audio(song[10 * RATE : 20 * RATE], RATE, "mp3"))

    assert result is not None
    assert result.is_custom_match
    assert result.audio_id == 77
    assert result.timecode is not None
    assert abs(_timecode_seconds(result.timecode) - 10) <= 1


def test_custom_catalog_without_access_raises_access_error(standard_audd: AudD) -> None:
    with pytest.raises(AudDCustomCatalogAccessError) as info:
        standard_audd.custom_catalog.add(audio_id=1, source=clip_bytes(101, 0.0, 10.0))

    assert info.value.error_code == 904


# -- lyrics and raw requests ---------------------------------------------------------------------


def test_find_lyrics_searches_catalog_lyrics(audd: AudD) -> None:
    hits = audd.advanced.find_lyrics("paper boats tide")

    assert [h.title for h in hits][:1] == ["Paper Boats"]


def test_raw_request_returns_the_body(audd: AudD) -> None:
    body = audd.advanced.raw_request("getStreams", {})

    assert body == {"status": "success", "result": []}


# -- stream management ---------------------------------------------------------------------------


def test_stream_management_round_trip(audd: AudD) -> None:
    assert audd.streams.get_callback_url() is None

    audd.streams.set_callback_url("https://example.test/cb?x=a%20b", return_metadata=["spotify"])
    assert audd.streams.get_callback_url() == "https://example.test/cb?x=a%20b&return=spotify"

    audd.streams.add(url="http://127.0.0.1:9/radio.mp3", radio_id=5, callbacks="before")
    audd.streams.set_url(radio_id=5, url="http://127.0.0.1:9/other.mp3")
    streams = audd.streams.list()

    assert [(s.radio_id, s.url) for s in streams] == [(5, "http://127.0.0.1:9/other.mp3")]
    assert streams[0].longpoll_category == audd.streams.derive_longpoll_category(5)

    audd.streams.delete(radio_id=5)
    assert audd.streams.list() == []


def test_stream_slots_exhausted_is_a_quota_error(live_server: LiveServer) -> None:
    with _client(live_server, TOKEN_ONE_SLOT) as client:
        client.streams.add(url="http://127.0.0.1:9/a.mp3", radio_id=1)
        with pytest.raises(AudDQuotaError) as info:
            client.streams.add(url="http://127.0.0.1:9/b.mp3", radio_id=2)

    assert info.value.error_code == 902


def test_longpoll_preflight_explains_missing_callback_url(audd: AudD) -> None:
    with pytest.raises(AudDInvalidRequestError, match=r"audd\.tech/empty"):
        audd.streams.longpoll(radio_id=1, timeout=1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_is_a_connection_error() -> None:
    from audd import AudDConnectionError

    port = _free_port()
    with (
        AudD("x", base_url=f"http://127.0.0.1:{port}", max_retries=1) as client,
        pytest.raises(AudDConnectionError),
    ):
        client.recognize(b"abc")

"""recognize(): sources, fields, return_ validation, extra_parameters and results, on both twins."""

from __future__ import annotations

import io
import os
import tracemalloc
from pathlib import Path

import httpx
import pytest
from sdk_helpers import Recorder, Twin, field_map, load_fixture, ok

from audd import RecognitionResult

AUDIO = b"ID3\x00fake-audio-bytes" * 100


def _file_part(rec: Recorder) -> tuple[str | None, bytes]:
    [(filename, value)] = [(fn, v) for name, fn, v in rec.form() if name == "file"]
    return filename, value


def test_recognize_url_sends_url_field_and_returns_result(twin: Twin) -> None:
    rec = Recorder(ok(load_fixture("recognize_basic")))
    client = twin.client(rec)
    result = twin.run(client.recognize("https://audd.tech/example.mp3"))
    assert isinstance(result, RecognitionResult)
    assert (result.artist, result.title, result.timecode) == (
        "Tears For Fears",
        "Everybody Wants To Rule The World",
        "00:56",
    )
    assert result.thumbnail_url == "https://lis.tn/NbkVb?thumb"
    fields = rec.form()
    assert [name for name, _, _ in fields] == ["url", "api_token"]
    assert fields[0][2] == b"https://audd.tech/example.mp3"
    assert rec.last.method == "POST"


def test_recognize_no_match_returns_none(twin: Twin) -> None:
    client = twin.client(Recorder(ok({"status": "success", "result": None})))
    assert twin.run(client.recognize("https://audd.tech/example.mp3")) is None


def test_recognize_custom_match(twin: Twin) -> None:
    client = twin.client(Recorder(ok(load_fixture("recognize_custom_match"))))
    result = twin.run(client.recognize("https://audd.tech/example.mp3"))
    assert result.is_custom_match
    assert not result.is_public_match
    assert result.audio_id == 146


def test_token_is_last_field_and_never_in_url(twin: Twin, tmp_path: Path) -> None:
    rec = Recorder()
    client = twin.client(rec, api_token="tok-1")
    path = tmp_path / "clip.mp3"
    path.write_bytes(AUDIO)
    twin.run(client.recognize(path, return_=["spotify"], market="GB"))
    names = [name for name, _, _ in rec.form()]
    assert names == ["return", "market", "file", "api_token"]
    assert "tok-1" not in str(rec.last.url)
    assert "tok-1" not in str(rec.last.headers)


def test_recognize_str_path_uploads_file_with_basename(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "sub" / "clip one.mp3"
    path.parent.mkdir()
    path.write_bytes(AUDIO)
    rec = Recorder()
    client = twin.client(rec)
    twin.run(client.recognize(str(path)))
    assert _file_part(rec) == ("clip one.mp3", AUDIO)
    assert rec.last.headers["content-length"] == str(len(rec.bodies[-1]))


def test_recognize_pathlib_path(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "clip.ogg"
    path.write_bytes(AUDIO)
    rec = Recorder()
    twin.run(twin.client(rec).recognize(path))
    assert _file_part(rec) == ("clip.ogg", AUDIO)


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_recognize_buffers(twin: Twin, kind: type) -> None:
    rec = Recorder()
    twin.run(twin.client(rec).recognize(kind(AUDIO)))
    assert _file_part(rec) == ("upload.bin", AUDIO)
    multipart = rec.last.headers["content-type"]
    assert multipart.startswith("multipart/form-data; boundary=")


def test_recognize_file_like_uploads_from_current_position(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "long.mp3"
    path.write_bytes(b"HEADER" + AUDIO)
    rec = Recorder()
    with path.open("rb") as handle:
        handle.seek(6)
        twin.run(twin.client(rec).recognize(handle))
    filename, value = _file_part(rec)
    assert filename == "long.mp3"  # basename only, never the full path
    assert value == AUDIO
    assert rec.last.headers["content-length"] == str(len(rec.bodies[-1]))
    assert str(tmp_path) not in rec.bodies[-1].decode("latin-1")


def test_recognize_bytesio_has_fallback_filename(twin: Twin) -> None:
    rec = Recorder()
    buffer = io.BytesIO(b"xx" + AUDIO)
    buffer.seek(2)
    twin.run(twin.client(rec).recognize(buffer))
    assert _file_part(rec) == ("upload.bin", AUDIO)


def test_recognize_os_fdopen_file(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "fd.mp3"
    path.write_bytes(AUDIO)
    fd = os.open(path, os.O_RDONLY)
    rec = Recorder()
    with os.fdopen(fd, "rb") as handle:
        twin.run(twin.client(rec).recognize(handle))
    assert _file_part(rec) == ("upload.bin", AUDIO)


def test_recognize_unseekable_file_like_streams_once(twin: Twin) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    rec = Recorder()
    twin.run(twin.client(rec).recognize(Pipe(AUDIO)))
    assert _file_part(rec) == ("upload.bin", AUDIO)
    assert "content-length" not in rec.last.headers
    assert rec.last.headers["transfer-encoding"] == "chunked"


def test_recognize_missing_str_path_is_type_error_before_request(
    twin: Twin, tmp_path: Path
) -> None:
    rec = Recorder()
    with pytest.raises(TypeError, match="neither an http"):
        twin.run(twin.client(rec).recognize(str(tmp_path / "nope.mp3")))
    assert rec.requests == []


def test_recognize_missing_pathlib_path_raises_before_request(twin: Twin, tmp_path: Path) -> None:
    rec = Recorder()
    with pytest.raises(FileNotFoundError):
        twin.run(twin.client(rec).recognize(tmp_path / "nope.mp3"))
    assert rec.requests == []


@pytest.mark.parametrize("bad", [123, None, 4.5, ["a"]])
def test_recognize_rejects_unusable_sources(twin: Twin, bad: object) -> None:
    rec = Recorder()
    with pytest.raises(TypeError):
        twin.run(twin.client(rec).recognize(bad))
    assert rec.requests == []


def test_recognize_rejects_text_mode_file(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("abc")
    with path.open() as handle, pytest.raises(TypeError, match="binary"):
        twin.run(twin.client(Recorder()).recognize(handle))


def test_return_list_is_comma_joined(twin: Twin) -> None:
    rec = Recorder(ok(load_fixture("recognize_with_metadata")))
    client = twin.client(rec)
    result = twin.run(client.recognize("https://x.test/a.mp3", return_=("apple_music", "spotify")))
    assert field_map(rec.form())["return"] == b"apple_music,spotify"
    assert result.apple_music.url.startswith("https://music.apple.com/")
    assert result.spotify.uri == "spotify:track:5B9qVIyjqeWkeOAp2tJgqL"
    assert (
        result.streaming_url("spotify") == "https://open.spotify.com/track/5B9qVIyjqeWkeOAp2tJgqL"
    )
    assert result.streaming_url("deezer") == "https://lis.tn/NbkVb?deezer"
    assert result.preview_url().startswith("https://audio-ssl.itunes.apple.com/")
    assert result.apple_music.model_extra["hasLyrics"] is True
    assert result.musicbrainz[0].artist_credit[0]["name"] == "Tears for Fears"


def test_return_metadata_alias(twin: Twin) -> None:
    rec = Recorder()
    twin.run(twin.client(rec).recognize("https://x.test/a.mp3", return_metadata=["deezer"]))
    assert field_map(rec.form())["return"] == b"deezer"


def test_return_and_alias_together_is_type_error(twin: Twin) -> None:
    rec = Recorder()
    with pytest.raises(TypeError, match="return_metadata"):
        twin.run(
            twin.client(rec).recognize(
                "https://x.test/a.mp3", return_=["spotify"], return_metadata=["spotify"]
            )
        )
    assert rec.requests == []


def test_unknown_provider_is_value_error_before_request(twin: Twin) -> None:
    rec = Recorder()
    with pytest.raises(ValueError, match="tidal"):
        twin.run(twin.client(rec).recognize("https://x.test/a.mp3", return_=["spotify", "tidal"]))
    assert rec.requests == []


def test_new_provider_through_extra_parameters(twin: Twin) -> None:
    rec = Recorder()
    twin.run(
        twin.client(rec).recognize("https://x.test/a.mp3", extra_parameters={"return": "tidal"})
    )
    assert field_map(rec.form())["return"] == b"tidal"


def test_typed_arguments_and_source_win_over_extra_parameters(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec, api_token="real")
    twin.run(
        client.recognize(
            "https://x.test/real.mp3",
            market="GB",
            return_=["deezer"],
            extra_parameters={
                "market": "US",
                "return": "spotify",
                "url": "https://evil.test/x",
                "api_token": "stolen",
                "file": "nope",
                "skip": 3,
                "flag": True,
            },
        )
    )
    fields = rec.form()
    values = field_map(fields)
    assert values["market"] == b"GB"
    assert values["return"] == b"deezer"
    assert values["url"] == b"https://x.test/real.mp3"
    assert values["api_token"] == b"real"
    assert values["skip"] == b"3"
    assert values["flag"] == b"true"
    assert [name for name, _, _ in fields].count("api_token") == 1
    assert fields[-1][0] == "api_token"
    assert "file" not in values


def test_extra_parameters_cannot_override_token_in_multipart(twin: Twin) -> None:
    rec = Recorder()
    twin.run(
        twin.client(rec, api_token="real").recognize(
            AUDIO, extra_parameters={"api_token": "stolen", "url": "https://evil.test"}
        )
    )
    fields = rec.form()
    assert [(n, v) for n, _, v in fields if n in ("api_token", "url")] == [("api_token", b"real")]
    assert fields[-1][0] == "api_token"


def test_recognize_directory_path_raises_before_request(twin: Twin, tmp_path: Path) -> None:
    rec = Recorder()
    with pytest.raises(IsADirectoryError):
        twin.run(twin.client(rec).recognize(tmp_path))
    assert rec.requests == []


class _DrainingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Reads the request body chunk by chunk and keeps only its length (like a real server)."""

    def __init__(self) -> None:
        self.received = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for chunk in request.stream:  # type: ignore[union-attr]
            self.received += len(chunk)
        return ok({"status": "success", "result": None})

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async for chunk in request.stream:  # type: ignore[union-attr]
            self.received += len(chunk)
        return ok({"status": "success", "result": None})


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_buffer_upload_makes_no_copy_of_the_payload(twin: Twin, kind: type) -> None:
    # Earlier clients held 2-3x a bytes source in memory while uploading it.
    payload = kind(os.urandom(16 * 1024 * 1024))
    transport = _DrainingTransport()
    client = twin.client(transport)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        twin.run(client.recognize(payload))
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert transport.received > len(payload)  # the whole file part went out
    assert peak < len(payload) // 10, f"peak {peak} bytes for a {len(payload)}-byte upload"

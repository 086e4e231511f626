"""Pure request building, source classification, multipart framing, options and retry decisions."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from audd._core._config import ENTERPRISE_TIMEOUT, STANDARD_TIMEOUT
from audd._core._multipart import encode_urlencoded, multipart_frame
from audd._core._options import request_url, resolve_options, resolve_token, user_agent
from audd._core._request import (
    RequestSpec,
    RetryClass,
    build_custom_catalog_add,
    build_find_lyrics,
    build_raw_request,
    build_recognize,
    build_recognize_enterprise,
    merge_fields,
    resolve_return,
    timeout_from_arg,
)
from audd._core._retry import (
    backoff_delay,
    parse_retry_after,
    retry_delay,
    should_retry_exception,
    should_retry_status,
)
from audd._core._sources import classify_source, upload_filename

R, M, RD = RetryClass.RECOGNITION, RetryClass.MUTATING, RetryClass.READ


# -- retry decisions ------------------------------------------------------------------------

EXC_TABLE = [
    # exception, body_complete, READ, RECOGNITION, MUTATING
    (httpx.ConnectError("x"), False, True, True, True),
    (httpx.ConnectTimeout("x"), True, True, True, True),
    (httpx.PoolTimeout("x"), False, True, True, True),
    (httpx.WriteError("x"), False, True, True, True),
    (httpx.WriteError("x"), True, True, False, False),
    (httpx.WriteTimeout("x"), False, True, True, True),
    (httpx.ReadTimeout("x"), True, True, False, False),
    (httpx.ReadError("x"), True, True, False, False),
    (httpx.RemoteProtocolError("x"), True, True, False, False),
    (ValueError("x"), False, False, False, False),
]


@pytest.mark.parametrize(("exc", "complete", "read", "recognition", "mutating"), EXC_TABLE)
def test_should_retry_exception(
    exc: Exception, complete: bool, read: bool, recognition: bool, mutating: bool
) -> None:
    got = [should_retry_exception(c, exc, body_complete=complete) for c in (RD, R, M)]
    assert got == [read, recognition, mutating]


@pytest.mark.parametrize(
    ("status", "read", "recognition", "mutating"),
    [
        (200, False, False, False),
        (400, False, False, False),
        (408, True, False, False),
        (429, True, False, False),
        (500, True, True, False),
        (503, True, True, False),
        (599, True, True, False),
    ],
)
def test_should_retry_status(status: int, read: bool, recognition: bool, mutating: bool) -> None:
    assert [should_retry_status(c, status) for c in (RD, R, M)] == [read, recognition, mutating]


@pytest.mark.parametrize(
    ("attempt", "factor", "rand", "expected"),
    [
        (0, 0.5, 0.5, 0.5),
        (1, 0.5, 0.5, 1.0),
        (2, 0.5, 0.0, 1.0),
        (3, 0.5, 0.999, 4 * 1.499),
        (10, 0.5, 0.5, 30.0),
        (10, 0.5, 0.999, 30 * 1.499),
        (500, 1.0, 0.5, 30.0),
        (0, 0.0, 0.5, 0.0),
    ],
)
def test_backoff_delay(attempt: int, factor: float, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, factor, rand) == pytest.approx(expected)


NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 1.5 ", 1.5),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("Thu, 01 Jan 2026 12:00:10 GMT", 10.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_retry_delay_honours_retry_after_only_on_429_and_503() -> None:
    assert retry_delay(0, 0.5, 0.5, status_code=429, retry_after="12") == 12.0
    assert retry_delay(0, 0.5, 0.5, status_code=503, retry_after="99") == 30.0
    assert retry_delay(0, 0.5, 0.5, status_code=500, retry_after="12") == 0.5
    assert retry_delay(1, 0.5, 0.5, status_code=429, retry_after=None) == 1.0


# -- sources -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://a.test/x.mp3", "http://a.test/x", "HTTPS://A.TEST/"])
def test_urls_are_urls(url: str) -> None:
    assert classify_source(url) == (url, None)


def test_classify_paths_buffers_and_files(tmp_path: Path) -> None:
    _, src = classify_source(str(tmp_path / "a.mp3"))
    assert src is not None
    assert (src.kind, src.filename, src.from_str) == ("path", "a.mp3", True)
    _, src = classify_source(tmp_path / "b.wav")
    assert src is not None
    assert (src.kind, src.filename, src.from_str) == ("path", "b.wav", False)
    data = bytearray(b"abc")
    _, src = classify_source(data)
    assert src is not None
    assert src.kind == "bytes"
    assert src.value.obj is data
    _, src = classify_source(io.BytesIO(b"x"))
    assert src is not None
    assert (src.kind, src.filename) == ("file", "upload.bin")


def test_classify_rejects_text_and_junk() -> None:
    with pytest.raises(TypeError, match="binary"):
        classify_source(io.StringIO("x"))
    with pytest.raises(TypeError):
        classify_source(42)
    with pytest.raises(TypeError):
        classify_source("   ")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/home/me/secret/clip.mp3", "clip.mp3"),
        (b"/tmp/x.wav", "x.wav"),
        ("C:\\Users\\me\\a.mp3", "a.mp3"),
        (Path("/a/b/c.ogg"), "c.ogg"),
        (7, "upload.bin"),
        (None, "upload.bin"),
        ("<stdin>", "upload.bin"),
        ("/dir/", "upload.bin"),
    ],
)
def test_upload_filename_is_basename(name: Any, expected: str) -> None:
    assert upload_filename(name) == expected


# -- multipart and urlencoded ------------------------------------------------------------------


def test_multipart_frame_puts_token_after_file() -> None:
    frame = multipart_frame(
        "BOUND", [("return", "spotify")], "file", 'a"b.mp3', [("api_token", "t")]
    )
    body = frame.head + b"DATA" + frame.tail
    assert frame.content_type == "multipart/form-data; boundary=BOUND"
    assert body == (
        b'--BOUND\r\nContent-Disposition: form-data; name="return"\r\n\r\nspotify\r\n'
        b'--BOUND\r\nContent-Disposition: form-data; name="file"; filename="a%22b.mp3"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nDATA\r\n"
        b'--BOUND\r\nContent-Disposition: form-data; name="api_token"\r\n\r\nt\r\n'
        b"--BOUND--\r\n"
    )
    assert frame.content_length(4) == len(body)
    assert frame.content_length(None) is None


def test_urlencoded_keeps_order() -> None:
    assert encode_urlencoded([("url", "https://a/b?c=d"), ("api_token", "t")]) == (
        b"url=https%3A%2F%2Fa%2Fb%3Fc%3Dd&api_token=t"
    )


# -- builders --------------------------------------------------------------------------------


def test_merge_fields_typed_and_token_win() -> None:
    merged = merge_fields(
        [("market", "GB"), ("return", None)],
        {"market": "US", "return": "x", "api_token": "no", "url": "no", "n": 1, "b": False},
        reserved=("url",),
    )
    assert merged == (("return", "x"), ("n", "1"), ("b", "false"), ("market", "GB"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ([], None),
        ("spotify", "spotify"),
        ("apple_music, spotify", "apple_music,spotify"),
        (("deezer", "napster", "deezer"), "deezer,napster"),
        (["musicbrainz"], "musicbrainz"),
    ],
)
def test_resolve_return(value: Any, expected: str | None) -> None:
    assert resolve_return(value, None) == expected
    assert resolve_return(None, value) == expected


@pytest.mark.parametrize("bad", [["tidal"], "spotify,youtube", ["Spotify"]])
def test_resolve_return_rejects_unknown(bad: Any) -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        resolve_return(bad, None)


def test_resolve_return_rejects_both_and_non_strings() -> None:
    with pytest.raises(TypeError):
        resolve_return(["spotify"], ["spotify"])
    with pytest.raises(TypeError):
        resolve_return([1], None)
    with pytest.raises(TypeError):
        resolve_return(5, None)


def test_build_recognize() -> None:
    spec = build_recognize("https://a.test/x", return_=["spotify"], market="GB", timeout=3)
    assert (spec.api_method, spec.method, spec.base, spec.path) == ("recognize", "POST", "api", "/")
    assert spec.fields == (("url", "https://a.test/x"), ("return", "spotify"), ("market", "GB"))
    assert spec.retry_class is RetryClass.RECOGNITION
    assert spec.default_timeout() == httpx.Timeout(3.0)
    assert build_recognize(b"x").default_timeout() == STANDARD_TIMEOUT


def test_build_recognize_enterprise() -> None:
    spec = build_recognize_enterprise(b"x", limit=0, skip=1, use_timecode=True)
    assert spec.base == "enterprise"
    assert spec.fields == (
        ("skip", "1"),
        ("limit", "0"),
        ("use_timecode", "true"),
        ("accurate_offsets", "true"),
    )
    assert spec.default_timeout() == ENTERPRISE_TIMEOUT
    with pytest.raises(ValueError, match="use_timecode"):
        build_recognize_enterprise(b"x", use_timecode="yes")  # type: ignore[arg-type]


def test_other_builders() -> None:
    upload = build_custom_catalog_add(3, "https://a.test/s.mp3")
    assert (upload.path, upload.retry_class, upload.custom_catalog) == ("/upload/", M, True)
    assert upload.fields == (("audio_id", "3"), ("url", "https://a.test/s.mp3"))
    assert build_find_lyrics("x").path == "/findLyrics/"
    raw = build_raw_request("/getLinks/", {"a": 1, "api_token": "no"})
    assert (raw.path, raw.fields, raw.api_method) == ("/getLinks/", (("a", "1"),), "getLinks")
    with pytest.raises(ValueError):
        build_find_lyrics("  ")
    with pytest.raises(ValueError):
        build_raw_request("a?b=c")


def test_get_spec_cannot_carry_token() -> None:
    with pytest.raises(ValueError, match="GET"):
        RequestSpec(api_method="longpoll", method="GET")
    spec = RequestSpec(api_method="longpoll", method="GET", include_token=False, path="/longpoll/")
    assert request_url(spec, "http://h", "http://e") == "http://h/longpoll/"


def test_request_url_bases() -> None:
    assert request_url(RequestSpec("x", base="enterprise"), "http://a", "http://e") == "http://e/"
    absolute = RequestSpec("x", base="absolute", path="https://z.test/p")
    assert request_url(absolute, "http://a", "http://e") == "https://z.test/p"


@pytest.mark.parametrize("bad", [0, -1.0, "5", True])
def test_timeout_from_arg_rejects(bad: Any) -> None:
    with pytest.raises(ValueError, match="timeout"):
        timeout_from_arg(bad)


# -- options ---------------------------------------------------------------------------------


def test_resolve_token_order() -> None:
    assert resolve_token("arg", "env") == "arg"
    assert resolve_token(None, "env") == "env"
    assert resolve_token(" padded ", None) == "padded"
    with pytest.raises(ValueError, match=r"dashboard\.audd\.io"):
        resolve_token(None, None)
    with pytest.raises(ValueError, match="dashboard"):
        resolve_token(" ", None)


def test_resolve_options_defaults() -> None:
    options = resolve_options(
        api_token="t",
        env_token=None,
        base_url=None,
        env_base_url=None,
        enterprise_base_url=None,
        env_enterprise_base_url="http://127.0.0.1:9/",
        max_retries=0,
    )
    assert options.base_url == "https://api.audd.io"
    assert options.enterprise_base_url == "http://127.0.0.1:9"
    assert options.max_retries == 1
    assert options.backoff_factor == 0.5


def test_user_agent_shape() -> None:
    ua = user_agent()
    assert ua.startswith("audd/")
    assert " python/" in ua
    assert ua.endswith(")")

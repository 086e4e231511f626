"""Pure decoding: ``(status, headers, body) → model | exception``, every fixture included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from audd import errors
from audd._core._errors import ERROR_CLASSES, error_class_for
from audd._core._models import EnterpriseMatch, RecognitionResult
from audd._core._request import RequestSpec, RetryClass
from audd._core._response import (
    ApiResponse,
    decode_enterprise,
    decode_lyrics,
    decode_null,
    decode_object,
    decode_recognition,
    decode_response,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SPEC = RequestSpec(api_method="recognize")
UPLOAD = RequestSpec(api_method="upload", path="/upload/", custom_catalog=True)
READ = RequestSpec(api_method="getStreams", path="/getStreams/", retry_class=RetryClass.READ)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def decode(spec: RequestSpec, status: int, body: Any, headers: dict[str, str] | None = None):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return decode_response(spec, status, headers or {}, content)


# (fixture, spec, expected exception class or decoder result check)
ERROR_FIXTURES = [
    ("error_19_no_callback_url", errors.AudDBlockedError, 19),
    ("error_700_no_file", errors.AudDInvalidRequestError, 700),
    ("error_900_invalid_token", errors.AudDAuthenticationError, 900),
    ("error_902_stream_limit", errors.AudDQuotaError, 902),
    ("error_904_enterprise_unauthorized", errors.AudDSubscriptionError, 904),
]


@pytest.mark.parametrize(("name", "cls", "code"), ERROR_FIXTURES)
@pytest.mark.parametrize("status", [200, 400, 500])
def test_error_fixtures_map_to_their_class(
    name: str, cls: type[errors.AudDAPIError], code: int, status: int
) -> None:
    with pytest.raises(cls) as info:
        decode_response(SPEC, status, {"X-Request-Id": "rid"}, fixture_bytes(name))
    err = info.value
    assert type(err) is cls
    assert (err.error_code, err.http_status, err.request_id) == (code, status, "rid")
    assert err.requested_params  # from request_params or requested_params
    assert err.request_method == "recognize"
    assert isinstance(err.raw_response, dict)


def test_custom_catalog_context_maps_904_to_access_error() -> None:
    with pytest.raises(errors.AudDCustomCatalogAccessError):
        decode_response(UPLOAD, 200, {}, fixture_bytes("error_904_enterprise_unauthorized"))


@pytest.mark.parametrize(
    ("codes", "cls"),
    [
        ((900, 901, 903), errors.AudDAuthenticationError),
        ((902,), errors.AudDQuotaError),
        ((904, 905), errors.AudDSubscriptionError),
        ((50, 51, 600, 601, 602, 700, 701, 702, 906), errors.AudDInvalidRequestError),
        ((300, 400, 500), errors.AudDInvalidAudioError),
        ((610,), errors.AudDStreamLimitError),
        ((611,), errors.AudDRateLimitError),
        ((907,), errors.AudDNotReleasedError),
        ((19, 31337), errors.AudDBlockedError),
        ((20,), errors.AudDNeedsUpdateError),
        ((100, 1000, 40, 12345, 0), errors.AudDServerError),
    ],
)
def test_error_table(codes: tuple[int, ...], cls: type[errors.AudDAPIError]) -> None:
    for code in codes:
        assert error_class_for(code) is cls
        body = {"status": "error", "error": {"error_code": code, "error_message": "m"}}
        with pytest.raises(cls):
            decode(SPEC, 200, body)


def test_error_table_covers_openapi_codes() -> None:
    openapi_codes = {19, 20, 31337, 40, 50, 51, 100, 300, 400, 500, 600, 601, 602, 610, 611,
                     700, 701, 702, 900, 901, 902, 903, 904, 905, 906, 907, 1000}  # fmt: skip
    unmapped = openapi_codes - set(ERROR_CLASSES)
    assert unmapped == {40, 100, 1000}  # → AudDServerError


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (200, {}, b"not json", errors.AudDSerializationError),
        (200, {}, b"", errors.AudDSerializationError),
        (204, {}, b"", errors.AudDSerializationError),
        (500, {}, b"<html>oops</html>", errors.AudDServerError),
        (404, {}, b"", errors.AudDServerError),
        (502, {}, {"detail": "bad gateway"}, errors.AudDServerError),
        (429, {}, {"status": "error", "error": {"error_code": 611}}, errors.AudDRateLimitError),
        (200, {}, {"error": {"error_code": 900}}, errors.AudDAuthenticationError),
        (200, {}, {"status": "error", "error": "bad"}, errors.AudDServerError),
        (200, {}, {"status": "error", "error": {"error_code": "902"}}, errors.AudDQuotaError),
    ],
)  # fmt: skip
def test_status_headers_body_to_exception(
    status: int, headers: dict[str, str], body: Any, expected: type[errors.AudDError]
) -> None:
    with pytest.raises(expected):
        decode(SPEC, status, body, headers)


def test_non_json_http_error_keeps_status_text_and_code_zero() -> None:
    with pytest.raises(errors.AudDServerError) as info:
        decode(SPEC, 503, b"Service Unavailable", {"x-request-id": "abc"})
    assert (info.value.error_code, info.value.http_status) == (0, 503)
    assert info.value.raw_response == "Service Unavailable"
    assert info.value.request_id == "abc"


def test_non_json_success_keeps_raw_text() -> None:
    with pytest.raises(errors.AudDSerializationError) as info:
        decode(SPEC, 200, b"<html>captive portal</html>")
    assert info.value.raw_text == "<html>captive portal</html>"


@pytest.mark.parametrize(
    ("name", "decoder", "check"),
    [
        ("recognize_basic", decode_recognition, lambda r: r.artist == "Tears For Fears"),
        ("recognize_custom_match", decode_recognition, lambda r: r.audio_id == 146),
        ("recognize_with_metadata", decode_recognition, lambda r: r.spotify.id is not None),
        ("enterprise_with_isrc_upc", decode_enterprise, lambda r: r[0].isrc == "GBUM71403885"),
        ("getStreams_empty", decode_object, lambda r: r["result"] == []),
        ("longpoll_no_events", decode_object, lambda r: r["timestamp"] == 1777901270049),
        ("streams_callback_with_result", decode_object, lambda r: r["result"]["radio_id"] == 7),
        ("streams_callback_with_notification", decode_object, lambda r: r["status"] == "-"),
    ],
)
def test_success_fixtures_decode(name: str, decoder: Any, check: Any) -> None:
    response = decode_response(READ, 200, {}, fixture_bytes(name))
    assert check(decoder(response))


def test_every_fixture_is_covered() -> None:
    covered = {name for name, _, _ in ERROR_FIXTURES} | {
        "recognize_basic", "recognize_custom_match", "recognize_with_metadata",
        "enterprise_with_isrc_upc", "getStreams_empty", "longpoll_no_events",
        "streams_callback_with_result", "streams_callback_with_notification",
    }  # fmt: skip
    assert {p.stem for p in FIXTURES.glob("*.json")} <= covered


def test_code_51_with_result_warns_and_succeeds() -> None:
    body = {
        "status": "error",
        "error": {"error_code": 51, "error_message": "param deprecated"},
        "result": {"artist": "A", "title": "T", "timecode": "00:01"},
    }
    with pytest.warns(DeprecationWarning, match="param deprecated"):
        response = decode(SPEC, 200, body)
    result = decode_recognition(response)
    assert isinstance(result, RecognitionResult)
    assert result.title == "T"


def test_branded_message() -> None:
    body = {
        "status": "error",
        "error": {"error_code": 31337, "error_message": "banned"},
        "result": {"artist": "AudD", "title": "Contact api@audd.io"},
    }
    with pytest.raises(errors.AudDBlockedError) as info:
        decode(SPEC, 200, body)
    assert info.value.branded_message == "AudD — Contact api@audd.io"


def _ok(body: Any) -> ApiResponse:
    return decode(SPEC, 200, body)


def test_decode_recognition_shapes() -> None:
    assert decode_recognition(_ok({"status": "success", "result": None})) is None
    assert decode_recognition(_ok({"status": "success"})) is None
    with pytest.raises(errors.AudDSerializationError):
        decode_recognition(_ok({"status": "success", "result": "weird"}))
    with pytest.raises(errors.AudDSerializationError):
        decode_recognition(_ok([1, 2]))


def test_decode_enterprise_keeps_malformed_items_reachable() -> None:
    body = {"status": "success", "result": [{"songs": ["junk"], "offset": "00:24"}, "bad"]}
    matches = decode_enterprise(_ok(body))
    assert [type(m) for m in matches] == [EnterpriseMatch, EnterpriseMatch]
    assert matches[0].model_extra is not None
    assert matches[1].model_extra is not None
    assert matches[0].model_extra["song_raw"] == "junk"
    assert matches[0].chunk_offset == "00:24"
    assert matches[1].model_extra["chunk_raw"] == "bad"
    with pytest.raises(errors.AudDSerializationError):
        decode_enterprise(_ok({"status": "success", "result": {"songs": []}}))
    assert decode_enterprise(_ok({"status": "success", "result": None})) == []


def test_decode_lyrics_and_null() -> None:
    hits = decode_lyrics(_ok({"status": "success", "result": [{"artist": "A", "title": "T"}]}))
    assert hits[0].artist == "A"
    assert decode_lyrics(_ok({"status": "success", "result": None})) == []
    # Typed `-> None`; the test checks at runtime that nothing is returned.
    assert decode_null(_ok({"status": "success", "result": None})) is None  # type: ignore[func-returns-value]
    with pytest.raises(errors.AudDSerializationError):
        decode_null(_ok("text"))

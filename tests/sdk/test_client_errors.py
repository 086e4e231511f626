"""Error mapping on both twins: same response → same exception type on every endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sdk_helpers import Recorder, Twin, load_fixture, ok

from audd import (
    AudDAPIError,
    AudDAuthenticationError,
    AudDBlockedError,
    AudDConnectionError,
    AudDError,
    AudDInvalidRequestError,
    AudDQuotaError,
    AudDSerializationError,
    AudDServerError,
    AudDTimeoutError,
    RecognitionResult,
)

# Every endpoint this module owns, as "call on a client".
ENDPOINTS: dict[str, Callable[[Any], Any]] = {
    "recognize": lambda c: c.recognize("https://x.test/a.mp3"),
    "recognize_bytes": lambda c: c.recognize(b"abc"),
    "recognize_enterprise": lambda c: c.recognize_enterprise("https://x.test/a.mp3", limit=1),
    "custom_catalog.add": lambda c: c.custom_catalog.add(1, "https://x.test/a.mp3"),
    "advanced.find_lyrics": lambda c: c.advanced.find_lyrics("hello"),
    "advanced.raw_request": lambda c: c.advanced.raw_request("getLinks", {"a": 1}),
}


def _error(code: int, message: str = "msg", **extra: Any) -> dict[str, Any]:
    return {"status": "error", "error": {"error_code": code, "error_message": message}, **extra}


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize(
    ("fixture", "cls", "code"),
    [
        ("error_900_invalid_token", AudDAuthenticationError, 900),
        ("error_902_stream_limit", AudDQuotaError, 902),
        ("error_700_no_file", AudDInvalidRequestError, 700),
        ("error_19_no_callback_url", AudDBlockedError, 19),
    ],
)
def test_same_error_type_on_every_endpoint(
    twin: Twin, endpoint: str, fixture: str, cls: type[AudDAPIError], code: int
) -> None:
    body = load_fixture(fixture)
    client = twin.client(Recorder(ok(body, headers={"x-request-id": "req-42"})))
    with pytest.raises(cls) as info:
        twin.run(ENDPOINTS[endpoint](client))
    err = info.value
    assert type(err) is cls
    assert err.error_code == code
    assert err.message == body["error"]["error_message"]
    assert err.http_status == 200
    assert err.request_id == "req-42"
    assert err.requested_params == body["request_params"]
    assert err.raw_response == body
    assert err.request_method


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_non_json_5xx_is_server_error_code_0_everywhere(twin: Twin, endpoint: str) -> None:
    reply = httpx.Response(502, text="<html>Bad gateway</html>", headers={"x-request-id": "r1"})
    client = twin.client(Recorder(reply), max_retries=1)
    with pytest.raises(AudDServerError) as info:
        twin.run(ENDPOINTS[endpoint](client))
    assert info.value.error_code == 0
    assert info.value.http_status == 502
    assert info.value.request_id == "r1"
    assert info.value.raw_response == "<html>Bad gateway</html>"


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_non_json_4xx_is_server_error_code_0_everywhere(twin: Twin, endpoint: str) -> None:
    client = twin.client(Recorder(httpx.Response(404, text="not found")))
    with pytest.raises(AudDServerError) as info:
        twin.run(ENDPOINTS[endpoint](client))
    assert (info.value.error_code, info.value.http_status) == (0, 404)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_non_json_2xx_is_serialization_error_everywhere(twin: Twin, endpoint: str) -> None:
    client = twin.client(Recorder(httpx.Response(200, text="OK!", headers={"x-request-id": "z"})))
    with pytest.raises(AudDSerializationError) as info:
        twin.run(ENDPOINTS[endpoint](client))
    assert info.value.raw_text == "OK!"
    assert info.value.http_status == 200
    assert info.value.request_id == "z"


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_json_error_with_http_error_status_keeps_code(twin: Twin, endpoint: str) -> None:
    client = twin.client(Recorder(ok(_error(611, "slow down"), status=429)))
    with pytest.raises(AudDAPIError) as info:
        twin.run(ENDPOINTS[endpoint](client))
    assert (info.value.error_code, info.value.http_status) == (611, 429)


def test_unknown_error_code_is_server_error(twin: Twin) -> None:
    client = twin.client(Recorder(ok(_error(4242))))
    with pytest.raises(AudDServerError) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert info.value.error_code == 4242


@pytest.mark.parametrize("code", [19, 31337, 903])
def test_branded_result_becomes_branded_message(twin: Twin, code: int) -> None:
    body = _error(code, "blocked", result={"artist": "AudD", "title": "Visit audd.io"})
    client = twin.client(Recorder(ok(body)))
    with pytest.raises(AudDAPIError) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert info.value.branded_message == "AudD — Visit audd.io"


def test_code_51_with_result_warns_and_returns_result(twin: Twin) -> None:
    body = _error(51, "parameter x is deprecated", result=load_fixture("recognize_basic")["result"])
    client = twin.client(Recorder(ok(body)))
    with pytest.warns(DeprecationWarning, match="deprecated"):
        result = twin.run(client.recognize("https://x.test/a.mp3"))
    assert isinstance(result, RecognitionResult)
    assert result.artist == "Tears For Fears"


def test_code_51_without_result_is_invalid_request(twin: Twin) -> None:
    client = twin.client(Recorder(ok(_error(51, "deprecated"))))
    with pytest.raises(AudDInvalidRequestError):
        twin.run(client.recognize("https://x.test/a.mp3"))


def test_enterprise_echo_name_is_exposed_as_requested_params(twin: Twin) -> None:
    body = _error(900, "bad token", requested_params={"limit": "1"})
    client = twin.client(Recorder(ok(body)))
    with pytest.raises(AudDAuthenticationError) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert info.value.requested_params == {"limit": "1"}


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("refused"), AudDConnectionError),
        (httpx.ReadTimeout("slow"), AudDTimeoutError),
        (httpx.ConnectTimeout("slow"), AudDTimeoutError),
        (httpx.RemoteProtocolError("eof"), AudDConnectionError),
        (httpx.ReadError("reset"), AudDConnectionError),
    ],
)
def test_httpx_errors_never_leak(twin: Twin, exc: Exception, cls: type[AudDError]) -> None:
    client = twin.client(Recorder(exc), max_retries=1)
    with pytest.raises(cls) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert info.value.__cause__ is exc
    assert not isinstance(info.value, httpx.HTTPError)


def test_error_str_has_code_and_message(twin: Twin) -> None:
    client = twin.client(Recorder(ok(load_fixture("error_900_invalid_token"))))
    with pytest.raises(AudDAuthenticationError) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert str(info.value).startswith("[#900] Recognition failed: authorization failed")


def test_invalid_url_does_not_leak_httpx_errors(twin: Twin) -> None:
    client = twin.client(Recorder(), base_url="http://[::1")
    with pytest.raises(AudDConnectionError) as info:
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert isinstance(info.value.__cause__, httpx.InvalidURL)

"""Retry classes, backoff, Retry-After and source replay on both twins (sleeps recorded)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sdk_helpers import Recorder, Twin, load_fixture, ok

from audd import AudDConnectionError, AudDRateLimitError, AudDServerError
from audd._core._request import RequestSpec, RetryClass

AUDIO = bytes(range(256)) * 4096  # 1 MiB: several upload chunks
SUCCESS = {"status": "success", "result": None}


class WriteFailTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Fails the first ``failures`` attempts with WriteError after reading ``chunks`` chunks
    of the body (``None``: after the whole body), then hands requests to ``then``."""

    def __init__(self, then: Recorder, *, chunks: int | None, failures: int = 1) -> None:
        self.then = then
        self.chunks = chunks
        self.failures = failures
        self.attempts = 0

    def _should_fail(self) -> bool:
        self.attempts += 1
        return self.attempts <= self.failures

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._should_fail():
            # Sync transport: the request body is a sync byte stream.
            for index, _ in enumerate(cast(Iterable[bytes], request.stream)):
                if self.chunks is not None and index + 1 >= self.chunks:
                    break
            raise httpx.WriteError("connection reset while writing")
        request.read()
        return self.then(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._should_fail():
            index = 0
            async for _ in request.stream:  # type: ignore[union-attr]
                index += 1
                if self.chunks is not None and index >= self.chunks:
                    break
            raise httpx.WriteError("connection reset while writing")
        await request.aread()
        return self.then(request)


def _file_bodies(rec: Recorder) -> list[bytes]:
    return [v for i in range(len(rec.requests)) for n, _, v in rec.form(i) if n == "file"]


def test_recognition_retries_connect_errors_with_backoff(twin: Twin) -> None:
    rec = Recorder(httpx.ConnectError("refused"), httpx.ConnectError("refused"), ok(SUCCESS))
    client = twin.client(rec)
    assert twin.run(client.recognize("https://x.test/a.mp3")) is None
    assert len(rec.requests) == 3
    assert twin.sleeps == [0.5, 1.0]


def test_backoff_is_capped_at_30_seconds(twin: Twin) -> None:
    rec = Recorder(*[httpx.ConnectError("x")] * 3, ok(SUCCESS))
    client = twin.client(rec, max_retries=4, backoff_factor=20)
    twin.run(client.recognize("https://x.test/a.mp3"))
    assert twin.sleeps == [20.0, 30.0, 30.0]


def test_backoff_jitter_spans_half_to_one_and_a_half(twin: Twin) -> None:
    rec = Recorder(httpx.ConnectError("x"), httpx.ConnectError("x"), ok(SUCCESS))
    client = twin.client(rec, backoff_factor=1.0)
    draws = iter([0.0, 0.999])
    client._random = lambda: next(draws)
    twin.run(client.recognize("https://x.test/a.mp3"))
    assert twin.sleeps == [pytest.approx(0.5), pytest.approx(2 * 1.499)]


@pytest.mark.parametrize("max_retries", [0, 1])
def test_max_retries_one_or_zero_means_a_single_attempt(twin: Twin, max_retries: int) -> None:
    rec = Recorder(httpx.ConnectError("refused"), ok(SUCCESS))
    client = twin.client(rec, max_retries=max_retries)
    with pytest.raises(AudDConnectionError):
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert len(rec.requests) == 1
    assert twin.sleeps == []


def test_max_retries_is_total_attempts(twin: Twin) -> None:
    rec = Recorder(httpx.ConnectError("refused"))
    client = twin.client(rec, max_retries=5)
    with pytest.raises(AudDConnectionError):
        twin.run(client.recognize("https://x.test/a.mp3"))
    assert len(rec.requests) == 5


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadTimeout("slow"), httpx.ReadError("reset"), httpx.RemoteProtocolError("eof")],
)
def test_recognition_never_resends_after_upload(twin: Twin, exc: Exception) -> None:
    rec = Recorder(exc, ok(SUCCESS))
    client = twin.client(rec)
    with pytest.raises(AudDConnectionError):
        twin.run(client.recognize(b"audio"))
    assert len(rec.requests) == 1


def test_recognition_retries_5xx(twin: Twin) -> None:
    rec = Recorder(httpx.Response(500, text="boom"), ok(load_fixture("recognize_basic")))
    result = twin.run(twin.client(rec).recognize("https://x.test/a.mp3"))
    assert result.title == "Everybody Wants To Rule The World"
    assert len(rec.requests) == 2


def test_recognition_gives_up_after_max_retries_of_5xx(twin: Twin) -> None:
    rec = Recorder(httpx.Response(503, text="busy"))
    with pytest.raises(AudDServerError) as info:
        twin.run(twin.client(rec, max_retries=2).recognize("https://x.test/a.mp3"))
    assert info.value.http_status == 503
    assert len(rec.requests) == 2


def test_recognition_does_not_retry_429(twin: Twin) -> None:
    body = {"status": "error", "error": {"error_code": 611, "error_message": "slow down"}}
    rec = Recorder(ok(body, status=429), ok(SUCCESS))
    with pytest.raises(AudDRateLimitError):
        twin.run(twin.client(rec).recognize("https://x.test/a.mp3"))
    assert len(rec.requests) == 1


def test_mutating_surfaces_5xx(twin: Twin) -> None:
    rec = Recorder(httpx.Response(500, text="boom"), ok(SUCCESS))
    with pytest.raises(AudDServerError):
        twin.run(twin.client(rec).custom_catalog.add(1, "https://x.test/a.mp3"))
    assert len(rec.requests) == 1


def test_mutating_retries_connect_errors(twin: Twin) -> None:
    rec = Recorder(httpx.ConnectTimeout("slow"), ok(SUCCESS))
    twin.run(twin.client(rec).custom_catalog.add(1, "https://x.test/a.mp3"))
    assert len(rec.requests) == 2


def test_mutating_never_resends_after_read_error(twin: Twin) -> None:
    rec = Recorder(httpx.ReadError("reset"), ok(SUCCESS))
    with pytest.raises(AudDConnectionError):
        twin.run(twin.client(rec).custom_catalog.add(1, "https://x.test/a.mp3"))
    assert len(rec.requests) == 1


READ_SPEC = RequestSpec(api_method="getStreams", path="/getStreams/", retry_class=RetryClass.READ)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_read_retries_408_429_and_5xx(twin: Twin, status: int) -> None:
    rec = Recorder(httpx.Response(status, text="x"), ok({"status": "success", "result": []}))
    response = twin.run(twin.client(rec)._send(READ_SPEC))
    assert response.body == {"status": "success", "result": []}
    assert len(rec.requests) == 2


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("x"), httpx.ReadError("x"), httpx.RemoteProtocolError("x")]
)
def test_read_retries_any_transport_error(twin: Twin, exc: Exception) -> None:
    rec = Recorder(exc, ok({"status": "success", "result": []}))
    twin.run(twin.client(rec)._send(READ_SPEC))
    assert len(rec.requests) == 2


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [(429, "7", 7.0), (503, "2.5", 2.5), (503, "600", 30.0), (429, "garbage", 0.5)],
)
def test_retry_after_is_honoured_up_to_the_cap(
    twin: Twin, status: int, header: str, expected: float
) -> None:
    rec = Recorder(
        httpx.Response(status, text="wait", headers={"Retry-After": header}),
        ok({"status": "success", "result": []}),
    )
    twin.run(twin.client(rec)._send(READ_SPEC))
    assert twin.sleeps == [expected]


def test_retry_after_http_date(twin: Twin) -> None:
    rec = Recorder(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        ok({"status": "success", "result": []}),
    )
    twin.run(twin.client(rec)._send(READ_SPEC))
    assert twin.sleeps == [0.0]  # a date in the past: retry at once


def test_write_error_before_body_went_out_is_retried(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS))
    transport = WriteFailTransport(rec, chunks=2)
    client = twin.client(transport)
    twin.run(client.recognize(AUDIO))
    assert transport.attempts == 2
    assert _file_bodies(rec) == [AUDIO]


def test_write_error_after_body_went_out_is_not_retried(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS))
    transport = WriteFailTransport(rec, chunks=None)
    with pytest.raises(AudDConnectionError) as info:
        twin.run(twin.client(transport).recognize(AUDIO))
    assert transport.attempts == 1
    assert isinstance(info.value.__cause__, httpx.WriteError)


def test_path_source_is_reopened_per_attempt(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp3"
    path.write_bytes(AUDIO)
    rec = Recorder(httpx.Response(500), httpx.Response(502), ok(SUCCESS))
    twin.run(twin.client(rec).recognize(path))
    assert _file_bodies(rec) == [AUDIO] * 3


def test_bytes_source_is_resent_whole(twin: Twin) -> None:
    rec = Recorder(httpx.Response(500), ok(SUCCESS))
    payload = bytearray(AUDIO)
    twin.run(twin.client(rec).recognize(payload))
    assert _file_bodies(rec) == [AUDIO] * 2


def test_seekable_file_is_rewound_to_its_starting_position(twin: Twin, tmp_path: Path) -> None:
    path = tmp_path / "clip.mp3"
    path.write_bytes(b"PREFIX" + AUDIO)
    rec = Recorder(httpx.Response(500), httpx.Response(500), ok(SUCCESS))
    with path.open("rb") as handle:
        handle.seek(6)
        twin.run(twin.client(rec).recognize(handle))
    assert _file_bodies(rec) == [AUDIO] * 3


class _Unseekable(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_unseekable_source_needing_retry_fails_with_chained_error(twin: Twin) -> None:
    rec = Recorder(ok(SUCCESS))
    transport = WriteFailTransport(rec, chunks=2)
    with pytest.raises(AudDConnectionError, match="not seekable") as info:
        twin.run(twin.client(transport).recognize(_Unseekable(AUDIO)))
    assert isinstance(info.value.__cause__, httpx.WriteError)
    assert transport.attempts == 1


def test_unseekable_source_5xx_surfaces_server_error(twin: Twin) -> None:
    rec = Recorder(httpx.Response(500, text="boom"), ok(SUCCESS))
    with pytest.raises(AudDServerError):
        twin.run(twin.client(rec).recognize(_Unseekable(AUDIO)))
    assert len(rec.requests) == 1


def test_unseekable_source_not_yet_read_can_be_retried(twin: Twin) -> None:
    class ConnectFirst(httpx.BaseTransport, httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.calls = 0
            self.rec = Recorder(ok(SUCCESS))

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            self.calls += 1
            if self.calls == 1:
                raise httpx.ConnectError("refused")  # before any body byte is read
            request.read()
            return self.rec(request)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            self.calls += 1
            if self.calls == 1:
                raise httpx.ConnectError("refused")
            await request.aread()
            return self.rec(request)

    transport = ConnectFirst()
    twin.run(twin.client(transport).recognize(_Unseekable(AUDIO)))
    assert transport.calls == 2
    assert _file_bodies(transport.rec) == [AUDIO]

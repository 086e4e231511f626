"""`POST /enterprise/`: 12-second chunks, scheduling parameters, offsets, CSV, access rules."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from server_fixtures import SONGS, TOKEN_ENTERPRISE, TOKEN_STANDARD, song_samples

from audd_server.engine import SAMPLE_RATE
from audd_server.synth import encode_audio

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
A, C = SONGS[0], SONGS[2]
RATE = 22050


@pytest.fixture(scope="module")
def mix() -> bytes:
    """Song A (60 s) then song C (45 s): 105 s, 9 chunks."""
    samples = np.concatenate(
        [song_samples(A.seed, A.duration, RATE), song_samples(C.seed, C.duration, RATE)]
    )
    return encode_audio(samples, RATE, "mp3")


def post(client, data: bytes | None, **fields):
    fields.setdefault("api_token", TOKEN_ENTERPRISE)
    files = None if data is None else {"file": ("mix.mp3", data, "application/octet-stream")}
    return client.post("/enterprise/", data=fields, files=files)


def seconds(mmss: str) -> int:
    total = 0
    for part in mmss.split(":"):
        total = total * 60 + int(part)
    return total


def test_enterprise_chunks_report_each_song_with_isrc_upc(client, openapi, mix):
    body = post(client, mix, accurate_offsets="true").json()
    openapi.validate(body, "EnterpriseSuccessResponse")
    assert body["execution_time"].endswith("ms")
    offsets = [chunk["offset"] for chunk in body["result"]]
    assert offsets == [
        "00:00",
        "00:12",
        "00:24",
        "00:36",
        "00:48",
        "01:00",
        "01:12",
        "01:24",
        "01:36",
    ]
    for chunk in body["result"]:
        top = chunk["songs"][0]
        start = seconds(chunk["offset"])
        expected = A if start < 60 else C
        assert top["title"] == expected.meta["title"]
        song_start = start if start < 60 else start - 60
        assert abs(seconds(top["timecode"]) - song_start) <= 1
        assert 0 <= top["start_offset"] < top["end_offset"] <= 12000
    first = body["result"][0]["songs"][0]
    fixture = json.loads((FIXTURES / "enterprise_with_isrc_upc.json").read_text())
    expected_keys = [*fixture["result"][0]["songs"][0], "start_offset", "end_offset"]
    assert list(first) == expected_keys
    assert first["isrc"] == "GBUM71403885"
    assert first["upc"] == "00602547037169"


def test_enterprise_without_accurate_offsets_has_no_offsets(client, mix):
    body = post(client, mix, limit="1").json()
    assert "start_offset" not in body["result"][0]["songs"][0]


def test_enterprise_limit_every_skip(client, mix):
    body = post(client, mix, limit="3", every="1", skip="1").json()
    assert [c["offset"] for c in body["result"]] == ["00:00", "00:24", "00:48"]
    body = post(client, mix, every="2", skip="2").json()
    assert [c["offset"] for c in body["result"]] == ["00:00", "00:12", "00:48", "01:00", "01:36"]


def test_enterprise_skip_first_seconds(client, mix):
    body = post(client, mix, skip_first_seconds="60", limit="2").json()
    assert [c["offset"] for c in body["result"]] == ["01:00", "01:12"]
    assert body["result"][0]["songs"][0]["title"] == C.meta["title"]


def test_enterprise_use_timecode_reads_t_from_url(client, openapi):
    url = f"http://media.test/clip/{A.seed}/0/60.mp3?t=36"
    body = post(client, None, url=url, use_timecode="true").json()
    openapi.validate(body, "EnterpriseSuccessResponse")
    assert [c["offset"] for c in body["result"]] == ["00:36", "00:48"]


def test_enterprise_metering_counts_scanned_chunks(client, mix):
    ctx = client.app.state.ctx
    account = ctx.accounts.by_token(TOKEN_STANDARD)
    before = ctx.accounts.usage_today(account.id)
    post(client, mix, api_token=TOKEN_STANDARD, limit="4")
    assert ctx.accounts.usage_today(account.id) - before == 4


def test_enterprise_csv(client, mix):
    resp = post(client, mix, response_type="csv", limit="2", accurate_offsets="true")
    assert resp.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.text)))
    assert rows[0]["offset"] == "00:00"
    assert rows[0]["title"] == A.meta["title"]
    assert rows[0]["isrc"] == "GBUM71403885"
    assert int(rows[0]["end_offset"]) > int(rows[0]["start_offset"])


def test_enterprise_return_adds_providers_but_never_spotify(client, mix):
    body = post(client, mix, limit="1", **{"return": "apple_music,spotify"}).json()
    song = body["result"][0]["songs"][0]
    assert "apple_music" in song
    assert "spotify" not in song


def test_enterprise_by_url_needs_a_paid_plan_904_like_the_fixture(client, openapi):
    fixture = json.loads((FIXTURES / "error_904_enterprise_unauthorized.json").read_text())
    body = client.post(
        "/enterprise/",
        data={
            "url": "https://audd.tech/example.mp3",
            "limit": "1",
            "method": "recognize",
            "api_token": "test",
        },
    ).json()
    openapi.validate_error(body, 904)
    assert body["error"] == fixture["error"]
    assert list(body) == list(fixture)
    assert body["requested_params"]["url"] == "https://audd.tech/example.mp3"
    assert body["requested_params"]["api_token"] == "t***t"
    assert "request_params" not in body


def test_enterprise_file_needs_enterprise_in_plan(client, openapi, mix):
    body = post(client, mix, api_token="test").json()
    openapi.validate_error(body, 904)


def test_enterprise_errors(client, openapi):
    openapi.validate_error(post(client, None).json(), 700)
    openapi.validate_error(post(client, b"not audio at all" * 100).json(), 500)
    openapi.validate_error(post(client, None, api_token="bad").json(), 900)
    openapi.validate_error(post(client, b"x", limit="abc").json(), 50)


def test_enterprise_large_upload_is_streamed_in_chunks(client, monkeypatch):
    """The handler decodes through iter_audio in 12 s blocks, never the whole file at once."""
    from audd_server.api import enterprise

    seen = []
    real = enterprise.iter_audio

    def spy(source, **kwargs):
        assert not isinstance(source, (bytes, bytearray))
        for block in real(source, **kwargs):
            seen.append(block.size)
            yield block

    monkeypatch.setattr(enterprise, "iter_audio", spy)
    samples = np.tile(song_samples(A.seed, A.duration, RATE), 5)  # 5 minutes
    data = encode_audio(samples, RATE, "mp3")
    body = post(client, data, limit="2", skip="10").json()
    assert body["status"] == "success"
    assert len(seen) >= 12
    assert max(seen) <= 12.5 * SAMPLE_RATE


@pytest.mark.parametrize(
    ("url", "seconds"),
    [
        ("https://youtu.be/x?t=90", 90),
        ("https://youtu.be/x?t=1m30s", 90),
        ("https://youtu.be/x?time_continue=45", 45),
        ("https://x.test/a.mp3?start=01:02:03", 3723),
        ("https://x.test/a.mp3#t=1h", 3600),
        ("https://x.test/a.mp3?t=junk", None),
        ("https://x.test/a.mp3", None),
    ],
)
def test_url_timecode(url, seconds):
    from audd_server.api.enterprise import url_timecode

    assert url_timecode(url) == seconds


def test_offsets_past_an_hour_use_hours():
    from audd_server.api.recognize import hhmmss, mmss

    assert hhmmss(59 * 60 + 59) == "59:59"
    assert hhmmss(3600 + 12) == "01:00:12"
    assert mmss(125.6) == "02:06"

"""Error codes not covered elsewhere: 701 (empty upload) and the enterprise chunk quota (902)."""

from __future__ import annotations

from typing import Any

from server_fixtures import SONGS, TOKEN_STANDARD, clip_bytes

A = SONGS[0]


def test_empty_file_part_is_701_on_both_endpoints(client: Any, openapi: Any) -> None:
    for path in ("/", "/enterprise/"):
        resp = client.post(
            path, data={"api_token": TOKEN_STANDARD}, files={"file": ("a.mp3", b"", "audio/mpeg")}
        )
        body = resp.json()
        openapi.validate_error(body, 701)
        assert resp.headers["x-request-id"]
        echo = body["requested_params" if path != "/" else "request_params"]
        assert echo == {"api_token": f"{TOKEN_STANDARD[0]}***{TOKEN_STANDARD[-1]}"}


def test_enterprise_quota_counts_12_second_chunks_then_902(client: Any, openapi: Any) -> None:
    ctx = client.app.state.ctx
    account = ctx.accounts.create(plan="standard", token="chunky0123456789", daily_limit=3)
    minute = clip_bytes(A.seed, 0, 60, fmt="mp3")  # 5 chunks

    body = client.post(
        "/enterprise/", data={"api_token": account.token}, files={"file": ("a.mp3", minute)}
    ).json()
    openapi.validate(body, "EnterpriseSuccessResponse")
    # The quota covers 3 chunks: the scan stops there, and exactly 3 requests are metered.
    assert [c["offset"] for c in body["result"]] == ["00:00", "00:12", "00:24"]
    assert ctx.accounts.usage_today(account.id) == 3

    resp = client.post(
        "/enterprise/", data={"api_token": account.token}, files={"file": ("a.mp3", minute)}
    )
    body = resp.json()
    openapi.validate_error(body, 902)
    assert body["requested_params"] == {"api_token": "c***9"}
    assert ctx.accounts.usage_today(account.id) == 3
    # The standard endpoint shares the same daily quota.
    resp = client.post(
        "/",
        data={"api_token": account.token},
        files={"file": ("a.wav", clip_bytes(A.seed, 0, 5))},
    )
    openapi.validate_error(resp.json(), 902)

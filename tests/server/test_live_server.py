"""The real server under uvicorn on loopback, driven with httpx."""

from __future__ import annotations

import threading

import httpx
import pytest
from server_fixtures import SONGS, TOKEN_ENTERPRISE, clip_bytes


def test_live_server_recognizes_over_http(live_server, openapi):
    with httpx.Client(base_url=live_server.base_url, timeout=30) as http:
        resp = http.post(
            "/",
            data={"api_token": TOKEN_ENTERPRISE, "return": "apple_music"},
            files={"file": ("clip.mp3", clip_bytes(SONGS[0].seed, 12, 10, fmt="mp3"))},
        )
        assert resp.status_code == 200
        assert resp.headers["x-request-id"]
        body = resp.json()
        openapi.validate(body, "RecognizeSuccessResponse")
        assert body["result"]["title"] == SONGS[0].meta["title"]
        assert "apple_music" in body["result"]
        # The enterprise base URL is `<base>/enterprise`; the SDK POSTs to `<that>/`.
        resp = http.post(
            live_server.enterprise_base_url + "/",
            data={"api_token": TOKEN_ENTERPRISE, "limit": "1"},
            files={"file": ("clip.mp3", clip_bytes(SONGS[0].seed, 0, 20, fmt="mp3"))},
        )
        openapi.validate(resp.json(), "EnterpriseSuccessResponse")
        assert resp.json()["result"][0]["offset"] == "00:00"
        page = http.get(f"/song/{live_server.track_ids[SONGS[1].seed]}")
        assert page.status_code == 200


def test_live_server_longpoll_disconnect_does_not_leak_waiters(live_server):
    import asyncio

    events = live_server.app.state.ctx.events
    waiting = threading.Event()

    async def scenario():
        async with httpx.AsyncClient(base_url=live_server.base_url) as http:
            task = asyncio.create_task(
                http.get("/longpoll/", params={"category": "gone", "timeout": 60}, timeout=30)
            )
            for _ in range(500):
                if events.waiter_count():
                    waiting.set()
                    break
                await asyncio.sleep(0.01)
            task.cancel()  # the client goes away mid-poll
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert waiting.is_set()
    for _ in range(500):
        if events.waiter_count() == 0:
            break
        threading.Event().wait(0.01)
    assert events.waiter_count() == 0


def test_live_server_factory_serves_a_prepopulated_dir(live_server_factory, tmp_path):
    from server_fixtures import build_data_dir

    path = tmp_path / "pre"
    ids = build_data_dir(path, [SONGS[2]], extra_tokens=[("free", "free0123456789abcd")])
    server = live_server_factory(songs=None, data_dir=path, start_streams=False)
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        body = http.post(
            "/",
            data={"api_token": "free0123456789abcd"},
            files={"file": ("c.wav", clip_bytes(SONGS[2].seed, 5, 8, song_duration=45))},
        ).json()
    assert body["result"]["title"] == "Late Trains"
    assert body["result"]["song_link"].endswith(f"/song/{ids[SONGS[2].seed]}")

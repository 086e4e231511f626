"""Construction, token handling, base URLs, lifecycle, User-Agent and timeouts on both twins."""

from __future__ import annotations

import httpx
import pytest
from sdk_helpers import Recorder, Twin, field_map, load_fixture, ok

import audd


def test_token_argument_is_used(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec, api_token="arg-token")
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert field_map(rec.form())["api_token"] == b"arg-token"


def test_token_falls_back_to_environment(twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDD_API_TOKEN", "env-token")
    rec = Recorder()
    client = twin.client(rec, api_token=None)
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert field_map(rec.form())["api_token"] == b"env-token"


def test_missing_token_points_at_dashboard(twin: Twin) -> None:
    with pytest.raises(ValueError, match=r"dashboard\.audd\.io"):
        twin.client_class()


@pytest.mark.parametrize("token", ["", "   ", "\t\n"])
def test_whitespace_token_is_rejected(twin: Twin, token: str) -> None:
    with pytest.raises(ValueError, match="dashboard"):
        twin.client_class(token)


def test_whitespace_env_token_is_rejected(twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDD_API_TOKEN", "  ")
    with pytest.raises(ValueError, match="dashboard"):
        twin.client_class()


def test_negative_max_retries_is_rejected(twin: Twin) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        twin.client_class("t", max_retries=-1)


@pytest.mark.parametrize("bad", [1.5, "3", True])
def test_non_integer_max_retries_is_rejected(twin: Twin, bad: object) -> None:
    with pytest.raises(ValueError, match="max_retries"):
        twin.client_class("t", max_retries=bad)


def test_negative_backoff_is_rejected(twin: Twin) -> None:
    with pytest.raises(ValueError, match="backoff_factor"):
        twin.client_class("t", backoff_factor=-0.1)


def test_wrong_httpx_client_type_is_rejected(twin: Twin) -> None:
    other = httpx.Client() if twin.is_async else httpx.AsyncClient()
    with pytest.raises(TypeError, match="httpx"):
        twin.client_class("t", httpx_client=other)
    if twin.is_async:
        assert isinstance(other, httpx.Client)
        other.close()


def test_base_urls_default_to_audd_hosts(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec)
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert str(rec.last.url) == "https://api.audd.io/"
    rec.replies = [ok(load_fixture("enterprise_with_isrc_upc"))]
    twin.run(client.recognize_enterprise("https://example.com/a.mp3", limit=1))
    assert str(rec.last.url) == "https://enterprise.audd.io/"


def test_base_urls_from_arguments(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(
        rec, base_url="http://127.0.0.1:9/", enterprise_base_url="http://127.0.0.1:8"
    )
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert str(rec.last.url) == "http://127.0.0.1:9/"
    rec.replies = [ok({"status": "success", "result": []})]
    twin.run(client.recognize_enterprise("https://example.com/a.mp3", limit=1))
    assert str(rec.last.url) == "http://127.0.0.1:8/"


def test_base_urls_from_environment(twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDD_BASE_URL", "http://localhost:7000")
    monkeypatch.setenv("AUDD_ENTERPRISE_BASE_URL", "http://localhost:7001")
    rec = Recorder()
    client = twin.client(rec)
    twin.run(client.advanced.find_lyrics("hello"))
    assert str(rec.last.url) == "http://localhost:7000/findLyrics/"
    rec.replies = [ok({"status": "success", "result": []})]
    twin.run(client.recognize_enterprise("https://example.com/a.mp3", limit=1))
    assert str(rec.last.url) == "http://localhost:7001/"


def test_invalid_base_url_is_rejected(twin: Twin) -> None:
    with pytest.raises(ValueError, match="base_url"):
        twin.client_class("t", base_url="api.audd.io")


def test_set_api_token_applies_to_next_call(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec, api_token="old")
    twin.run(client.recognize("https://example.com/a.mp3"))
    client.set_api_token("new")
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert field_map(rec.form(0))["api_token"] == b"old"
    assert field_map(rec.form(1))["api_token"] == b"new"


def test_in_flight_call_keeps_old_token_across_retries(twin: Twin) -> None:
    client_box: list[object] = []

    def rotate_then_fail(request: httpx.Request) -> httpx.Response:
        client_box[0].set_api_token("rotated")  # type: ignore[attr-defined]
        return httpx.Response(503, text="busy")

    rec = Recorder(rotate_then_fail, ok({"status": "success", "result": None}))
    client = twin.client(rec, api_token="original")
    client_box.append(client)
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert [field_map(rec.form(i))["api_token"] for i in range(2)] == [b"original"] * 2
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert field_map(rec.form())["api_token"] == b"rotated"


def test_set_api_token_rejects_blank(twin: Twin) -> None:
    client = twin.client(Recorder())
    with pytest.raises(ValueError, match="dashboard"):
        client.set_api_token("  ")


def test_injected_client_is_not_closed(twin: Twin) -> None:
    http = twin.http_client(Recorder())
    client = twin.client_class("t", httpx_client=http)
    twin.close(client)
    assert not http.is_closed
    twin.run(http.aclose() if twin.is_async else http.close())


def test_owned_client_is_closed_by_context_manager(twin: Twin) -> None:
    if twin.is_async:

        async def scenario() -> object:
            async with audd.AsyncAudD("t") as client:
                inner = client._http
            return inner

        inner = twin.run(scenario())
    else:
        with audd.AudD("t") as client:
            inner = client._http
    assert inner.is_closed


def test_user_agent_is_set_on_injected_client(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec)
    twin.run(client.recognize("https://example.com/a.mp3"))
    ua = rec.last.headers["user-agent"]
    assert ua.startswith(f"audd/{audd.__version__} python/")
    assert "(" in ua
    assert ua.endswith(")")


def test_explicit_user_agent_on_injected_client_is_kept(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec, http_kwargs={"headers": {"User-Agent": "my-app/2"}})
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert rec.last.headers["user-agent"] == "my-app/2"


def test_default_timeouts_apply_to_injected_client(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec, http_kwargs={"timeout": 1.0})
    twin.run(client.recognize("https://example.com/a.mp3"))
    assert rec.last.extensions["timeout"] == {
        "connect": 30.0,
        "read": 60.0,
        "write": 60.0,
        "pool": 30.0,
    }
    rec.replies = [ok({"status": "success", "result": []})]
    twin.run(client.recognize_enterprise("https://example.com/a.mp3", limit=1))
    assert rec.last.extensions["timeout"] == {
        "connect": 30.0,
        "read": 3600.0,
        "write": 3600.0,
        "pool": 30.0,
    }


def test_per_call_timeout_overrides_everything(twin: Twin) -> None:
    rec = Recorder()
    client = twin.client(rec)
    twin.run(client.recognize("https://example.com/a.mp3", timeout=10.0))
    assert rec.last.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 10.0
    )
    rec.replies = [ok({"status": "success", "result": []})]
    twin.run(client.recognize_enterprise("https://example.com/a.mp3", limit=1, timeout=5))
    assert rec.last.extensions["timeout"]["read"] == 5.0


@pytest.mark.parametrize("bad", [0, -1, "10"])
def test_invalid_timeout_is_rejected_before_any_request(twin: Twin, bad: object) -> None:
    rec = Recorder()
    client = twin.client(rec)
    with pytest.raises(ValueError, match="timeout"):
        twin.run(client.recognize("https://example.com/a.mp3", timeout=bad))
    assert rec.requests == []


def test_repr_never_shows_the_token(twin: Twin) -> None:
    client = twin.client(Recorder(), api_token="secret-token-123")
    assert "secret-token-123" not in repr(client)


def test_set_api_token_is_thread_safe() -> None:
    import threading

    rec = Recorder()
    twin = Twin("sync")
    client = twin.client(rec, api_token="token-0")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(20):
                client.recognize("https://x.test/a.mp3")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for n in range(1, 50):
        client.set_api_token(f"token-{n}")
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    seen = {field_map(rec.form(i))["api_token"] for i in range(len(rec.requests))}
    assert seen <= {f"token-{n}".encode() for n in range(50)}
    client.recognize("https://x.test/a.mp3")
    assert field_map(rec.form())["api_token"] == b"token-49"


def test_async_client_is_shared_across_tasks() -> None:
    import asyncio

    twin = Twin("async")
    rec = Recorder(ok(load_fixture("recognize_basic")))
    client = twin.client(rec)

    async def scenario() -> list[object]:
        calls = [client.recognize(f"https://x.test/{n}.mp3") for n in range(40)]
        calls += [client.recognize(bytes([n]) * 1000) for n in range(10)]
        return await asyncio.gather(*calls)

    results = twin.run(scenario())
    assert len(results) == 50
    assert all(r.title == "Everybody Wants To Rule The World" for r in results)
    urls = sorted(field_map(rec.form(i)).get("url", b"") for i in range(50))
    assert urls[10:] == sorted(f"https://x.test/{n}.mp3".encode() for n in range(40))

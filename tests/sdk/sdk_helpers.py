"""Helpers for SDK tests: a recording MockTransport handler, form parsing, the twin harness."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON fixture from tests/fixtures (``name`` without ``.json``)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


Reply = httpx.Response | BaseException | Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and plays back queued replies.

    Each reply is an ``httpx.Response``, an exception to raise, or a callable taking the
    request. The last reply repeats when the queue runs out.
    """

    def __init__(self, *replies: Reply) -> None:
        self.replies: list[Reply] = list(replies) or [ok({"status": "success", "result": None})]
        self.requests: list[httpx.Request] = []
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:  # requests and bodies stay aligned when threads share a Recorder
            self.requests.append(request)
            self.bodies.append(request.content)
            reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def form(self, index: int = -1) -> list[tuple[str, str | None, bytes]]:
        """Fields of request ``index`` as ``(name, filename, value)`` in wire order."""
        return parse_form(self.requests[index], self.bodies[index])


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    """A JSON response."""
    return httpx.Response(status, json=body, headers=headers)


def parse_form(request: httpx.Request, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """Decode a urlencoded or multipart body into ``(name, filename, value)`` tuples."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("application/x-www-form-urlencoded"):
        from urllib.parse import parse_qsl

        return [(k, None, v.encode()) for k, v in parse_qsl(body.decode(), keep_blank_values=True)]
    assert ctype.startswith("multipart/form-data; boundary="), ctype
    boundary = ctype.split("boundary=", 1)[1].encode()
    fields: list[tuple[str, str | None, bytes]] = []
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, value = part[2:].partition(b"\r\n\r\n")
        value = value[:-2]  # the CRLF before the next boundary
        disposition = head.decode().split("\r\n")[0]
        params = dict(
            item.strip().split("=", 1) for item in disposition.split(";")[1:] if "=" in item
        )
        name = params["name"].strip('"')
        filename = params["filename"].strip('"') if "filename" in params else None
        fields.append((name, filename, value))
    return fields


def field_map(fields: list[tuple[str, str | None, bytes]]) -> dict[str, bytes]:
    return {name: value for name, _, value in fields}


class Twin:
    """Builds `AudD` or `AsyncAudD` over a MockTransport and runs calls on either."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.is_async = kind == "async"
        self.sleeps: list[float] = []

    @property
    def client_class(self) -> type:
        from audd import AsyncAudD, AudD

        return AsyncAudD if self.is_async else AudD

    def http_client(self, handler: Callable[..., Any] | httpx.BaseTransport, **kwargs: Any) -> Any:
        transport: Any = (
            handler
            if isinstance(handler, (httpx.BaseTransport, httpx.AsyncBaseTransport))
            else httpx.MockTransport(handler)
        )
        cls = httpx.AsyncClient if self.is_async else httpx.Client
        return cls(transport=transport, **kwargs)

    def client(
        self,
        handler: Callable[..., Any] | Any,
        *,
        api_token: str | None = "test-token",
        http_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A client over ``handler`` (a Recorder, a callable or a transport); sleeps recorded."""
        http = self.http_client(handler, **(http_kwargs or {}))
        client = self.client_class(api_token, httpx_client=http, **kwargs)
        sleeps = self.sleeps
        if self.is_async:

            async def fake_async_sleep(delay: float) -> None:
                sleeps.append(delay)

            client._sleep = fake_async_sleep
        else:
            client._sleep = sleeps.append
        client._random = lambda: 0.5  # jitter factor exactly 1.0
        return client

    def run(self, value: Any) -> Any:
        """The value of a sync call, or the awaited value of an async one."""
        if inspect.isawaitable(value):

            async def runner() -> Any:
                return await value

            return asyncio.run(runner())
        return value

    def close(self, client: Any) -> None:
        self.run(client.aclose() if self.is_async else client.close())

"""Fixtures for the server tests: a populated data dir (built once, copied per test), a
Starlette TestClient over it, a uvicorn `live_server`, and OpenAPI schema validation."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012 as _SPEC
from starlette.exceptions import StarletteDeprecationWarning

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server_fixtures import (  # noqa: F401  (pytest fixtures re-exported for this directory)
    clip_bytes,
    data_dir,
    live_server,
    live_server_factory,
    template_dir,
    track_ids,
)

from audd_server.api import create_app
from audd_server.config import Settings

with warnings.catch_warnings():
    # starlette.testclient warns that plain httpx is deprecated in favour of httpx2.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

OPENAPI_PATH = Path(__file__).resolve().parents[1] / "openapi.yaml"


class OpenAPI:
    """Validate bodies against `components/schemas/<Name>` of tests/openapi.yaml."""

    def __init__(self, path: Path) -> None:
        self.doc = yaml.safe_load(path.read_text())
        resource = Resource.from_contents(self.doc, default_specification=_SPEC)
        self.registry: Registry[Any] = Registry().with_resource("openapi.yaml", resource)

    def validate(self, body: Any, schema: str) -> None:
        ref = {"$ref": f"openapi.yaml#/components/schemas/{schema}"}
        Draft202012Validator(ref, registry=self.registry).validate(body)

    def validate_error(self, body: Any, code: int | None = None) -> None:
        self.validate(body, "ErrorResponse")
        if code is not None:
            assert body["error"]["error_code"] == code, body


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return OpenAPI(OPENAPI_PATH)


MEDIA_HOST = "http://media.test"


def media_handler(request: httpx.Request) -> httpx.Response:
    """Fake internet for `url=` sources: /clip/<seed>/<start>/<length>.<fmt>, /page.html,
    /missing, /empty.mp3, /big.mp3 (11 MB)."""
    path = request.url.path
    if path.startswith("/clip/"):
        seed, start, rest = path.removeprefix("/clip/").split("/")
        length, fmt = rest.rsplit(".", 1)
        body = clip_bytes(int(seed), float(start), float(length), fmt=fmt)
        return httpx.Response(200, content=body, headers={"content-type": "audio/" + fmt})
    if path == "/page.html":
        return httpx.Response(200, text="<html></html>", headers={"content-type": "text/html"})
    if path == "/empty.mp3":
        return httpx.Response(200, content=b"", headers={"content-type": "audio/mpeg"})
    if path == "/big.mp3":
        return httpx.Response(200, content=b"\0" * (11 * 1024 * 1024))
    if path == "/notaudio.mp3":
        return httpx.Response(200, content=b"this is not audio" * 100)
    if path == "/down":
        raise httpx.ConnectError("connection refused", request=request)
    return httpx.Response(404, text="not found")


class ClientFactory:
    """Opens TestClients (lifespan started) over a data dir; `close(c)` = server shutdown."""

    def __init__(self, path: Path) -> None:
        self.data_dir = path
        self.opened: list[Any] = []

    def __call__(
        self,
        path: Path | None = None,
        *,
        start_streams: bool = False,
        supervisor_factory: Callable[..., Any] | None = None,
        **settings: Any,
    ) -> Any:
        app = create_app(
            Settings(data_dir=path or self.data_dir, **settings),
            fetch_transport=httpx.MockTransport(media_handler),
            start_streams=start_streams or supervisor_factory is not None,
            supervisor_factory=supervisor_factory,
        )
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        self.opened.append(client)
        return client

    def close(self, client: Any) -> None:
        self.opened.remove(client)
        client.__exit__(None, None, None)


@pytest.fixture
def make_client(data_dir: Path) -> Iterator[ClientFactory]:
    factory = ClientFactory(data_dir)
    yield factory
    for client in reversed(factory.opened):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> Any:
    return make_client()

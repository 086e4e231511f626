"""`streams.handle_callback` with real request objects from FastAPI, Starlette, Flask, Django
and aiohttp."""

from __future__ import annotations

import asyncio
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import StarletteDeprecationWarning

from audd import AsyncAudD, AudD

with warnings.catch_warnings():
    # starlette.testclient warns that plain httpx is deprecated in favour of httpx2.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RESULT = (FIXTURES / "streams_callback_with_result.json").read_bytes()
NOTIFICATION = (FIXTURES / "streams_callback_with_notification.json").read_bytes()


def summary(match: Any, notification: Any) -> dict[str, Any]:
    if match is not None:
        return {"kind": "match", "radio_id": match.radio_id, "title": match.song.title}
    return {"kind": "notification", "code": notification.notification_code}


EXPECTED_RESULT = {"kind": "match", "radio_id": 7, "title": "Live Fast (PUBGM)"}
EXPECTED_NOTIFICATION = {"kind": "notification", "code": 650}


@pytest.mark.parametrize(
    ("body", "expected"), [(RESULT, EXPECTED_RESULT), (NOTIFICATION, EXPECTED_NOTIFICATION)]
)
def test_fastapi_request(body: bytes, expected: dict[str, Any]) -> None:
    app = FastAPI()
    audd = AsyncAudD("test-token")

    @app.post("/audd-callback")
    async def audd_callback(request: Request) -> JSONResponse:
        match, notif = await audd.streams.handle_callback(request)
        return JSONResponse(summary(match, notif))

    with TestClient(app) as client:
        response = client.post(
            "/audd-callback", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200
    assert response.json() == expected


def test_starlette_request() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route

    audd = AsyncAudD("test-token")

    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse(summary(*await audd.streams.handle_callback(request)))

    app = Starlette(routes=[Route("/cb", endpoint, methods=["POST"])])
    with TestClient(app) as client:
        assert client.post("/cb", content=RESULT).json() == EXPECTED_RESULT


def test_starlette_request_with_malformed_body_is_serialization_error() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route

    from audd import AudDSerializationError

    audd = AsyncAudD("test-token")

    async def endpoint(request: Request) -> JSONResponse:
        try:
            await audd.streams.handle_callback(request)
        except AudDSerializationError as exc:
            return JSONResponse({"raw": exc.raw_text}, status_code=400)
        return JSONResponse({})

    app = Starlette(routes=[Route("/cb", endpoint, methods=["POST"])])
    with TestClient(app) as client:
        response = client.post("/cb", content=b'{"unexpected": 1}')
    assert response.status_code == 400
    assert response.json() == {"raw": '{"unexpected": 1}'}


@pytest.mark.parametrize("use_async", [False, True], ids=["AudD", "AsyncAudD"])
def test_flask_request(use_async: bool) -> None:
    from flask import Flask, jsonify, request

    app = Flask(__name__)

    @app.post("/audd-callback")
    def audd_callback() -> Any:
        if use_async:
            result = asyncio.run(AsyncAudD("test-token").streams.handle_callback(request))
        else:
            with AudD("test-token") as audd:
                result = audd.streams.handle_callback(request)
        return jsonify(summary(*result))

    client = app.test_client()
    response = client.post("/audd-callback", data=RESULT, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == EXPECTED_RESULT
    response = client.post("/audd-callback", data=NOTIFICATION, content_type="text/plain")
    assert response.get_json() == EXPECTED_NOTIFICATION


@pytest.fixture(scope="module")
def django_settings() -> None:
    from django.conf import settings  # type: ignore[import-untyped]

    if not settings.configured:
        settings.configure(
            DEBUG=True,
            ALLOWED_HOSTS=["*"],
            SECRET_KEY="tests-only",
            USE_TZ=True,
            DEFAULT_CHARSET="utf-8",
        )


@pytest.mark.usefixtures("django_settings")
@pytest.mark.parametrize(
    ("body", "expected"), [(RESULT, EXPECTED_RESULT), (NOTIFICATION, EXPECTED_NOTIFICATION)]
)
def test_django_request(body: bytes, expected: dict[str, Any]) -> None:
    from django.test import RequestFactory  # type: ignore[import-untyped]

    request = RequestFactory().post("/audd-callback", data=body, content_type="application/json")
    with AudD("test-token") as audd:
        assert summary(*audd.streams.handle_callback(request)) == expected

    request = RequestFactory().post("/audd-callback", data=body, content_type="application/json")
    result = asyncio.run(AsyncAudD("test-token").streams.handle_callback(request))
    assert summary(*result) == expected


def test_aiohttp_request_on_a_loopback_server() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    audd = AsyncAudD("test-token")

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(summary(*await audd.streams.handle_callback(request)))

    async def scenario() -> list[Any]:
        app = web.Application()
        app.router.add_post("/audd-callback", handler)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            results = []
            for body in (RESULT, NOTIFICATION):
                response = await client.post("/audd-callback", data=body)
                assert response.status == 200
                results.append(await response.json())
            return results

    assert asyncio.run(scenario()) == [EXPECTED_RESULT, EXPECTED_NOTIFICATION]


def test_aiohttp_mocked_request() -> None:
    from unittest import mock

    from aiohttp import streams
    from aiohttp.test_utils import make_mocked_request

    async def scenario() -> Any:
        protocol = mock.Mock(_reading_paused=False)
        payload = streams.StreamReader(protocol, limit=2**16, loop=asyncio.get_running_loop())
        payload.feed_data(RESULT)
        payload.feed_eof()
        request = make_mocked_request("POST", "/audd-callback", payload=payload)
        return await AsyncAudD("test-token").streams.handle_callback(request)

    assert summary(*asyncio.run(scenario())) == EXPECTED_RESULT


def test_plain_dict_from_a_queue_replay() -> None:
    with AudD("test-token") as audd:
        match, notification = audd.streams.handle_callback(json.loads(RESULT))
    assert summary(match, notification) == EXPECTED_RESULT

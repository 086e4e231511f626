"""The Starlette app: every AudD endpoint on one port, enterprise under `/enterprise/`.

`create_app(settings)` opens the data directory in its lifespan (database, index, event log),
starts the live-stream supervisor and an HTTP client for `url=` downloads; shutdown reverses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from audd_server.api import catalog, enterprise, lyrics, recognize, streams
from audd_server.api._common import (
    ApiError,
    Call,
    RequestIdMiddleware,
    endpoint,
    internal_error_response,
)
from audd_server.config import Settings
from audd_server.context import ServerContext

_API_METHODS: list[tuple[str, Any]] = [
    ("setCallbackUrl", streams.set_callback_url),
    ("getCallbackUrl", streams.get_callback_url),
    ("addStream", streams.add_stream),
    ("setStreamUrl", streams.set_stream_url),
    ("deleteStream", streams.delete_stream),
    ("getStreams", streams.get_streams),
    ("upload", catalog.upload),
    ("findLyrics", lyrics.find_lyrics),
]


@endpoint("unknown")
async def _unknown_method(call: Call) -> Any:
    # The real service answers unknown methods with an API error, not an HTTP 404 page.
    name = call.request.path_params.get("method", "")
    raise ApiError(100, f"unknown API method {name!r}; see https://docs.audd.io")


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/", recognize.recognize, methods=["GET", "POST"]),
        Route("/enterprise/", enterprise.recognize_enterprise, methods=["POST"]),
        Route("/enterprise", enterprise.recognize_enterprise, methods=["POST"]),
        Route("/longpoll/", streams.longpoll, methods=["GET"]),
        Route("/longpoll", streams.longpoll, methods=["GET"]),
        Route("/song/{track_id}", catalog.song_page, methods=["GET"]),
    ]
    for name, handler in _API_METHODS:
        # Both with and without the trailing slash: a redirect would drop a POST body.
        routes.append(Route(f"/{name}/", handler, methods=["GET", "POST"]))
        routes.append(Route(f"/{name}", handler, methods=["GET", "POST"]))
    routes.append(Route("/{method}/", _unknown_method, methods=["GET", "POST"]))
    routes.append(Route("/{method}", _unknown_method, methods=["GET", "POST"]))
    return routes


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Outermost last resort (a failure in the middleware itself); `RequestIdMiddleware` answers
    # everything below it, with the request id.
    return internal_error_response(request.scope)


def create_app(
    settings: Settings,
    *,
    fetch_transport: httpx.AsyncBaseTransport | None = None,
    start_streams: bool = True,
    supervisor_factory: Callable[[ServerContext], Any] | None = None,
) -> Starlette:
    """Build the app. `fetch_transport` replaces the network for `url=` downloads (tests);
    `start_streams=False` leaves the live-stream supervisor out; `supervisor_factory` replaces
    `StreamSupervisor` (tests)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx = ServerContext.open(settings)
        app.state.ctx = ctx
        http = httpx.AsyncClient(
            transport=fetch_transport,
            follow_redirects=True,
            timeout=httpx.Timeout(settings.fetch_timeout),
            headers={"user-agent": "audd-server (url fetch)"},
        )
        app.state.http = http
        supervisor = None
        try:
            if start_streams:
                if supervisor_factory is None:
                    from audd_server.streams import StreamSupervisor

                    supervisor = StreamSupervisor(ctx)
                else:
                    supervisor = supervisor_factory(ctx)
                ctx.supervisor = supervisor
                await supervisor.start()
            yield
        finally:
            try:
                if supervisor is not None:
                    await supervisor.stop()
            finally:
                ctx.supervisor = None
                await http.aclose()
                ctx.close()

    return Starlette(
        routes=_routes(),
        middleware=[Middleware(RequestIdMiddleware)],
        exception_handlers={Exception: _internal_error},
        lifespan=lifespan,
    )

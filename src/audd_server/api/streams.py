"""Stream management (`/setCallbackUrl/` … `/deleteStream/`) and `GET /longpoll/`."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from audd_server.api._common import INVALID_PARAM, ApiError, Call, endpoint, json_response
from audd_server.context import ServerContext
from audd_server.store import Account

MSG_NO_CALLBACK = "Getting the URL for callbacks failed: Internal error."
MSG_STREAM_LIMIT = (
    "authorization failed: the limit was reached. (Please check if you have an active "
    "subscription for music recognition for audio streams on https://dashboard.audd.io/ or "
    "contact us to try it for free: api@audd.io)"
)
LONGPOLL_DEFAULT_TIMEOUT = 50
LONGPOLL_MAX_TIMEOUT = 90
# Stream URL shortcuts the service understands besides direct http(s) URLs.
STREAM_SCHEMES = ("http", "https", "twitch", "youtube", "youtube-ch")


def _check_stream_url(call: Call, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "file" or (not parts.scheme and url.startswith("/")):
        if call.ctx.settings.allow_local_streams:
            return
        raise ApiError(
            600,
            "local files are not accepted as stream URLs "
            "(start the server with --allow-local-streams).",
        )
    if parts.scheme not in STREAM_SCHEMES or not (parts.netloc or parts.path):
        raise ApiError(600, "the stream URL is not a valid http(s) URL or shortcut.")


async def _notify(ctx: ServerContext, what: str, account: Account, radio_id: int) -> None:
    supervisor = ctx.supervisor
    if supervisor is None:
        return
    hook = getattr(supervisor, f"stream_{what}")
    await hook(account.id, radio_id)


@endpoint("setCallbackUrl")
async def set_callback_url(call: Call) -> Any:
    """Store where stream callbacks are POSTed (with any `?return=` kept in the URL)."""
    account = call.authenticate()
    url = call.require("url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(600, "the callback URL is not a valid http(s) URL.")
    call.ctx.accounts.set_callback_url(account.id, url)
    return None


@endpoint("getCallbackUrl")
async def get_callback_url(call: Call) -> Any:
    account = call.authenticate()
    if not account.callback_url:
        raise ApiError(19, MSG_NO_CALLBACK, full_message=True)
    return account.callback_url


@endpoint("addStream")
async def add_stream(call: Call) -> Any:
    account = call.authenticate()
    radio_id = call.get_int("radio_id")
    url = call.require("url")
    _check_stream_url(call, url)
    callbacks = call.get("callbacks")
    if callbacks is not None and callbacks != "before":
        raise ApiError(INVALID_PARAM, "the `callbacks` parameter can only be `before`.")
    store = call.ctx.streams
    exists = store.get(account.id, radio_id) is not None
    if not exists and store.count(account.id) >= account.stream_slots:
        raise ApiError(902, MSG_STREAM_LIMIT)
    store.add(account.id, radio_id, url, callbacks_before=callbacks == "before")
    await _notify(call.ctx, "updated" if exists else "added", account, radio_id)
    return None


@endpoint("setStreamUrl")
async def set_stream_url(call: Call) -> Any:
    account = call.authenticate()
    radio_id = call.get_int("radio_id")
    url = call.require("url")
    _check_stream_url(call, url)
    if not call.ctx.streams.set_url(account.id, radio_id, url):
        raise ApiError(INVALID_PARAM, f"there is no stream with radio_id {radio_id}.")
    await _notify(call.ctx, "updated", account, radio_id)
    return None


@endpoint("deleteStream")
async def delete_stream(call: Call) -> Any:
    account = call.authenticate()
    radio_id = call.get_int("radio_id")
    if not call.ctx.streams.delete(account.id, radio_id):
        raise ApiError(INVALID_PARAM, f"there is no stream with radio_id {radio_id}.")
    await _notify(call.ctx, "deleted", account, radio_id)
    return None


@endpoint("getStreams")
async def get_streams(call: Call) -> Any:
    account = call.authenticate()
    return [s.to_api() for s in call.ctx.streams.list(account.id)]


def _int_or(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


async def _wait_disconnect(request: Request) -> None:
    """Return once the client has gone away."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def longpoll(request: Request) -> Response:
    """Hold until an event newer than `since_time` exists in `category`, or `timeout` passes.

    No token: the category itself is the capability. A client disconnect cancels the wait, which
    removes its waiter from the event log.
    """
    ctx: ServerContext = request.app.state.ctx
    q = request.query_params
    category = (q.get("category") or "").strip()
    timeout = min(max(_int_or(q.get("timeout"), LONGPOLL_DEFAULT_TIMEOUT), 1), LONGPOLL_MAX_TIMEOUT)
    since_raw = q.get("since_time")
    since = _int_or(since_raw, -1) if since_raw else -1
    if since < 0:
        since = ctx.events.now()
    if not category:
        return JSONResponse({"timeout": "no events before timeout", "timestamp": ctx.events.now()})
    waiter = asyncio.ensure_future(ctx.events.wait(category, since, float(timeout)))
    watcher = asyncio.ensure_future(_wait_disconnect(request))
    try:
        done, _ = await asyncio.wait({waiter, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, watcher):
            task.cancel()
        await asyncio.gather(waiter, watcher, return_exceptions=True)
    if waiter not in done:  # the client went away: nobody to answer
        return Response(status_code=499)
    events = waiter.result()
    if not events:
        return json_response({"timeout": "no events before timeout", "timestamp": ctx.events.now()})
    ts, body = events[0]
    return json_response({**body, "timestamp": ts})

"""`POST /upload/` (custom catalog) and the `song_link` page `GET /song/<id>`."""

from __future__ import annotations

import html
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from audd_server.api._common import ApiError, Call, endpoint
from audd_server.api._source import open_source
from audd_server.context import ServerContext
from audd_server.engine import AudioDecodeError
from audd_server.store.ingest import upload_custom

MSG_NO_CUSTOM = (
    "authorization failed: the custom catalog is not enabled for this api_token. Contact us to "
    "enable it: api@audd.io"
)
# Custom-catalog songs are full tracks: accept up to this many bytes.
UPLOAD_MAX_BYTES = 512 * 1024 * 1024


@endpoint("upload")
async def upload(call: Call) -> Any:
    """Fingerprint a song into the caller's custom catalog under `audio_id`."""
    account = call.authenticate()
    if not account.custom_catalog:
        raise ApiError(904, MSG_NO_CUSTOM)
    audio_id = call.get_int("audio_id", minimum=0)
    async with open_source(call, max_bytes=UPLOAD_MAX_BYTES) as source:
        try:
            await run_in_threadpool(upload_custom, call.ctx, account.id, audio_id, source)
        except AudioDecodeError as exc:
            raise ApiError(500, f"the file is not a readable audio file ({exc}).") from None
    return None


async def song_page(request: Request) -> Response:
    """What a local `song_link` points at: the track's metadata (JSON with `?format=json`)."""
    ctx: ServerContext = request.app.state.ctx
    try:
        track_id = int(request.path_params["track_id"])
    except ValueError:
        return HTMLResponse("Not Found", status_code=404)
    track = ctx.catalog.get(track_id)
    if track is None or track.is_custom:
        return HTMLResponse("Not Found", status_code=404)
    song = ctx.song(track)
    if request.query_params.get("format") == "json":
        return JSONResponse(song)
    title = html.escape(f"{song.get('artist') or 'Unknown artist'} — {song.get('title') or ''}")
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
        for k, v in song.items()
        if k != "song_link"
    )
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1><table>{rows}</table></body></html>"
    )
    return HTMLResponse(body)

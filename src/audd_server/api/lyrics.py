"""`POST /findLyrics/`: full-text search (SQLite FTS5) over lyrics stored with catalog tracks."""

from __future__ import annotations

from typing import Any

from audd_server.api._common import ApiError, Call, endpoint

MAX_RESULTS = 10


@endpoint("findLyrics")
async def find_lyrics(call: Call) -> Any:
    account = call.authenticate()
    if not account.standard:
        raise ApiError(904, "this api_token's plan does not include lyrics search.")
    q = call.require("q")
    call.check_quota()
    base = call.ctx.settings.base_url
    hits = call.ctx.catalog.find_lyrics(q, limit=MAX_RESULTS)
    call.charge()
    out: list[dict[str, Any]] = []
    for track in hits:
        artist, title = track.artist or "", track.title or ""
        item: dict[str, Any] = {
            "song_id": track.id,
            "artist": artist,
            "title": title,
            "full_title": f"{title} by {artist}" if artist else title,
            "lyrics": track.lyrics or "",
            "song_link": track.link(base),
        }
        out.append(item)
    return out

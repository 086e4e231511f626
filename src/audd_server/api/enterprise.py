"""`POST /enterprise/`: recognize long files in 12-second chunks.

The upload is spooled to disk by the multipart parser and decoded as a stream (engine.iter_audio),
one chunk at a time in a worker thread, so memory does not grow with the file's length.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from audd_server.api._common import (
    MSG_LIMIT,
    ApiError,
    Call,
    endpoint,
    execution_time,
    json_response,
)
from audd_server.api._source import Source, open_source
from audd_server.api.recognize import SILENCE_PEAK, hhmmss, mmss
from audd_server.context import ServerContext
from audd_server.engine import SAMPLE_RATE, AudioDecodeError, iter_audio
from audd_server.store import Account, parse_return

MSG_URL_UNPAID = (
    "Music Recognition by URL on our enterprise endpoint is only available to paid users. If "
    "you're currently subscribed to one of our plans, please double-check the api_token "
    "parameter.Otherwise, please send a file by POST instead of the file URL or subscribe to one "
    "of our plans."
)
MSG_NOT_IN_PLAN = (
    "Recognition on the enterprise endpoint is not included in this api_token's plan. Please "
    "check the api_token parameter or contact us: api@audd.io"
)
# Providers the enterprise endpoint can return (Spotify is not supported there).
ENTERPRISE_PROVIDERS = ("apple_music", "deezer", "napster", "musicbrainz")
CSV_COLUMNS = (
    "offset", "score", "artist", "title", "album", "release_date", "label", "timecode",
    "isrc", "upc", "song_link", "audio_id", "start_offset", "end_offset",
)  # fmt: skip
# Score gap within which a weaker match of the same chunk is still reported.
ALTERNATIVE_MARGIN = 10
# Partial chunks shorter than this at the end of a file are not scanned.
MIN_CHUNK_SECONDS = 2.0


def parse_timecode(value: str) -> int | None:
    """`90`, `90s`, `1m30s`, `1h2m3s` or `01:30` → seconds."""
    value = value.strip().lower()
    if value.isdigit():
        return int(value)
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", value)
    if m and any(m.groups()):
        h, mi, s = (int(g) if g else 0 for g in m.groups())
        return h * 3600 + mi * 60 + s
    parts = value.split(":")
    if 1 < len(parts) <= 3 and all(p.isdigit() for p in parts):
        total = 0
        for p in parts:
            total = total * 60 + int(p)
        return total
    return None


def url_timecode(url: str) -> int | None:
    query = parse_qs(urlsplit(url).query)
    fragment = parse_qs(urlsplit(url).fragment)
    for key in ("t", "time_continue", "start"):
        for source in (query, fragment):
            if key in source:
                seconds = parse_timecode(source[key][0])
                if seconds is not None:
                    return seconds
    return None


class _Plan:
    """Which chunks to scan: `every` consecutive chunks, then `skip` chunks, up to `limit`."""

    def __init__(self, skip: int, every: int, limit: int | None) -> None:
        self.skip, self.every, self.limit = skip, every, limit
        self.scanned = 0

    def wants(self, chunk_index: int) -> bool:
        if self.limit is not None and self.scanned >= self.limit:
            return False
        return chunk_index % (self.every + self.skip) < self.every

    def done(self) -> bool:
        return self.limit is not None and self.scanned >= self.limit


def scan(
    ctx: ServerContext,
    account: Account,
    source: Source,
    *,
    start: float,
    plan: _Plan,
    providers: list[str],
    accurate: bool,
) -> list[dict[str, Any]]:
    """Blocking: decode chunk by chunk and recognize the scheduled ones."""
    if not isinstance(source, Path):
        source.seek(0)
    chunk_s = ctx.settings.enterprise_chunk_seconds
    out: list[dict[str, Any]] = []
    try:
        for i, samples in enumerate(iter_audio(source, block_seconds=chunk_s, start=start)):
            if plan.done():
                break
            if not plan.wants(i) or samples.size < MIN_CHUNK_SECONDS * SAMPLE_RATE:
                continue
            # Each scanned chunk is billed as one request, as on the real service.
            if not ctx.accounts.charge(account, 1):
                if plan.scanned == 0:
                    raise ApiError(902, MSG_LIMIT)
                break
            plan.scanned += 1
            if float(abs(samples).max()) < SILENCE_PEAK:
                continue
            songs = chunk_songs(ctx, account, samples, providers, accurate)
            if songs:
                out.append({"songs": songs, "offset": hhmmss(start + i * chunk_s)})
    except AudioDecodeError as exc:
        if plan.scanned == 0 and not out:
            raise ApiError(500, f"the file is not a readable audio file ({exc}).") from None
        # A file damaged past some point: keep what was recognized before it.
    if plan.scanned == 0:
        raise ApiError(300, "the audio is too short to be fingerprinted.")
    return out


def chunk_songs(
    ctx: ServerContext,
    account: Account,
    samples: Any,
    providers: list[str],
    accurate: bool,
) -> list[dict[str, Any]]:
    songs: list[dict[str, Any]] = []
    seen: set[int] = set()
    matches = ctx.match(samples, account, limit=3)
    top = matches[0].score if matches else 0
    for match in matches:
        # Competing candidates are listed only when nearly as strong as the best one.
        if match.score < top - ALTERNATIVE_MARGIN:
            continue
        track = ctx.track(match.track_id)
        if track is None or track.id in seen:
            continue
        seen.add(track.id)
        song: dict[str, Any] = {"score": int(match.score)}
        if track.audio_id is not None:
            song["timecode"] = mmss(match.track_offset)
            song["audio_id"] = track.audio_id
        else:
            body = ctx.song(track, providers=providers, isrc_upc=True)
            link = body.pop("song_link")
            extra = {k: body.pop(k) for k in list(body) if k in ENTERPRISE_PROVIDERS}
            isrc_upc: dict[str, Any] = {k: body.pop(k) for k in ("isrc", "upc") if k in body}
            song.update(body)
            song["timecode"] = mmss(match.track_offset)
            song.update(isrc_upc)
            song["song_link"] = link
            song.update(extra)
        if accurate:
            song["start_offset"] = round(match.query_start * 1000)
            song["end_offset"] = round(match.query_end * 1000)
        songs.append(song)
    return songs


def to_csv(chunks: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for chunk in chunks:
        for song in chunk["songs"]:
            row = {**song, "offset": chunk["offset"]}
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    return buf.getvalue()


@endpoint("recognize", enterprise=True)
async def recognize_enterprise(call: Call) -> Any:
    """Recognize every scheduled 12-second chunk of a long file."""
    account = call.authenticate()
    url = call.get("url")
    has_file = call.file is not None and call.file.size != 0
    if not has_file and url is not None and not account.enterprise_url:
        raise ApiError(904, MSG_URL_UNPAID, full_message=True)
    if not account.enterprise:
        raise ApiError(904, MSG_NOT_IN_PLAN, full_message=True)
    skip = call.get_int("skip", default=0, minimum=0)
    every = call.get_int("every", default=1, minimum=1)
    limit = call.get_int("limit", default=-1)
    if limit < -1:
        raise ApiError(50, "the `limit` parameter must not be negative.")
    start = float(call.get_int("skip_first_seconds", default=0, minimum=0))
    if call.get_bool("use_timecode") and url is not None:
        start = float(url_timecode(url) or 0)
    accurate = call.get_bool("accurate_offsets")
    providers = [p for p in parse_return(call.get("return")) if p in ENTERPRISE_PROVIDERS]
    call.check_quota()
    plan = _Plan(skip, every, None if limit == -1 else limit)
    if plan.limit == 0:
        chunks: list[dict[str, Any]] = []
    else:
        async with open_source(call, max_bytes=call.ctx.settings.enterprise_max_bytes) as source:
            chunks = await run_in_threadpool(
                scan,
                call.ctx,
                account,
                source,
                start=start,
                plan=plan,
                providers=providers,
                accurate=accurate,
            )
    if (call.get("response_type") or "").lower() == "csv":
        return Response(to_csv(chunks), media_type="text/csv")
    return json_response(
        {"status": "success", "result": chunks, "execution_time": execution_time(call)}
    )

"""`POST/GET /`: recognize a short clip (≤ 10 MB, first 25 s analysed) against the public
catalog and the caller's custom catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from starlette.concurrency import run_in_threadpool

from audd_server.api._common import ApiError, Call, endpoint
from audd_server.api._source import Source, open_source
from audd_server.context import ServerContext
from audd_server.engine import SAMPLE_RATE, AudioDecodeError, Match, decode_audio
from audd_server.store import Account, parse_return

# Shorter or quieter audio cannot be fingerprinted reliably (code 300).
MIN_SECONDS = 1.0
SILENCE_PEAK = 1e-4


def mmss(seconds: float) -> str:
    """`MM:SS`, seconds rounded (minutes keep counting past an hour)."""
    total = max(0, round(seconds))
    return f"{total // 60:02d}:{total % 60:02d}"


def hhmmss(seconds: float) -> str:
    """Enterprise chunk offsets: `MM:SS`, or `HH:MM:SS` from one hour on."""
    total = max(0, int(seconds))
    if total >= 3600:
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
    return mmss(total)


def check_fingerprintable(samples: np.ndarray) -> None:
    if samples.size < MIN_SECONDS * SAMPLE_RATE:
        raise ApiError(
            300, "the audio is too short to be fingerprinted: send at least a few seconds."
        )
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise ApiError(300, "the audio could not be fingerprinted: it is silent.")


def decode(source: Source, *, duration: float | None, start: float = 0.0) -> np.ndarray:
    """Decode (blocking) with decoding failures mapped to code 500."""
    if not isinstance(source, Path):
        source.seek(0)
    try:
        return decode_audio(source, start=start, duration=duration)
    except AudioDecodeError as exc:
        raise ApiError(500, f"the file is not a readable audio file ({exc}).") from None


def result_for(ctx: ServerContext, match: Match, providers: list[str]) -> dict[str, Any] | None:
    """Recognize's `result` for a match: custom slot → {timecode, audio_id}; public → song."""
    track = ctx.track(match.track_id)
    if track is None:  # removed between query and lookup
        return None
    timecode = mmss(match.track_offset)
    if track.audio_id is not None:
        return {"timecode": timecode, "audio_id": track.audio_id}
    song = ctx.song(track, providers=providers)
    # Response order as on the real service: metadata, timecode, song_link, provider blocks.
    out: dict[str, Any] = {}
    for key, value in song.items():
        if key == "song_link":
            out["timecode"] = timecode
        out[key] = value
    return out


def recognize_samples(
    ctx: ServerContext, account: Account, source: Source, providers: list[str]
) -> dict[str, Any] | None:
    samples = decode(source, duration=ctx.settings.recognize_seconds)
    check_fingerprintable(samples)
    for match in ctx.match(samples, account, limit=3):
        result = result_for(ctx, match, providers)
        if result is not None:
            return result
    return None


@endpoint("recognize", max_upload=lambda call: call.ctx.settings.recognize_max_bytes)
async def recognize(call: Call) -> Any:
    """Identify the song in a short clip."""
    account = call.authenticate()
    if not account.standard:
        raise ApiError(904, "this api_token's plan does not include standard recognition.")
    call.check_quota()
    providers = parse_return(call.get("return"))
    settings = call.ctx.settings
    async with open_source(call, max_bytes=settings.recognize_max_bytes) as source:
        result = await run_in_threadpool(recognize_samples, call.ctx, account, source, providers)
    call.charge()
    return result

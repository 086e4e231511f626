"""Wire shapes of stream events (protocol-notes §6) and callback-URL rules (pure).

Result: `{"status":"success","result":{"radio_id","timestamp","play_length"?,"results":[…]}}`;
notification: `{"status":"-","notification":{…},"time":<unix s>}`. Longpoll serves the same
bodies (the event log adds `timestamp`).

A custom-catalog song in `results` is `{"artist","title","score","audio_id","timecode"}`: the
`audio_id`/`timecode` pair of a custom match in recognize, plus the fields every callback song
carries (`artist`/`title` are the stored tags of the uploaded file, "" when it had none), so the
same parser reads public and custom songs; `timecode` is where in the uploaded audio the play began.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from audd_server.store.catalog import PROVIDERS

PLACEHOLDER_CALLBACK_URL = "https://audd.tech/empty/"

NOTIFICATION_MESSAGES: dict[int, str] = {
    0: "Recognition is running normally",
    650: "Recognition failed: can't connect to the audiostream",
    651: "Recognition failed: no music detected in the audiostream",
}


def is_placeholder(url: str | None) -> bool:
    """True for no URL or AudD's longpoll-only placeholder: nothing is POSTed."""
    if not url or not url.strip():
        return True
    parts = urlsplit(url.strip())
    return parts.hostname == "audd.tech" and parts.path.rstrip("/") == "/empty"


def callback_returns(url: str | None) -> list[str]:
    """Provider blocks a callback URL asks for with `?return=a,b` (unknown names dropped)."""
    if not url:
        return []
    out: list[str] = []
    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key != "return":
            continue
        for part in value.split(","):
            name = part.strip().lower()
            if name in PROVIDERS and name not in out:
                out.append(name)
    return out


def format_timecode(seconds: float) -> str:
    """`MM:SS`, or `HH:MM:SS` past an hour, as recognize's `timecode`."""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def format_timestamp(unix: float) -> str:
    """`YYYY-MM-DD HH:MM:SS` in UTC."""
    return dt.datetime.fromtimestamp(unix, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def result_body(
    radio_id: int,
    songs: Sequence[dict[str, Any]],
    *,
    started_at: float,
    play_length: float | None,
) -> dict[str, Any]:
    """Recognition callback: top song first, alternatives after; no `play_length` for `before`."""
    result: dict[str, Any] = {"radio_id": radio_id, "timestamp": format_timestamp(started_at)}
    if play_length is not None:
        result["play_length"] = round(play_length)
    result["results"] = list(songs)
    return {"status": "success", "result": result}


def notification_body(radio_id: int, code: int, *, running: bool, now: float) -> dict[str, Any]:
    """Stream-health callback: 0 healthy again, 650 unreachable, 651 no music."""
    return {
        "status": "-",
        "notification": {
            "radio_id": radio_id,
            "stream_running": running,
            "notification_code": code,
            "notification_message": NOTIFICATION_MESSAGES.get(code, "Notification"),
        },
        "time": int(now),
    }


def with_score(song: dict[str, Any], score: int) -> dict[str, Any]:
    """Insert `score` where the real service puts it: after the tags, before `song_link`."""
    out: dict[str, Any] = {}
    placed = False
    for key, value in song.items():
        if not placed and key not in ("artist", "title", "album", "release_date", "label"):
            out["score"] = score
            placed = True
        out[key] = value
    if not placed:
        out["score"] = score
    return out


def custom_song(
    audio_id: int, score: int, track_position: float, artist: str | None, title: str | None
) -> dict[str, Any]:
    """Callback song for a custom-catalog match (see module docstring)."""
    return {
        "artist": artist or "",
        "title": title or "",
        "score": score,
        "audio_id": audio_id,
        "timecode": format_timecode(track_position),
    }

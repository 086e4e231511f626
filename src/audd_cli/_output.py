"""Text and JSON rendering of SDK models for the terminal."""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import BaseModel


def out(text: str = "") -> None:
    """Print to the current stdout (looked up per call so tests can capture it)."""
    print(text, file=sys.stdout, flush=True)


def err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def jsonable(value: Any) -> Any:
    """Models (and lists/dicts of them) as plain JSON data, unknown server fields included."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=False)
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value


def out_json(value: Any) -> None:
    out(json.dumps(jsonable(value), ensure_ascii=False, indent=2, default=str))


def one_line(text: object) -> str:
    """Collapse whitespace so an error message is always exactly one line."""
    return " ".join(str(text).split())


def clock(seconds: float) -> str:
    """`M:SS.s` below an hour, `H:MM:SS` above: positions inside a file."""
    tenths = max(0, round(seconds * 10))
    if tenths >= 36000:
        whole = tenths // 10
        return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return f"{tenths // 600}:{tenths % 600 // 10:02d}.{tenths % 10}"


def song_title(artist: str | None, title: str | None) -> str:
    if artist and title:
        return f"{artist} — {title}"
    return artist or title or "(untitled)"


def mmss(seconds: float) -> str:
    """Whole seconds as `M:SS`: durations and round positions."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"

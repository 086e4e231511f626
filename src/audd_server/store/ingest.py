"""Adding audio to the catalog: metadata from tags, sidecars and overrides; fingerprinting.

Used by `audd-server catalog add`, by `/upload/` (custom catalog) and by test fixtures.
Blocking (decode + fingerprint): call from a worker thread inside the server.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from audd_server.store.catalog import META_FIELDS, PROVIDERS, Track

if TYPE_CHECKING:
    from audd_server.context import ServerContext

AUDIO_SUFFIXES = {
    ".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wma",
    ".aif", ".aiff", ".webm", ".mka", ".mkv", ".mov",
}  # fmt: skip
# Keys accepted from tags / sidecars / flags; `date` is the tag name of `release_date`.
META_KEYS = (*META_FIELDS, "lyrics", *PROVIDERS)
_ALIASES = {"date": "release_date", "year": "release_date", "song_id": None}


def normalize_meta(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Known keys only, aliases resolved, provider blocks parsed from JSON strings (CSV cells)."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        k = str(key).strip().lower()
        mapped = _ALIASES.get(k, k)
        if mapped is None or mapped not in META_KEYS or value is None or value == "":
            continue
        if mapped in PROVIDERS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        out[mapped] = value
    return out


def load_metadata_table(path: Path) -> dict[str, dict[str, Any]]:
    """`--metadata` file: CSV with a `file`/`filename`/`path` column, or JSON keyed by filename
    (or a list of objects with such a key). Keys are compared by basename as well."""
    rows: list[dict[str, Any]]
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            rows = [{"file": k, **v} for k, v in data.items() if isinstance(v, dict)]
        else:
            rows = [r for r in data if isinstance(r, dict)]
    else:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row.get("file") or row.get("filename") or row.get("path")
        if name:
            table[str(name)] = row
            table.setdefault(Path(str(name)).name, row)
    return table


def sidecar_metadata(path: Path) -> dict[str, Any]:
    """`song.mp3.json` (or `song.json`) next to the file."""
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate.is_file() and candidate != path:
            data = json.loads(candidate.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return data
    return {}


def iter_audio_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; folders walked recursively for audio suffixes, sorted."""
    for p in paths:
        if p.is_dir():
            for child in sorted(p.rglob("*")):
                if child.is_file() and child.suffix.lower() in AUDIO_SUFFIXES:
                    yield child
        else:
            yield p


def gather_metadata(
    path: Path,
    *,
    table: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Tags < sidecar JSON < metadata table row < explicit overrides. Title defaults to the
    file name."""
    from audd_server.engine import read_tags

    meta: dict[str, Any] = {}
    # Untagged or odd containers: metadata is optional.
    with contextlib.suppress(Exception):
        meta.update(normalize_meta(read_tags(path)))
    meta.update(normalize_meta(sidecar_metadata(path)))
    if table:
        row = table.get(str(path)) or table.get(path.name)
        if row:
            meta.update(normalize_meta(row))
    if overrides:
        meta.update(normalize_meta(overrides))
    meta.setdefault("title", path.stem)
    meta.setdefault("artist", "")
    return meta


def add_samples(
    ctx: ServerContext,
    samples: np.ndarray,
    meta: Mapping[str, Any],
    *,
    source: str | None = None,
) -> Track:
    """Add already-decoded audio (mono float32 at engine.SAMPLE_RATE) to the public catalog."""
    track_id = ctx.catalog.add(normalize_meta(meta), source=source)
    return _fingerprint_into(ctx, track_id, samples)


def _fingerprint_into(ctx: ServerContext, track_id: int, samples: np.ndarray) -> Track:
    """Index `samples` under `track_id` and record it; the catalog row goes if indexing fails."""
    from audd_server.engine import SAMPLE_RATE

    try:
        hashes = ctx.index.add(track_id, samples)
    except BaseException:
        ctx.catalog.remove(track_id)
        raise
    ctx.catalog.set_fingerprinted(track_id, hashes, samples.size / SAMPLE_RATE)
    track = ctx.catalog.get(track_id)
    assert track is not None
    return track


def add_file(
    ctx: ServerContext,
    path: Path,
    *,
    table: Mapping[str, Mapping[str, Any]] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Track:
    """Decode, fingerprint and register one file in the public catalog."""
    from audd_server.engine import decode_audio

    meta = gather_metadata(path, table=table, overrides=overrides)
    samples = decode_audio(path)
    return add_samples(ctx, samples, meta, source=str(path))


def upload_custom(
    ctx: ServerContext, account_id: int, audio_id: int, source: Path | BinaryIO
) -> Track:
    """Fingerprint `source` into the account's custom-catalog slot `audio_id` (replacing it)."""
    from audd_server.engine import decode_audio

    samples = decode_audio(source)
    existing = ctx.catalog.custom_slot(account_id, audio_id)
    if existing is not None:
        ctx.index.remove(existing.id)
        track_id = existing.id
    else:
        track_id = ctx.catalog.add({}, account_id=account_id, audio_id=audio_id)
    return _fingerprint_into(ctx, track_id, samples)


def remove_track(ctx: ServerContext, track_id: int) -> bool:
    """Drop a track from the index and the catalog."""
    if ctx.catalog.get(track_id) is None:
        return False
    ctx.index.remove(track_id)
    return ctx.catalog.remove(track_id)

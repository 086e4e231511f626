"""Classifying what the caller passed as audio: a URL, a path, a buffer or a binary file-like.

Pure: no file is opened or stat-ed here; the shells open paths (once per attempt) and rewind
file-likes using the plan built here.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, Union

from audd._core._config import UPLOAD_FILENAME_FALLBACK

__all__ = ["AudioSource", "Source", "SourceKind", "classify_source", "is_url", "upload_filename"]

AudioSource = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]
"""Everything ``recognize()`` accepts as ``source``."""

SourceKind = Literal["path", "bytes", "file"]


@dataclass(frozen=True)
class Source:
    """A non-URL audio source, as the shells need it to build each attempt's body."""

    kind: SourceKind
    """``path`` (reopened per attempt), ``bytes`` (a zero-copy ``memoryview``) or ``file``."""
    value: Any
    """A `pathlib.Path`, a byte-format ``memoryview``, or the caller's file object."""
    filename: str
    """Multipart filename: a basename only, ``upload.bin`` when there is no name."""
    from_str: bool = False
    """The path came from a ``str`` (a missing file is then a ``TypeError``, see `recognize`)."""


def is_url(value: str) -> bool:
    """True for ``http://`` and ``https://`` URLs (the server downloads those itself)."""
    lowered = value[:8].lower()
    return lowered.startswith(("http://", "https://"))


def upload_filename(name: Any) -> str:
    """Basename of a file object's ``name`` (never a full path); ``upload.bin`` otherwise.

    ``os.fdopen`` files have an ``int`` name and in-memory streams none: both get the fallback.
    """
    if isinstance(name, (str, bytes, os.PathLike)):
        text = os.fsdecode(name)
        base = text.replace("\\", "/").rsplit("/", 1)[-1]
        if base and not (base.startswith("<") and base.endswith(">")):
            return base
    return UPLOAD_FILENAME_FALLBACK


def classify_source(source: object) -> tuple[str | None, Source | None]:
    """Split ``source`` into ``(url, None)`` or ``(None, Source)``; ``TypeError`` if unusable."""
    if isinstance(source, str):
        if is_url(source):
            return source, None
        if not source.strip():
            raise TypeError("source is an empty string: pass an http(s) URL, a path, or bytes")
        path = Path(source)
        return None, Source("path", path, upload_filename(path.name), from_str=True)
    if isinstance(source, os.PathLike):
        path = Path(os.fsdecode(source))
        return None, Source("path", path, upload_filename(path.name))
    if isinstance(source, (bytes, bytearray, memoryview)):
        view = memoryview(source)
        if not view.c_contiguous:
            raise TypeError("memoryview source must be C-contiguous")
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B")
        return None, Source("bytes", view, UPLOAD_FILENAME_FALLBACK)
    if hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            raise TypeError("file-like source is in text mode; open it in binary mode ('rb')")
        return None, Source("file", source, upload_filename(getattr(source, "name", None)))
    raise TypeError(
        "source must be an http(s) URL, a path (str or pathlib.Path), bytes/bytearray/memoryview "
        f"or a binary file-like object, not {type(source).__name__}"
    )

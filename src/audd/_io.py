"""I/O helpers both shells share: opening a source per attempt, streaming the upload body,
building each attempt's request parts, dispatching ``on_event`` hooks and debug logging.

Neither sync nor async: only the body iterators differ (``content`` / ``acontent``).
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from audd._core._config import LOGGER_NAME, UPLOAD_CHUNK_SIZE
from audd._core._multipart import MultipartFrame, encode_urlencoded, multipart_frame
from audd._core._request import RequestSpec
from audd._core._sources import Source
from audd.events import AudDEvent, EventKind

__all__ = [
    "AttemptParts",
    "PreparedSource",
    "build_attempt",
    "dispatch_event",
    "emit_event",
    "logger",
]

logger = logging.getLogger(LOGGER_NAME)
logger.addHandler(logging.NullHandler())


class PreparedSource:
    """A source checked once per call; `open` gives each attempt a fresh, rewound body source.

    Paths are reopened per attempt; buffers are reused as one ``memoryview`` (no copies);
    file-likes are rewound to the position they had when the call started.
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self._start: int | None = None
        self._seekable = False
        if source.kind == "path":
            path = source.value
            if not os.path.isfile(path):
                if source.from_str:
                    raise TypeError(
                        f"source {str(path)!r} is neither an http(s):// URL nor an existing file"
                    )
                code = errno.EISDIR if os.path.isdir(path) else errno.ENOENT
                error = IsADirectoryError if code == errno.EISDIR else FileNotFoundError
                raise error(code, os.strerror(code), str(path))
        elif source.kind == "file":
            obj = source.value
            try:
                seekable = obj.seekable() if hasattr(obj, "seekable") else hasattr(obj, "seek")
                self._start = obj.tell() if seekable else None
                self._seekable = bool(seekable) and self._start is not None
            except (OSError, ValueError, AttributeError):
                self._start, self._seekable = None, False

    def can_replay(self, consumed: bool) -> bool:
        """Whether another attempt can send the same bytes (``consumed``: this one read any)."""
        return self.source.kind != "file" or self._seekable or not consumed

    def open(self) -> OpenedSource:
        """The body source of one attempt (rewinding a file-like to its starting position)."""
        kind, value = self.source.kind, self.source.value
        if kind == "bytes":
            return OpenedSource(view=value, size=value.nbytes)
        if kind == "path":
            handle = open(value, "rb")  # noqa: SIM115 - closed by OpenedSource.close
            try:
                size: int | None = os.fstat(handle.fileno()).st_size
            except OSError:
                size = None
            return OpenedSource(reader=handle, size=size, owned=True)
        size = None
        if self._seekable and self._start is not None:
            value.seek(self._start)
            try:
                value.seek(0, os.SEEK_END)
                end = value.tell()
                value.seek(self._start)
                size = max(0, end - self._start)
            except (OSError, ValueError, AttributeError, TypeError):
                value.seek(self._start)
                size = None
        return OpenedSource(reader=value, size=size)


@dataclass
class OpenedSource:
    """The audio bytes of one attempt: a zero-copy view, or a reader read in chunks."""

    view: memoryview | None = None
    reader: Any = None
    size: int | None = None
    owned: bool = False
    consumed: bool = False
    """True once any audio byte was read (an unseekable source is then spent)."""

    def chunks(self) -> Iterator[bytes]:
        """The audio in ``UPLOAD_CHUNK_SIZE`` pieces (slices of the view, no copies)."""
        if self.view is not None:
            view = self.view
            self.consumed = True
            for offset in range(0, view.nbytes, UPLOAD_CHUNK_SIZE):
                # A memoryview slice is bytes-like; the transport copies only this chunk.
                yield cast(bytes, view[offset : offset + UPLOAD_CHUNK_SIZE])
            return
        remaining = self.size
        while remaining is None or remaining > 0:
            want = UPLOAD_CHUNK_SIZE if remaining is None else min(UPLOAD_CHUNK_SIZE, remaining)
            chunk = self.reader.read(want)
            self.consumed = True
            if not chunk:
                break
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError("file-like source returned text; open it in binary mode ('rb')")
            if remaining is not None:
                remaining -= len(chunk)
            yield cast(bytes, chunk)

    def close(self) -> None:
        """Close the file this attempt opened (never the caller's own file object)."""
        if self.owned and self.reader is not None:
            self.reader.close()


@dataclass
class AttemptParts:
    """Everything `httpx.Client.build_request` needs for one attempt, plus its cleanup."""

    method: str
    url: str
    headers: dict[str, str]
    params: httpx.QueryParams | None = None
    body: bytes | None = None
    frame: MultipartFrame | None = None
    opened: OpenedSource | None = None
    body_complete: bool = False
    """Set once the last body byte was handed to the transport (multipart bodies)."""
    _closed: bool = field(default=False, repr=False)

    @property
    def consumed(self) -> bool:
        """Whether any byte of the caller's source was read during this attempt."""
        return self.opened is not None and self.opened.consumed

    def content(self) -> bytes | Iterator[bytes] | None:
        """Body for a sync client."""
        if self.frame is None or self.opened is None:
            return self.body
        return self._iter_multipart(self.frame, self.opened)

    def acontent(self) -> bytes | AsyncIterator[bytes] | None:
        """Body for an async client."""
        if self.frame is None or self.opened is None:
            return self.body
        return self._aiter_multipart(self.frame, self.opened)

    def _iter_multipart(self, frame: MultipartFrame, opened: OpenedSource) -> Iterator[bytes]:
        yield frame.head
        yield from opened.chunks()
        # RECOGNITION calls are billed once the upload is accepted: from here on the whole
        # body may reach the server, so the call must not be resent.
        self.body_complete = True
        yield frame.tail

    async def _aiter_multipart(
        self, frame: MultipartFrame, opened: OpenedSource
    ) -> AsyncIterator[bytes]:
        yield frame.head
        # Blocking reads of local files, chunk by chunk, as httpx's own multipart does.
        for chunk in opened.chunks():
            yield chunk
        self.body_complete = True
        yield frame.tail

    def close(self) -> None:
        """Release the attempt's file (idempotent)."""
        if not self._closed:
            self._closed = True
            if self.opened is not None:
                self.opened.close()


def build_attempt(
    spec: RequestSpec,
    url: str,
    token: str | None,
    prepared: PreparedSource | None,
    default_headers: dict[str, str],
) -> AttemptParts:
    """Request parts of one attempt: the token goes last, and never into the URL."""
    headers = dict(default_headers)
    if spec.method == "GET":
        return AttemptParts("GET", url, headers, params=httpx.QueryParams(list(spec.fields)))
    trailing = [("api_token", token)] if spec.include_token and token is not None else []
    if prepared is None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = encode_urlencoded([*spec.fields, *trailing])
        return AttemptParts("POST", url, headers, body=body)
    frame = multipart_frame(
        secrets.token_hex(16), spec.fields, "file", prepared.source.filename, trailing
    )
    opened = prepared.open()
    headers["Content-Type"] = frame.content_type
    length = frame.content_length(opened.size)
    if length is not None:
        headers["Content-Length"] = str(length)
    return AttemptParts("POST", url, headers, frame=frame, opened=opened)


def emit_event(
    hook: Callable[[AudDEvent], None] | None,
    kind: EventKind,
    spec: RequestSpec,
    url: str,
    attempt: int,
    **fields: Any,
) -> None:
    """Call ``on_event``; a failing hook is logged at DEBUG and never breaks the request."""
    if hook is None:
        return
    extras: dict[str, Any] = {
        "attempt": attempt + 1,
        "http_method": spec.method,
        "retry_class": spec.retry_class.value,
    }
    extras.update(fields.pop("extras", {}))
    dispatch_event(
        hook, AudDEvent(kind=kind, method=spec.api_method, url=url, extras=extras, **fields)
    )


def dispatch_event(hook: Callable[[AudDEvent], Any] | None, event: AudDEvent) -> None:
    """Call ``on_event`` with ``event``; a failing hook is logged at DEBUG and ignored."""
    if hook is None:
        return
    try:
        hook(event)
    except Exception:
        logger.debug("on_event hook raised; ignored", exc_info=True)

"""The audio a request points at: the uploaded `file` part, or a `url` the server downloads.

Downloads are streamed to a temp file in the data dir under a size and a time limit, so memory
stays flat whatever the source size.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import anyio
import httpx

from audd_server.api._common import MSG_NO_FILE, ApiError, Call

Source = BinaryIO | Path


def too_large(limit: int) -> ApiError:
    mb = limit / (1024 * 1024)
    return ApiError(
        400,
        f"the audio file is too large: the maximum is {mb:g} MB for this endpoint. "
        "For longer audio, use the enterprise endpoint.",
    )


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(600, "the `url` parameter is not a valid http(s) URL.")


async def download(call: Call, url: str, max_bytes: int) -> Path:
    """Fetch `url` into a temp file; ApiError 600/601/602/702/400 on failure."""
    check_url(url)
    client: httpx.AsyncClient = call.request.app.state.http
    settings = call.ctx.settings
    fd, name = tempfile.mkstemp(prefix="dl-", suffix=".bin", dir=settings.uploads_dir)
    path = Path(name)
    ok = False
    total = 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with anyio.fail_after(settings.fetch_timeout):
                    async with client.stream("GET", url) as resp:
                        if resp.status_code >= 400:
                            raise ApiError(
                                601, f"the URL answered with HTTP status {resp.status_code}."
                            )
                        ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                        if ctype in ("text/html", "application/xhtml+xml"):
                            raise ApiError(602, "the URL points to a web page, not to media.")
                        declared = resp.headers.get("content-length")
                        if declared and declared.isdigit() and int(declared) > max_bytes:
                            raise too_large(max_bytes)
                        async for chunk in resp.aiter_bytes(65536):
                            total += len(chunk)
                            if total > max_bytes:
                                raise too_large(max_bytes)
                            out.write(chunk)
            except TimeoutError:
                raise ApiError(702, "downloading the file from the URL timed out.") from None
            except httpx.InvalidURL:
                raise ApiError(600, "the `url` parameter is not a valid http(s) URL.") from None
            except httpx.HTTPError as exc:
                raise ApiError(
                    702, f"the file could not be downloaded from the URL ({type(exc).__name__})."
                ) from None
        if total == 0:
            raise ApiError(602, "the URL returned an empty body.")
        ok = True
        return path
    finally:
        if not ok:
            os.unlink(path)


@contextlib.asynccontextmanager
async def open_source(call: Call, *, max_bytes: int) -> AsyncIterator[Source]:
    """Yield the request's audio (an open file or a downloaded path); 700 when there is none."""
    upload = call.file
    if upload is not None and upload.size != 0:
        size = upload.size
        if size is None:
            upload.file.seek(0, os.SEEK_END)
            size = upload.file.tell()
        if size > max_bytes:
            raise too_large(max_bytes)
        upload.file.seek(0)
        yield upload.file
        return
    encoded = call.get("audio")
    if encoded:
        # The form's `audio` field: base64-encoded audio ("discouraged; limited support").
        if len(encoded) * 3 // 4 > max_bytes:
            raise too_large(max_bytes)
        try:
            data = base64.b64decode(encoded, validate=False)
        except binascii.Error:
            raise ApiError(701, "the `audio` parameter is not valid base64.") from None
        if not data:
            raise ApiError(701, "the `audio` parameter is empty.")
        yield io.BytesIO(data)
        return
    url = call.get("url")
    if url is None:
        if upload is not None:
            raise ApiError(701, "the uploaded file is empty.")
        raise ApiError(700, MSG_NO_FILE)
    path = await download(call, url, max_bytes)
    try:
        yield path
    finally:
        os.unlink(path)

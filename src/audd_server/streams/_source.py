"""Open a stream URL with PyAV and yield its audio as mono float32 at the engine's sample rate.

Handles progressive HTTP (MP3/AAC/OGG), Icecast/SHOUTcast (FFmpeg asks for and strips ICY
metadata), HLS `.m3u8`, `.pls`/`.m3u` radio playlists (first entry), and local files (paths or
`file://`). Blocking reads are bounded by timeouts so a worker thread notices a dead stream.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import av
import httpx
import numpy as np
import numpy.typing as npt

from audd_server.engine import SAMPLE_RATE

__all__ = ["AudioSource", "SourceError", "local_path", "open_source"]


class SourceError(Exception):
    """The stream cannot be opened, or stopped delivering audio."""


def local_path(url: str) -> Path | None:
    """The file a `file://` URL or a bare path names; None for network URLs."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" or (len(parsed.scheme) == 1 and url[1:3] in (":\\", ":/")):
        return Path(url)
    return None


_PLAYLIST_ENTRY = re.compile(
    r"^\s*(?:File\d+\s*=\s*)?(\S+://\S+)\s*$", re.IGNORECASE | re.MULTILINE
)


def _resolve_playlist(url: str, timeout: float) -> str:
    """A `.pls` / plain `.m3u` radio playlist → its first stream URL (FFmpeg reads neither)."""
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            text = client.get(url).text
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot fetch playlist {url}: {exc.__class__.__name__}") from exc
    if "#EXT-X-" in text:  # an HLS playlist after all: FFmpeg's hls demuxer takes it
        return url
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("["):
            continue
        m = _PLAYLIST_ENTRY.match(line)
        if m:
            return m.group(1)
        if "=" not in line:
            return urljoin(url, line)
    raise SourceError(f"playlist {url} names no stream")


class AudioSource:
    """An open stream: iterate for PCM chunks (a few hundred ms each); always `close()`."""

    def __init__(
        self,
        url: str,
        *,
        open_timeout: float = 10.0,
        read_timeout: float = 10.0,
        pace: bool = False,
        stop: threading.Event | None = None,
    ) -> None:
        self.url = url
        self.path = local_path(url)
        self.pace = pace
        self._stop = stop or threading.Event()
        target = str(self.path) if self.path is not None else url
        options: dict[str, str] = {}
        if self.path is None:
            low = urlparse(url).path.lower()
            if low.endswith((".pls", ".m3u")):
                target = _resolve_playlist(url, open_timeout)
            options = {"user_agent": "audd-server", "icy": "1"}
        elif not self.path.is_file():
            raise SourceError(f"no such file: {self.path}")
        try:
            self._container: Any = av.open(
                target, mode="r", timeout=(open_timeout, read_timeout), options=options
            )
        except (av.FFmpegError, OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot open {url}: {exc}") from exc
        streams = [s for s in self._container.streams if s.type == "audio"]
        if not streams:
            self._container.close()
            raise SourceError(f"{url} carries no audio")
        self._stream = streams[0]
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)

    def __iter__(self) -> Iterator[npt.NDArray[np.float32]]:
        started = time.monotonic()
        produced = 0
        bad = 0
        try:
            for packet in self._container.demux(self._stream):
                try:
                    frames = packet.decode()
                except (av.FFmpegError, ValueError):
                    bad += 1  # a corrupt packet in a live stream is skipped, not fatal
                    if bad > 200 and produced == 0:
                        raise SourceError(f"{self.url}: undecodable audio") from None
                    continue
                for frame in frames:
                    for out in self._resampler.resample(frame):
                        pcm = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                        if len(pcm):
                            produced += len(pcm)
                            yield pcm
                if self.pace:
                    ahead = produced / SAMPLE_RATE - (time.monotonic() - started)
                    if ahead > 0.5 and self._stop.wait(ahead):
                        return
        except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
            raise SourceError(f"{self.url}: {exc.__class__.__name__}: {exc}") from exc

    def close(self) -> None:
        with contextlib.suppress(av.FFmpegError, OSError, ValueError):
            self._container.close()


def open_source(
    url: str,
    *,
    open_timeout: float = 10.0,
    read_timeout: float = 10.0,
    pace: bool = False,
    stop: threading.Event | None = None,
) -> AudioSource:
    """Open `url`; raises `SourceError` when it cannot be reached or carries no audio."""
    return AudioSource(
        url, open_timeout=open_timeout, read_timeout=read_timeout, pace=pace, stop=stop
    )

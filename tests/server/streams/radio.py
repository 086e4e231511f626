"""Reusable live-stream test fixtures: a test radio, a callback receiver, uvicorn in a thread.

- `TestRadio`: an HTTP radio on 127.0.0.1 that broadcasts a program (catalog songs, unknown
  audio, silence) as MP3 faster than real time. It is *live*: a listener who connects late (or
  reconnects) joins at the current broadcast position, like a real station. Optional ICY
  metadata and an HLS rendition (`/live.m3u8`).
- `CallbackReceiver`: a FastAPI app that records every POSTed callback; can be told to fail.
- `ServerThread`: any ASGI app under uvicorn on a free loopback port, started and stopped
  synchronously (lifespan included).

No test here sleeps to wait for something: waits are on conditions with timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, Request, Response
from starlette.applications import Starlette
from starlette.requests import Request as SRequest
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

from audd_server.synth import encode_audio, synth_noise_like, synth_track

RATE = 22050  # the broadcast's sample rate
MP3_BITRATE = 64000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """Run an ASGI app under uvicorn in a background thread on 127.0.0.1."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerThread:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("server thread died while starting")
            if time.monotonic() > deadline:
                raise TimeoutError("server did not start")
            self._thread.join(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
        self._server = None
        self._thread = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- program -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One stretch of the broadcast. `seed` ≥ 0 is `synth_track(seed)`; kind "noise"/"silence"."""

    kind: str  # "song" | "noise" | "silence"
    seconds: float
    seed: int = 0
    offset: float = 0.0  # songs: where in the track the radio starts playing it


@dataclass(frozen=True)
class Slot:
    """Ground truth: what the broadcast carries in [start, end)."""

    item: Item
    start: float
    end: float


def song_audio(seed: int, seconds: float, rate: int = RATE) -> np.ndarray:
    """The full catalog version of song `seed` (what to index)."""
    return synth_track(seed, seconds, rate)


@dataclass
class Program:
    items: Sequence[Item]
    song_seconds: dict[int, float] = field(default_factory=dict)
    """Full length of each song seed (the catalog version); defaults to the item's length."""

    def render(self, rate: int = RATE) -> tuple[np.ndarray, list[Slot]]:
        parts: list[np.ndarray] = []
        slots: list[Slot] = []
        pos = 0.0
        for it in self.items:
            n = round(it.seconds * rate)
            if it.kind == "song":
                full = self.song_seconds.get(it.seed, it.offset + it.seconds)
                audio = synth_track(it.seed, full, rate)
                start = round(it.offset * rate)
                seg = audio[start : start + n]
            elif it.kind == "noise":
                seg = synth_noise_like(it.seed, it.seconds, rate)
            else:
                seg = np.zeros(n, dtype=np.float32)
            seg = np.asarray(seg, dtype=np.float32)
            parts.append(seg)
            slots.append(Slot(it, pos, pos + len(seg) / rate))
            pos += len(seg) / rate
        return np.concatenate(parts), slots


# -- the radio -----------------------------------------------------------------------------------


class TestRadio:
    """A live MP3 radio broadcasting `program` at `speed` × real time.

    `/stream.mp3` streams from the current broadcast position until the program ends (then the
    connection closes; with `loop=True` it starts over). `/live.m3u8` is an HLS rendition of the
    whole program (VOD playlist of MP3 segments); `/radio.pls` a playlist naming the stream.
    ICY metadata is interleaved when the listener asks for it (`Icy-MetaData: 1`) and
    `icy=True`.
    """

    __test__ = False  # not a pytest class

    def __init__(
        self,
        program: Program,
        *,
        speed: float = 20.0,
        loop: bool = False,
        icy: bool = True,
        chunk_seconds: float = 0.25,
        hls_segment_seconds: float = 6.0,
    ) -> None:
        self.program = program
        self.speed = speed
        self.loop = loop
        self.icy = icy
        self.audio, self.slots = program.render()
        self.mp3 = encode_audio(self.audio, RATE, "mp3", bitrate=MP3_BITRATE)
        self.duration = len(self.audio) / RATE
        self.byte_rate = len(self.mp3) / self.duration
        self.chunk = max(417, int(self.byte_rate * chunk_seconds))
        self.hls_segment_seconds = hls_segment_seconds
        self._hls: list[bytes] | None = None
        self._t0: float | None = None
        self.connections = 0
        self.server: ServerThread | None = None
        self._port: int | None = None

    # broadcast clock: starts with the first listener
    def position(self) -> float:
        """Seconds of program broadcast so far."""
        if self._t0 is None:
            return 0.0
        return (time.monotonic() - self._t0) * self.speed

    def _hls_segments(self) -> list[bytes]:
        if self._hls is None:
            n = int(self.hls_segment_seconds * RATE)
            self._hls = [
                encode_audio(self.audio[i : i + n], RATE, "mp3", bitrate=MP3_BITRATE)
                for i in range(0, len(self.audio), n)
            ]
        return self._hls

    def app(self) -> Starlette:
        async def stream(request: SRequest) -> Response:
            if self._t0 is None:
                self._t0 = time.monotonic()
            start_s = self.position()
            if start_s >= self.duration:
                if not self.loop:
                    return PlainTextResponse("off air", status_code=503)
                start_s %= self.duration
            self.connections += 1
            want_icy = self.icy and request.headers.get("icy-metadata") == "1"
            metaint = 8192
            headers = {"icy-name": "audd test radio", "cache-control": "no-cache"}
            if want_icy:
                headers["icy-metaint"] = str(metaint)

            async def body() -> Any:
                offset = int(start_s * self.byte_rate)
                t_start = time.monotonic()
                sent = 0
                since_meta = 0
                while True:
                    if offset >= len(self.mp3):
                        if not self.loop:
                            return
                        offset = 0
                    data = self.mp3[offset : offset + self.chunk]
                    offset += len(data)
                    if want_icy:
                        out = bytearray()
                        while data:
                            take = min(len(data), metaint - since_meta)
                            out += data[:take]
                            data = data[take:]
                            since_meta += take
                            if since_meta == metaint:
                                title = f"StreamTitle='t{offset}';".encode()
                                pad = (-len(title)) % 16
                                block = title + b"\0" * pad
                                out += bytes([len(block) // 16]) + block
                                since_meta = 0
                        yield bytes(out)
                    else:
                        yield data
                    sent += self.chunk
                    due = t_start + sent / self.byte_rate / self.speed
                    delay = due - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)

            return StreamingResponse(body(), media_type="audio/mpeg", headers=headers)

        async def playlist(request: SRequest) -> Response:
            segs = self._hls_segments()
            lines = [
                "#EXTM3U",
                "#EXT-X-VERSION:3",
                f"#EXT-X-TARGETDURATION:{int(np.ceil(self.hls_segment_seconds))}",
                "#EXT-X-MEDIA-SEQUENCE:0",
                "#EXT-X-PLAYLIST-TYPE:VOD",
            ]
            for i, seg in enumerate(segs):
                secs = min(self.hls_segment_seconds, self.duration - i * self.hls_segment_seconds)
                lines += [f"#EXTINF:{secs:.3f},", f"seg{i}.mp3"]
                del seg
            lines.append("#EXT-X-ENDLIST")
            return PlainTextResponse(
                "\n".join(lines) + "\n", media_type="application/vnd.apple.mpegurl"
            )

        async def segment(request: SRequest) -> Response:
            i = int(request.path_params["i"])
            segs = self._hls_segments()
            if not 0 <= i < len(segs):
                return PlainTextResponse("no such segment", status_code=404)
            return Response(segs[i], media_type="audio/mpeg")

        async def pls(request: SRequest) -> Response:
            body = f"[playlist]\nNumberOfEntries=1\nFile1={self.url}\nTitle1=test radio\n"
            return PlainTextResponse(body, media_type="audio/x-scpls")

        return Starlette(
            routes=[
                Route("/radio.pls", pls),
                Route("/stream.mp3", stream),
                Route("/live.m3u8", playlist),
                Route("/seg{i:int}.mp3", segment),
            ]
        )

    @property
    def url(self) -> str:
        assert self._port is not None
        return f"http://127.0.0.1:{self._port}/stream.mp3"

    @property
    def pls_url(self) -> str:
        """A SHOUTcast-style `.pls` playlist naming `url`."""
        assert self._port is not None
        return f"http://127.0.0.1:{self._port}/radio.pls"

    @property
    def hls_url(self) -> str:
        assert self._port is not None
        return f"http://127.0.0.1:{self._port}/live.m3u8"

    def start(self) -> TestRadio:
        """Go on air (on the same port as before if restarted)."""
        self.server = ServerThread(self.app(), port=self._port).start()
        self._port = self.server.port
        return self

    def stop(self) -> None:
        """Go off air: listeners are cut and new connections are refused."""
        if self.server is not None:
            self.server.stop(timeout=5)
            self.server = None

    def __enter__(self) -> TestRadio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- callback receiver --------------------------------------------------------------------------


class CallbackReceiver:
    """Records callback POSTs (JSON bodies, in arrival order).

    `fail_first=N` answers the first N POSTs with HTTP 500 (tests retries); `delay` holds each
    answer that many seconds (a slow receiver).
    """

    def __init__(self, *, fail_first: int = 0, delay: float = 0.0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.attempts = 0
        self.fail_first = fail_first
        self.delay = delay
        self.queries: list[str] = []
        self._cond = threading.Condition()
        self.server: ServerThread | None = None
        self._app = FastAPI()

        @self._app.post("/callback")
        async def callback(request: Request) -> Response:
            body = await request.json()
            with self._cond:
                self.attempts += 1
                failing = self.attempts <= self.fail_first
            if self.delay:
                await asyncio.sleep(self.delay)
            if failing:
                return Response("try later", status_code=500)
            with self._cond:
                self.bodies.append(body)
                self.queries.append(str(request.url.query))
                self._cond.notify_all()
            return Response("ok")

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"{self.server.url}/callback"

    def start(self) -> CallbackReceiver:
        self.server = ServerThread(self._app).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(timeout=5)

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float
    ) -> list[dict[str, Any]]:
        """Block until `predicate(bodies)` holds; returns a copy of the bodies."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self.bodies), timeout):
                raise TimeoutError(f"callbacks so far: {self.bodies}")
            return list(self.bodies)

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- longpoll ------------------------------------------------------------------------------------


def longpoll_events(
    base_url: str,
    category: str,
    *,
    until: Callable[[list[dict[str, Any]]], bool],
    timeout: float,
    since_time: int = 0,
    poll_seconds: int = 5,
) -> list[dict[str, Any]]:
    """Collect longpoll events (with httpx, no SDK) until `until(events)` holds or `timeout`."""
    import httpx

    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=poll_seconds + 10) as client:
        while not until(events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"longpoll events so far: {events}")
            r = client.get(
                "/longpoll/",
                params={"category": category, "timeout": poll_seconds, "since_time": since_time},
            )
            body = r.json()
            since_time = int(body["timestamp"])
            if "timeout" not in body:
                events.append(body)
    return events


def songs_of(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `result` bodies (recognitions) among callback/longpoll events, in order."""
    return [e["result"] for e in events if isinstance(e.get("result"), dict)]


def notifications_of(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["notification"] for e in events if isinstance(e.get("notification"), dict)]


@contextlib.contextmanager
def running(*things: Any) -> Iterator[None]:
    """Start several fixtures (radio, receiver, server) and stop them in reverse order."""
    started: list[Any] = []
    try:
        for t in things:
            t.start()
            started.append(t)
        yield
    finally:
        for t in reversed(started):
            t.stop()

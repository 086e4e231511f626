"""A real longpoll server on loopback (Starlette under uvicorn) that tests can kill and restart.

The event log lives outside the server, so events published while it is down are served after
a restart. ``kill()`` aborts every open connection mid-request, like a crashed process.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class EventLog:
    """Thread-safe, append-only event log with strictly increasing millisecond timestamps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._last = 0
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def publish(self, body: dict[str, Any]) -> int:
        with self._lock:
            stamp = max(self._last + 1, int(time.time() * 1000))
            self._last = stamp
            self._events.append((stamp, body))
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that server's loop is gone
                loop.call_soon_threadsafe(event.set)
        return stamp

    def since(self, since: int, overlap: int = 0) -> list[tuple[int, dict[str, Any]]]:
        with self._lock:
            newer = [i for i, (stamp, _) in enumerate(self._events) if stamp > since]
            if not newer:
                return []
            start = max(0, newer[0] - overlap)
            return self._events[start:]

    @property
    def last(self) -> int:
        with self._lock:
            return self._last

    async def wait(self, since: int, timeout: float, overlap: int = 0) -> list[Any]:
        event = asyncio.Event()
        key = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.add(key)
        try:
            events = self.since(since, overlap)
            if events:
                return events
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
            return self.since(since, overlap)
        finally:
            with self._lock:
                self._waiters.discard(key)


class LoopbackServer:
    """Serves ``/longpoll/`` (and a configured ``/getCallbackUrl/``) from an `EventLog`."""

    def __init__(self, log: EventLog, *, replay_overlap: int = 0) -> None:
        self.log = log
        self.replay_overlap = replay_overlap
        """Also resend this many already-delivered events (a sloppy server after a restart)."""
        self.port = 0
        self.polls = 0
        self.holding = threading.Event()
        """Set while a poll is being held open."""
        self.disconnected = threading.Event()
        """Set when a client dropped a held poll."""
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.app = Starlette(
            routes=[
                Route("/longpoll/", self._longpoll, methods=["GET"]),
                Route("/getCallbackUrl/", self._callback_url, methods=["POST"]),
            ]
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _callback_url(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "success", "result": "https://audd.tech/empty/"})

    async def _longpoll(self, request: Request) -> JSONResponse:
        self.polls += 1
        since = int(request.query_params.get("since_time", "0"))
        timeout = float(request.query_params.get("timeout", "50"))
        waiter = asyncio.ensure_future(self.log.wait(since, timeout, self.replay_overlap))
        gone = asyncio.ensure_future(_wait_disconnect(request))
        self.holding.set()
        try:
            done, _ = await asyncio.wait({waiter, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.holding.clear()
            for task in (waiter, gone):
                task.cancel()
        if waiter not in done:
            self.disconnected.set()
            return JSONResponse({}, status_code=499)
        events = waiter.result()
        if not events:
            return JSONResponse(
                {"timeout": "no events before timeout", "timestamp": max(since, self.log.last)}
            )
        if len(events) == 1:
            stamp, body = events[0]
            return JSONResponse({**body, "timestamp": stamp})
        return JSONResponse(
            {
                "events": [
                    {"timestamp": stamp, "category": "c", "data": body} for stamp, body in events
                ]
            }
        )

    def start(self) -> LoopbackServer:
        # proto=IPPROTO_TCP, or asyncio does not set TCP_NODELAY on accepted connections.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="critical", lifespan="off", access_log=False)
        server = uvicorn.Server(config)
        loop = asyncio.new_event_loop()
        self._server, self._loop = server, loop

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(server.serve(sockets=[sock]))
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            finally:
                sock.close()
                loop.close()

        self._thread = threading.Thread(target=run, name="loopback-longpoll", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("loopback server did not start")
            time.sleep(0.005)
        return self

    def kill(self) -> None:
        """Drop every connection mid-request and stop (the port is kept for `start`)."""
        server, loop, thread = self._server, self._loop, self._thread
        if server is None or loop is None or thread is None:
            return

        def abort_all() -> None:
            for connection in list(server.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is not None:
                    transport.abort()
            server.force_exit = True
            server.should_exit = True

        loop.call_soon_threadsafe(abort_all)
        thread.join(10)
        self._server = self._loop = self._thread = None

    stop = kill


async def _wait_disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return

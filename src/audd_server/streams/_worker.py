"""One thread per stream: connect, decode, query a sliding window, track plays, publish events.

Decoding and fingerprinting run in the worker's own thread (PyAV and numpy release the GIL for
the heavy parts), so the HTTP API and other streams are never stalled by one stream. Positions
are counted in samples of stream audio and stay monotonic across reconnects.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from audd_server.engine import SAMPLE_RATE
from audd_server.streams._delivery import backoff_delay
from audd_server.streams._payloads import callback_returns, notification_body, result_body
from audd_server.streams._settings import StreamSettings
from audd_server.streams._source import AudioSource, SourceError, local_path, open_source
from audd_server.streams._tracker import MatchLike, MusicMonitor, PlayEvent, PlayTracker, Window

log = logging.getLogger("audd_server.streams")


@dataclass(frozen=True)
class StreamSpec:
    """What a worker needs to know about its stream."""

    account_id: int
    radio_id: int
    url: str
    before: bool
    category: str


class WorkerHost(Protocol):
    """The server side a worker talks to (implemented over `ServerContext` by the supervisor)."""

    settings: StreamSettings

    def match(self, account_id: int, samples: npt.NDArray[np.float32]) -> Sequence[MatchLike]: ...
    def songs(
        self, account_id: int, event: PlayEvent, returns: list[str]
    ) -> list[dict[str, Any]]: ...
    def callback_url(self, account_id: int) -> str | None: ...
    def duration(self, track_id: int) -> float | None: ...
    def set_running(self, spec: StreamSpec, running: bool) -> None: ...
    def publish(self, spec: StreamSpec, body: dict[str, Any]) -> None: ...
    def load_state(self, spec: StreamSpec) -> dict[str, Any] | None: ...
    def save_state(self, spec: StreamSpec, state: dict[str, Any] | None) -> None: ...


Outcome = Literal["stopped", "switched", "eof", "error"]


class StreamWorker(threading.Thread):
    """Runs until `stop()`; `set_url()` switches the source, keeping the play state."""

    def __init__(
        self,
        spec: StreamSpec,
        host: WorkerHost,
        *,
        on_event: Callable[[PlayEvent], None] | None = None,
    ) -> None:
        super().__init__(name=f"stream-{spec.account_id}-{spec.radio_id}", daemon=True)
        self.spec = spec
        self.host = host
        self.s = host.settings
        self.on_event = on_event
        self._url = spec.url
        self._url_lock = threading.Lock()
        self._stop_ev = threading.Event()
        self._wake = threading.Event()
        self._monitor = MusicMonitor(self.s.no_music_seconds)
        self._down = False
        self._saved: dict[str, Any] | None = {}  # never equal to a real state: first save writes
        self.running: bool | None = None
        self.audio_seconds = 0.0
        self.cpu_seconds = 0.0
        self.windows = 0
        self.finished = threading.Event()
        """Set when an unlooped local file has been read to its end (tests, benchmarks)."""

    # -- control (any thread) ------------------------------------------------------------------

    def set_url(self, url: str) -> None:
        with self._url_lock:
            self._url = url
        self.spec = StreamSpec(
            self.spec.account_id, self.spec.radio_id, url, self.spec.before, self.spec.category
        )
        self._wake.set()

    def stop(self) -> None:
        self._stop_ev.set()
        self._wake.set()

    @property
    def url(self) -> str:
        with self._url_lock:
            return self._url

    # -- thread ----------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("stream worker %s crashed", self.name)
        finally:
            self.cpu_seconds += time.thread_time()

    def _run(self) -> None:
        s = self.s
        saved = self._load() or {}
        tracker = PlayTracker(
            before=self.spec.before,
            settings=s,
            resume=saved.get("play"),
            duration_of=self.host.duration,
        )
        self._monitor.silent = bool(saved.get("silent", False))
        self._down = bool(saved.get("down", False))  # a 650 is outstanding
        pos = 0  # samples of stream audio since the worker started
        failures = 0
        while not self._stop_ev.is_set():
            url = self.url
            self._wake.clear()
            is_file = local_path(url) is not None
            try:
                src = open_source(
                    url,
                    open_timeout=s.open_timeout,
                    read_timeout=s.read_timeout,
                    pace=is_file and s.pace_files,
                    stop=self._stop_ev,
                )
            except SourceError as exc:
                failures += 1
                log.info("stream %s unreachable: %s", self.spec.radio_id, exc)
                self._emit_plays(tracker.close_resumed())
                if not self._down:
                    self._down = True
                    self._save(tracker)
                    self._set_running(False)
                    self._notify(650, running=False)
                self._wake.wait(backoff_delay(failures - 1, s.reconnect_initial, s.reconnect_max))
                continue
            self._set_running(True)
            if self._down:
                self._down = False
                self._monitor.silent = False  # "healthy again" covers both 650 and 651
                self._notify(0, running=True)
            started = pos
            try:
                outcome, pos = self._consume(src, tracker, pos)
            finally:
                src.close()
            self._emit_plays(tracker.suspend())
            self._save(tracker)
            if outcome in ("stopped", "switched"):
                failures = 0
                continue
            # A source that keeps hanging up after a moment is retried with back-off too.
            failures = 0 if pos - started >= 30 * SAMPLE_RATE else failures + 1
            if failures and not is_file:
                delay = backoff_delay(failures - 1, s.reconnect_initial, s.reconnect_max)
                self._wake.wait(delay)
            if is_file and not s.pace_files:
                # A file read as fast as it decodes plays once: close its last song, then idle.
                self._emit_plays(tracker.close_resumed())
                self._save(tracker)
                self._set_running(False)
                self.finished.set()
                while not self._stop_ev.is_set() and self.url == url:
                    self._wake.wait()
                    self._wake.clear()
        self._save(tracker)

    def _consume(self, src: AudioSource, tracker: PlayTracker, pos: int) -> tuple[Outcome, int]:
        s = self.s
        sr = SAMPLE_RATE
        win = int(s.window_seconds * sr)
        hop = int(s.hop_seconds * sr)
        chunks: deque[npt.NDArray[np.float32]] = deque()
        buffered = 0
        seg = 0
        next_query = int(s.min_window_seconds * sr)
        monitor = self._monitor
        monitor.reset(pos / sr)
        last_save = pos / sr
        url = src.url
        try:
            for pcm in src:
                if self._stop_ev.is_set():
                    return "stopped", pos
                if self.url != url:
                    return "switched", pos
                chunks.append(pcm)
                buffered += len(pcm)
                seg += len(pcm)
                pos += len(pcm)
                self.audio_seconds += len(pcm) / sr
                while chunks and buffered - len(chunks[0]) >= win:
                    buffered -= len(chunks.popleft())
                if seg < next_query:
                    continue
                next_query = seg + hop
                self._window(chunks, pos, tracker, monitor)
                end = pos / sr
                if end - last_save >= s.state_save_seconds:
                    last_save = end
                    self._save(tracker)
        except SourceError as exc:
            log.info("stream %s interrupted: %s", self.spec.radio_id, exc)
            outcome: Outcome = "error"
        else:
            outcome = "eof"
        if seg >= int(s.min_window_seconds * sr) and next_query - seg < hop - sr // 2:
            # The audio after the last full hop: where the last song ends.
            self._window(chunks, pos, tracker, monitor)
        return outcome, pos

    def _window(
        self,
        chunks: deque[npt.NDArray[np.float32]],
        pos: int,
        tracker: PlayTracker,
        monitor: MusicMonitor,
    ) -> None:
        sr = SAMPLE_RATE
        data = np.concatenate(chunks)[-int(self.s.window_seconds * sr) :]
        end = pos / sr
        matches = self._match(data)
        self.windows += 1
        window = Window(start=end - len(data) / sr, end=end, matches=matches, wall=time.time())
        self._emit_plays(tracker.feed(window))
        change = monitor.feed(end, bool(matches))
        if change == "no_music":
            self._notify(651, running=True)
        elif change == "music":
            self._notify(0, running=True)

    # -- helpers -------------------------------------------------------------------------------

    def _match(self, data: npt.NDArray[np.float32]) -> Sequence[MatchLike]:
        try:
            return self.host.match(self.spec.account_id, data)
        except Exception:  # an engine failure costs one window, not the stream
            log.exception("stream %s: query failed", self.spec.radio_id)
            return []

    def _emit_plays(self, events: list[PlayEvent]) -> None:
        if self._stop_ev.is_set():
            return  # deleted or shutting down: an open play is checkpointed, not reported
        for event in events:
            if self.on_event is not None:
                self.on_event(event)
            spec = self.spec
            returns = callback_returns(self.host.callback_url(spec.account_id))
            songs = self.host.songs(spec.account_id, event, returns)
            if not songs:
                continue  # the track was removed from the catalog meanwhile
            body = result_body(
                spec.radio_id,
                songs,
                started_at=event.started_wall,
                play_length=event.play_length if event.kind == "after" else None,
            )
            self.host.publish(spec, body)

    def _notify(self, code: int, *, running: bool) -> None:
        if self._stop_ev.is_set():
            return
        self.host.publish(
            self.spec, notification_body(self.spec.radio_id, code, running=running, now=time.time())
        )

    def _set_running(self, running: bool) -> None:
        if self.running is not running:
            self.running = running
            self.host.set_running(self.spec, running)

    def _load(self) -> dict[str, Any] | None:
        try:
            return self.host.load_state(self.spec)
        except Exception:
            log.exception("stream %s: cannot load its saved state", self.spec.radio_id)
            return None

    def _save(self, tracker: PlayTracker) -> None:
        """Checkpoint what a restart needs: the open play and the outstanding 650/651."""
        play = tracker.checkpoint()
        silent = self._monitor.silent
        state = (
            None
            if not (play or self._down or silent)
            else {
                "play": play,
                "down": self._down,
                "silent": silent,
            }
        )
        if state == self._saved:
            return
        try:
            self.host.save_state(self.spec, state)
            self._saved = state
        except Exception:
            log.exception("stream %s: cannot save its state", self.spec.radio_id)

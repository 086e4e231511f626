"""Live stream ingestion: workers that pull stream audio, recognize it and publish events.

`StreamSupervisor` owns one `StreamWorker` thread per stored stream and the callback dispatcher.

- Worker (`_worker`, `_source`): PyAV opens the URL (HTTP/Icecast with ICY metadata, HLS,
  `.pls`/`.m3u`, local files), decodes to mono at the engine's rate and queries a 10 s window
  every 2 s of audio (`StreamSettings`), all in its own thread; positions are stream-audio
  seconds, so a source faster than real time yields the same events.
- Play tracking (`_tracker`, pure): one report per play — at its end with `play_length`, or at
  recognition with `callbacks=before` — with close competitors as alternatives; open plays are
  checkpointed (`_state`) so reconnects and restarts neither repeat nor lose a report.
- Delivery (`_delivery`, `_payloads`): every event is appended to the stream's longpoll category
  in the event log first, then queued for a POST to the account's callback URL (per-stream
  asyncio queue, retries with back-off; AudD's `https://audd.tech/empty/` is never called).
  As on AudD, events are delivered only while the account has a callback URL (the placeholder
  counts): without one they are neither logged for longpoll nor POSTed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import numpy.typing as npt

from audd_server.streams._delivery import CallbackDispatcher
from audd_server.streams._payloads import custom_song, with_score
from audd_server.streams._settings import StreamSettings
from audd_server.streams._state import StreamStateStore
from audd_server.streams._tracker import MatchLike, PlayEvent
from audd_server.streams._worker import StreamSpec, StreamWorker

if TYPE_CHECKING:
    from collections.abc import Sequence

    from audd_server.context import ServerContext
    from audd_server.store import Stream

__all__ = ["StreamSettings", "StreamSupervisor"]

log = logging.getLogger("audd_server.streams")

Key = tuple[int, int]


class _ContextHost:
    """`WorkerHost` over the server context: engine, catalog, stores, event log, dispatcher."""

    def __init__(
        self,
        ctx: ServerContext,
        settings: StreamSettings,
        dispatcher: CallbackDispatcher,
        state: StreamStateStore,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.dispatcher = dispatcher
        self.state = state

    def match(self, account_id: int, samples: npt.NDArray[np.float32]) -> Sequence[MatchLike]:
        return self.ctx.match(samples, account_id, limit=self.settings.results_limit)

    def songs(self, account_id: int, event: PlayEvent, returns: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for track_id, score in ((event.track_id, event.score), *event.alternatives):
            track = self.ctx.track(track_id)
            if track is None:
                continue
            if track.is_custom:
                out.append(
                    custom_song(
                        int(track.audio_id or 0),
                        score,
                        event.track_position,
                        track.artist,
                        track.title,
                    )
                )
            else:
                out.append(with_score(self.ctx.song(track, providers=returns), score))
        return out

    def duration(self, track_id: int) -> float | None:
        track = self.ctx.track(track_id)
        return None if track is None else track.duration

    def callback_url(self, account_id: int) -> str | None:
        account = self.ctx.accounts.by_id(account_id)
        return None if account is None else account.callback_url

    def set_running(self, spec: StreamSpec, running: bool) -> None:
        self.ctx.streams.set_running(spec.account_id, spec.radio_id, running)

    def publish(self, spec: StreamSpec, body: dict[str, Any]) -> None:
        # As on AudD, an account without a callback URL gets no stream events at all: neither a
        # POST nor a longpoll entry (the placeholder `https://audd.tech/empty/` counts as set).
        if not self.callback_url(spec.account_id):
            log.debug("stream %s: no callback URL on the account; event dropped", spec.radio_id)
            return
        self.ctx.events.append(spec.category, body)
        self.dispatcher.submit(spec.account_id, spec.radio_id, body)

    def load_state(self, spec: StreamSpec) -> dict[str, Any] | None:
        return self.state.load(spec.account_id, spec.radio_id)

    def save_state(self, spec: StreamSpec, state: dict[str, Any] | None) -> None:
        self.state.save(spec.account_id, spec.radio_id, state)


class StreamSupervisor:
    """Owns one worker per stored stream; told about every stream change by the API.

    Settings come from the `settings` argument, else `ctx.settings.streams` when the server's
    `Settings` carries one, else the defaults. `http_client` (tests) replaces the client that
    POSTs callbacks.
    """

    def __init__(
        self,
        ctx: ServerContext,
        settings: StreamSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._ctx = ctx
        configured = getattr(ctx.settings, "streams", None)
        self.settings: StreamSettings = settings or (
            configured if isinstance(configured, StreamSettings) else StreamSettings()
        )
        self.dispatcher = CallbackDispatcher(self._callback_url, self.settings, client=http_client)
        self._state = StreamStateStore(ctx.db)
        self._host = _ContextHost(ctx, self.settings, self.dispatcher, self._state)
        self._workers: dict[Key, StreamWorker] = {}
        self._started = False

    def _callback_url(self, account_id: int) -> str | None:
        return self._host.callback_url(account_id)

    @property
    def workers(self) -> dict[Key, StreamWorker]:
        """Live workers by (account_id, radio_id) (diagnostics and tests)."""
        return dict(self._workers)

    async def start(self) -> None:
        """Start workers for every stream already stored."""
        await self.dispatcher.start()
        self._started = True
        for stream in await asyncio.to_thread(self._ctx.streams.list):
            self._spawn(stream)

    async def stream_added(self, account_id: int, radio_id: int) -> None:
        """A stream was added (or re-added with a new URL / callbacks mode)."""
        stream = await asyncio.to_thread(self._ctx.streams.get, account_id, radio_id)
        if stream is None or not self._started:
            return
        worker = self._workers.get((account_id, radio_id))
        if worker is not None and worker.spec.before != stream.callbacks_before:
            await self._retire(account_id, radio_id, keep_state=True)
            worker = None
        if worker is None:
            self._spawn(stream)
        elif worker.url != stream.url:
            worker.set_url(stream.url)

    async def stream_updated(self, account_id: int, radio_id: int) -> None:
        """A stream's URL changed: the worker switches source and keeps its play state."""
        await self.stream_added(account_id, radio_id)

    async def stream_deleted(self, account_id: int, radio_id: int) -> None:
        """A stream was deleted: stop its worker and forget its state."""
        await self._retire(account_id, radio_id, keep_state=False)

    async def stop(self) -> None:
        """Stop every worker (each checkpoints its open play) and the callback dispatcher."""
        workers = list(self._workers.values())
        self._workers.clear()
        for worker in workers:
            worker.stop()
        for worker in workers:
            await asyncio.to_thread(worker.join, self.settings.read_timeout + 5)
            if worker.is_alive():
                log.warning("stream worker %s did not stop in time", worker.name)
        await self.dispatcher.aclose()
        self._started = False

    def _spawn(self, stream: Stream) -> None:
        spec = StreamSpec(
            account_id=stream.account_id,
            radio_id=stream.radio_id,
            url=stream.url,
            before=stream.callbacks_before,
            category=stream.category,
        )
        worker = StreamWorker(spec, self._host)
        self._workers[(stream.account_id, stream.radio_id)] = worker
        worker.start()

    async def _retire(self, account_id: int, radio_id: int, *, keep_state: bool) -> None:
        worker = self._workers.pop((account_id, radio_id), None)
        if worker is not None:
            worker.stop()
            await asyncio.to_thread(worker.join, self.settings.read_timeout + 5)
        if not keep_state:
            await asyncio.to_thread(self._state.delete, account_id, radio_id)

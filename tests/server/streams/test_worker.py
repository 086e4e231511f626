"""A stream worker over local files (file:// and paths) with the real engine and a fake host."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from radio import RATE, Item, Program

from audd_server.engine import SAMPLE_RATE, Index
from audd_server.streams import StreamSettings
from audd_server.streams._source import SourceError, local_path, open_source
from audd_server.streams._tracker import MatchLike, PlayEvent
from audd_server.streams._worker import StreamSpec, StreamWorker
from audd_server.synth import synth_track, write_audio

SETTINGS = StreamSettings(
    pace_files=False, reconnect_initial=0.05, reconnect_max=0.2, no_music_seconds=8
)


class FakeHost:
    def __init__(self, index: Index, settings: StreamSettings = SETTINGS) -> None:
        self.settings = settings
        self.index = index
        self.published: list[dict[str, Any]] = []
        self.running: list[bool] = []
        self.state: dict[str, Any] | None = None
        self.cond = threading.Condition()

    def match(self, account_id: int, samples: np.ndarray) -> Sequence[MatchLike]:
        return self.index.query(samples, limit=5)

    def songs(self, account_id: int, event: PlayEvent, returns: list[str]) -> list[dict[str, Any]]:
        return [
            {"artist": "A", "title": f"T{tid}", "score": score}
            for tid, score in ((event.track_id, event.score), *event.alternatives)
        ]

    def callback_url(self, account_id: int) -> str | None:
        return "https://audd.tech/empty/?return=spotify"

    def duration(self, track_id: int) -> float | None:
        return None

    def set_running(self, spec: StreamSpec, running: bool) -> None:
        self.running.append(running)

    def publish(self, spec: StreamSpec, body: dict[str, Any]) -> None:
        with self.cond:
            self.published.append(body)
            self.cond.notify_all()

    def load_state(self, spec: StreamSpec) -> dict[str, Any] | None:
        return self.state

    def save_state(self, spec: StreamSpec, state: dict[str, Any] | None) -> None:
        self.state = state

    def wait(self, predicate: Any, timeout: float = 30) -> list[dict[str, Any]]:
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self.published), timeout), self.published
            return list(self.published)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    idx = Index(tmp_path_factory.mktemp("index"))
    for seed in (501, 502):
        idx.add(seed, synth_track(seed, 30, SAMPLE_RATE))
    yield idx
    idx.close()


@pytest.fixture(scope="module")
def program_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    audio, _ = Program(
        [Item("song", 30, 501), Item("noise", 20, 1), Item("song", 25, 502, offset=5)],
        song_seconds={501: 30, 502: 30},
    ).render()
    path = tmp_path_factory.mktemp("radio") / "program.mp3"
    write_audio(path, audio, RATE, bitrate=96000)
    return path


def _spec(url: str, before: bool = False) -> StreamSpec:
    return StreamSpec(account_id=1, radio_id=4, url=url, before=before, category="abc")


def test_local_paths_and_file_urls() -> None:
    assert local_path("file:///tmp/a%20b.mp3") == Path("/tmp/a b.mp3")
    assert local_path("/tmp/x.mp3") == Path("/tmp/x.mp3")
    assert local_path("http://h/x.mp3") is None
    with pytest.raises(SourceError):
        open_source("/nonexistent/stream.mp3")


def test_file_url_stream_yields_songs_in_order_with_play_length(
    index: Index, program_file: Path
) -> None:
    host = FakeHost(index)
    events: list[PlayEvent] = []
    worker = StreamWorker(_spec(program_file.as_uri()), host, on_event=events.append)
    worker.start()
    try:
        assert worker.finished.wait(60)
    finally:
        worker.stop()
        worker.join(10)
    songs = [b["result"] for b in host.published if "result" in b]
    assert [s["results"][0]["title"] for s in songs] == ["T501", "T502"]
    assert [s["play_length"] for s in songs] == [30, 25]
    assert abs(events[0].play_length - 30) <= 1  # type: ignore[operator]
    assert events[1].track_position == pytest.approx(5, abs=1)
    # 20 s of noise (~12 s of windows without a match) exceeds `no_music_seconds`.
    codes = [b["notification"]["notification_code"] for b in host.published if "notification" in b]
    assert codes == [651, 0]
    assert host.running == [True, False]
    assert host.state is None  # nothing open, nothing outstanding
    assert worker.audio_seconds == pytest.approx(75, abs=1)


def test_unreachable_source_reports_650_once_and_recovers_on_set_url(
    index: Index, program_file: Path
) -> None:
    host = FakeHost(index)
    worker = StreamWorker(_spec(str(program_file) + ".missing", before=True), host)
    worker.start()
    try:
        host.wait(lambda p: len(p) >= 1)
        worker.set_url(str(program_file))
        published = host.wait(lambda p: sum("result" in b for b in p) >= 2)
    finally:
        worker.stop()
        worker.join(10)
    notes = [b["notification"] for b in published if "notification" in b]
    assert [(n["notification_code"], n["stream_running"]) for n in notes[:2]] == [
        (650, False),
        (0, True),
    ]
    songs = [b["result"] for b in published if "result" in b]
    assert [s["results"][0]["title"] for s in songs] == ["T501", "T502"]
    assert all("play_length" not in s for s in songs)


def test_outstanding_650_survives_a_restart_and_recovery_is_reported(
    index: Index, program_file: Path
) -> None:
    host = FakeHost(index)
    host.state = {"play": None, "down": True, "silent": False}  # saved by the previous process
    worker = StreamWorker(_spec(str(program_file), before=True), host)
    worker.start()
    try:
        published = host.wait(lambda p: len(p) >= 1)
    finally:
        worker.stop()
        worker.join(10)
    assert published[0]["notification"]["notification_code"] == 0
    assert published[0]["notification"]["stream_running"] is True

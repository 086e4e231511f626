"""Play tracking and the 651 rule, fed with synthetic window results (no audio, no engine)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from audd_server.streams import StreamSettings
from audd_server.streams._tracker import MusicMonitor, PlayEvent, PlayTracker, Window

S = StreamSettings()


@dataclass(frozen=True)
class M:
    track_id: int
    score: int
    track_offset: float
    query_start: float
    query_end: float


@dataclass(frozen=True)
class Seg:
    """Track `track_id` plays in the stream over [start, end), from `pos` s into the track."""

    track_id: int
    start: float
    end: float
    pos: float = 0.0
    score: int = 100


def window_matches(ws: float, we: float, segs: list[Seg], min_overlap: float = 1.5) -> list[M]:
    out = []
    for seg in segs:
        lo, hi = max(seg.start, ws), min(seg.end, we)
        if hi - lo < min_overlap:
            continue
        out.append(M(seg.track_id, seg.score, seg.pos + (ws - seg.start), lo - ws, hi - ws))
    return sorted(out, key=lambda m: -m.score)


def run(
    tracker: PlayTracker,
    segs: list[Seg],
    until: float,
    *,
    since: float = 0.0,
    settings: StreamSettings = S,
    extra: dict[float, list[M]] | None = None,
) -> list[PlayEvent]:
    """Feed windows like a worker: first after `min_window_seconds`, then every hop."""
    events: list[PlayEvent] = []
    end = since + settings.min_window_seconds
    while end <= until + 1e-9:
        start = max(since, end - settings.window_seconds)
        matches = window_matches(start, end, segs)
        matches += (extra or {}).get(round(end, 3), [])
        events += tracker.feed(Window(start, end, matches, wall=1_000_000.0 + end))
        end += settings.hop_seconds
    return events


def test_after_mode_reports_each_song_at_its_end_with_exact_play_length() -> None:
    segs = [Seg(1, 0, 40), Seg(2, 52, 100), Seg(3, 100, 131, pos=20)]
    events = run(PlayTracker(before=False), segs, until=160)
    assert [e.kind for e in events] == ["after", "after", "after"]
    assert [e.track_id for e in events] == [1, 2, 3]
    assert [round(e.play_length or 0, 2) for e in events] == [40, 48, 31]
    assert [round(e.start, 2) for e in events] == [0, 52, 100]
    assert events[2].track_position == pytest.approx(20)
    # Reported once the song is over (after its end, within a window and two hops).
    for e, seg in zip(events, segs, strict=True):
        assert seg.end <= e.decided_at <= seg.end + S.window_seconds + 3 * S.hop_seconds
    assert events[1].started_wall == pytest.approx(1_000_000.0 + 52)


def test_before_mode_reports_as_soon_as_recognized_without_play_length() -> None:
    segs = [Seg(1, 0, 40), Seg(2, 52, 100)]
    events = run(PlayTracker(before=True), segs, until=130)
    assert [(e.kind, e.track_id) for e in events] == [("before", 1), ("before", 2)]
    assert all(e.play_length is None and e.end is None for e in events)
    assert events[1].start == pytest.approx(52)
    assert events[1].decided_at - 52 <= S.hop_seconds + 1.5 + 1e-6


def test_weak_matches_need_agreeing_windows_and_strays_are_ignored() -> None:
    # Out-of-catalog audio: weak matches that never agree on a track and alignment.
    extra = {
        6.0: [M(7, 40, 10.0, 1.0, 5.0)],
        8.0: [M(8, 44, 3.0, 0.0, 6.0)],
        10.0: [M(7, 35, 50.0, 2.0, 9.0)],
        14.0: [M(9, 65, 1.0, 2.0, 9.0)],
    }
    assert run(PlayTracker(before=True), [], until=60, extra=extra) == []
    # Consistent but weak (below confirm_score) for many windows: still nothing.
    weak = [Seg(5, 0, 60, score=S.confirm_score - 5)]
    assert run(PlayTracker(before=True), weak, until=90) == []
    # Moderate but consistent: believed after `confirm_windows` windows.
    moderate = [Seg(5, 0, 60, score=S.confirm_score + 5)]
    events = run(PlayTracker(before=True), moderate, until=90)
    first_window = S.min_window_seconds
    expected = first_window + (S.confirm_windows - 1) * S.hop_seconds
    assert [(e.track_id, e.decided_at) for e in events] == [(5, expected)]


def test_close_competitor_on_the_same_audio_is_an_alternative() -> None:
    segs = [Seg(1, 0, 40), Seg(11, 0, 40, score=92), Seg(12, 0, 40, score=50)]
    events = run(PlayTracker(before=False), segs, until=70)
    assert len(events) == 1
    assert events[0].track_id == 1
    assert events[0].alternatives == ((11, 92),)
    before = run(PlayTracker(before=True), segs, until=70)
    assert before[0].alternatives == ((11, 92),)


def test_next_song_is_not_mistaken_for_an_alternative_at_the_boundary() -> None:
    segs = [Seg(1, 0, 30), Seg(2, 30, 60)]
    events = run(PlayTracker(before=False), segs, until=90)
    assert [(e.track_id, e.alternatives) for e in events] == [(1, ()), (2, ())]


def test_same_song_twice_in_a_row_is_two_plays() -> None:
    segs = [Seg(1, 0, 30), Seg(1, 30, 60)]
    events = run(PlayTracker(before=False), segs, until=90)
    assert [(e.track_id, round(e.play_length or 0)) for e in events] == [(1, 30), (1, 30)]


def test_chance_hits_stretching_one_window_do_not_move_the_start() -> None:
    segs = [Seg(1, 0, 20), Seg(2, 20, 50, pos=10)]
    # One window claims song 2's aligned audio began 4 s early (a few chance hits).
    extra = {24.0: [M(2, 100, 10 + (14 - 20), 2.0, 10.0)]}
    tracker = PlayTracker(before=False)
    events = run(tracker, segs, until=80, extra=extra)
    assert [e.track_id for e in events] == [1, 2]
    assert events[1].start == pytest.approx(20, abs=0.01)
    assert events[1].play_length == pytest.approx(30, abs=0.01)


def test_end_snaps_to_the_track_duration_when_heard_to_the_end() -> None:
    segs = [Seg(1, 0, 39.2)]  # the last 0.8 s carried no hashes
    events = run(PlayTracker(before=False, duration_of=lambda _: 40.0), segs, until=70)
    assert events[0].play_length == pytest.approx(40)


def test_interrupted_play_resumes_across_a_restart_without_a_second_report() -> None:
    segs = [Seg(1, 0, 40)]
    first = PlayTracker(before=True)
    assert [e.kind for e in run(first, segs, until=20)] == ["before"]
    state = first.checkpoint()
    assert state is not None
    assert state["announced"] is True
    # The server was down for 6 s of broadcast; the new connection's positions restart at 0.
    rest = [Seg(1, 0, 14, pos=26)]
    again = PlayTracker(before=True, resume=state)
    assert run(again, rest, until=40) == []
    after = PlayTracker(before=False, resume={**state, "announced": False})
    events = run(after, rest, until=40)
    assert [(e.kind, e.track_id) for e in events] == [("after", 1)]
    assert events[0].play_length == pytest.approx(40, abs=0.01)


def test_checkpoint_is_closed_when_something_else_plays() -> None:
    first = PlayTracker(before=False)
    run(first, [Seg(1, 0, 40)], until=20)
    state = first.checkpoint()
    second = PlayTracker(before=False, resume=state)
    events = run(second, [Seg(2, 0, 40)], until=60)
    assert [(e.track_id, round(e.play_length or 0)) for e in events] == [(1, 20), (2, 40)]


def test_suspend_keeps_the_open_play_and_a_reconnect_continues_it() -> None:
    tracker = PlayTracker(before=False)
    run(tracker, [Seg(1, 0, 40)], until=16)
    assert tracker.suspend() == []
    assert tracker.playing is None
    # Reconnected 2 s of broadcast later; stream positions go on from 16.
    events = run(tracker, [Seg(1, 16, 38, pos=18)], since=16, until=70)
    assert [(e.track_id, round(e.play_length or 0)) for e in events] == [(1, 40)]


def test_resumed_play_is_reported_when_the_stream_stays_down() -> None:
    tracker = PlayTracker(before=False)
    run(tracker, [Seg(1, 0, 40)], until=24)
    tracker.suspend()
    events = tracker.close_resumed()
    assert [(e.track_id, round(e.play_length or 0)) for e in events] == [(1, 24)]
    assert PlayTracker(before=True, resume=tracker.checkpoint()).close_resumed() == []


def test_settings_change_timing_not_outcome() -> None:
    fast = replace(S, hop_seconds=1.0)
    segs = [Seg(1, 0, 30), Seg(2, 30, 60)]
    events = run(PlayTracker(before=False, settings=fast), segs, until=90, settings=fast)
    assert [(e.track_id, round(e.play_length or 0)) for e in events] == [(1, 30), (2, 30)]


def test_music_monitor_reports_651_once_then_recovery() -> None:
    mon = MusicMonitor(no_music_seconds=60)
    mon.reset(0.0)
    verdicts = [mon.feed(t, music=False) for t in range(2, 121, 2)]
    assert verdicts.count("no_music") == 1
    assert verdicts.index("no_music") == 29  # at t = 60
    assert mon.silent
    assert mon.feed(122.0, music=True) == "music"
    assert mon.feed(124.0, music=True) is None
    assert mon.feed(150.0, music=False) is None


def test_music_monitor_counts_from_the_last_music() -> None:
    mon = MusicMonitor(no_music_seconds=10)
    assert mon.feed(4.0, music=True) is None
    assert mon.feed(13.0, music=False) is None
    assert mon.feed(14.0, music=False) == "no_music"


def test_sparse_passage_before_the_end_and_stray_late_hits_do_not_move_the_end() -> None:
    # Song 1 carries no hashes over [25, 27.5) (a quiet passage), then plays on until 29.
    def song1(ws: float, we: float) -> list[M]:
        parts = [(max(a, ws), min(b, we)) for a, b in ((0.0, 25.0), (27.5, 29.0))]
        parts = [(a, b) for a, b in parts if b > a]
        if sum(b - a for a, b in parts) < 1.5:
            return []
        return [M(1, 100, ws, parts[0][0] - ws, parts[-1][1] - ws)]

    extra: dict[float, list[M]] = {}
    end = S.min_window_seconds
    while end <= 100:
        extra[round(end, 3)] = song1(max(0.0, end - S.window_seconds), end)
        end += S.hop_seconds
    # One late window claims song 1 went on to 34 (chance hits in song 2's audio).
    extra[36.0] = [M(1, 80, 26.0, 0.0, 8.0)]
    events = run(PlayTracker(before=False), [Seg(2, 29, 60)], until=100, extra=extra)
    assert [e.track_id for e in events] == [1, 2]
    assert events[0].end == pytest.approx(29, abs=0.01)
    assert events[1].start == pytest.approx(29, abs=0.01)

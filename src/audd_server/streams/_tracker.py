"""Play tracking: turn per-window engine matches into one report per song play (pure, no I/O).

Positions are seconds of stream audio. A window's match says where the track's t=0 sits in the
stream (its *anchor*: window start − `track_offset`) and which part of the window carried aligned
audio (`query_start`..`query_end`); the first and last aligned audio seen over a play place its
start and end to well under a second, whatever the hop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from audd_server.streams._settings import StreamSettings


class MatchLike(Protocol):
    """What the tracker reads from an engine match (`audd_server.engine.Match`)."""

    @property
    def track_id(self) -> int: ...
    @property
    def score(self) -> int: ...
    @property
    def track_offset(self) -> float: ...
    @property
    def query_start(self) -> float: ...
    @property
    def query_end(self) -> float: ...


@dataclass(frozen=True)
class Window:
    """One engine query over stream audio [start, end) and its matches, best first."""

    start: float
    end: float
    matches: Sequence[MatchLike]
    wall: float = 0.0
    """Unix time when the window's last sample arrived (dates the plays)."""


@dataclass(frozen=True)
class PlayEvent:
    """A song to report: `before` when a play is recognized, `after` when it has ended."""

    kind: Literal["before", "after"]
    track_id: int
    score: int
    alternatives: tuple[tuple[int, int], ...]
    """(track_id, score) of close competitors, best first."""
    start: float
    """Stream position where the play began (may precede the current connection if resumed)."""
    end: float | None
    play_length: float | None
    track_position: float
    """Where in the track the play began (0 when the song was played from its start)."""
    decided_at: float
    """Stream position at which this event was decided (detection delay = decided_at − start)."""
    started_wall: float
    """Unix time the play began."""


_EDGE = 0.5  # s of window beyond the aligned audio for a window to show where a song starts/ends


@dataclass
class _Cand:
    track_id: int
    score: int
    anchor: float
    first: float
    last: float
    w_start: float
    w_end: float

    @classmethod
    def of(cls, w: Window, m: MatchLike) -> _Cand:
        return cls(
            track_id=int(m.track_id),
            score=int(m.score),
            anchor=w.start - float(m.track_offset),
            first=w.start + float(m.query_start),
            last=w.start + float(m.query_end),
            w_start=w.start,
            w_end=w.end,
        )

    def overlaps(self, other: _Cand, fraction: float = 0.5) -> bool:
        """Whether both matched mostly the same stretch of audio (competitors, not neighbours)."""
        inter = min(self.last, other.last) - max(self.first, other.first)
        shorter = min(self.last - self.first, other.last - other.first)
        return shorter > 0 and inter >= fraction * shorter


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _consensus(values: Sequence[float], *, prefer_late: bool, tol: float = 0.5) -> float:
    """Median of the largest group of estimates agreeing within `tol` (ties: earliest group,
    or latest with `prefer_late`). Windows that hold the song's true edge agree with each other;
    a stray chance hit, or a sparse passage inside the song, gives a value few windows share."""
    best: list[float] = []
    for v in values:
        group = [x for x in values if abs(x - v) <= tol]
        later = bool(best) and _median(group) > _median(best)
        if len(group) > len(best) or (len(group) == len(best) and later == prefer_late):
            best = group
    return _median(best)


@dataclass
class _Play:
    """A play being tracked.

    Each window that also holds audio from before (after) the song estimates where the song
    starts (ends); chance hash hits can stretch one window's aligned span into the neighbouring
    audio, so the play takes the consensus of those estimates (`_consensus`).
    """

    track_id: int
    anchor: float
    lo: float
    hi: float
    score: int
    starts: list[float] = field(default_factory=list)
    starts_done: bool = False
    ends: list[float] = field(default_factory=list)
    successor: _Play | None = None
    """The play confirmed right after this one: this one ends where that one begins at latest."""
    hits: int = 1
    votes: int = 0
    """Windows that scored at least `confirm_score`."""
    seen_at: float = 0.0
    alts: dict[int, int] = field(default_factory=dict)
    announced: bool = False
    track_start: float | None = None
    """Track position at play start; fixed when resumed from a checkpoint."""
    started_wall: float | None = None
    vote_score: int = 0

    @classmethod
    def of(cls, c: _Cand, pos: float, vote_score: int = 0) -> _Play:
        play = cls(
            track_id=c.track_id,
            anchor=c.anchor,
            lo=c.first,
            hi=c.last,
            score=c.score,
            seen_at=pos,
            vote_score=vote_score,
        )
        play._note(c)
        play.votes = int(c.score >= vote_score)
        return play

    def _note(self, c: _Cand) -> None:
        if c.w_start < c.first - _EDGE:
            if not self.starts_done:
                self.starts.append(c.first)
        else:
            self.starts_done = True  # windows now begin inside the song
        if c.w_end > c.last + _EDGE:
            self.ends.append(c.last)
        else:
            self.ends.clear()  # the song went on to the window's end: that was no end

    def extend(self, c: _Cand, pos: float) -> None:
        self.lo = min(self.lo, c.first)
        self.hi = max(self.hi, c.last)
        self._note(c)
        self.score = max(self.score, c.score)
        self.hits += 1
        self.votes += int(c.score >= self.vote_score)
        self.seen_at = pos

    @property
    def first(self) -> float:
        """Stream position where the play's audio begins."""
        return _consensus(self.starts, prefer_late=True) if self.starts else self.lo

    @property
    def last(self) -> float:
        """Stream position where the play's audio ends (so far)."""
        return _consensus(self.ends, prefer_late=False) if self.ends else self.hi

    @property
    def track_first(self) -> float:
        return self.first - self.anchor

    @property
    def track_last(self) -> float:
        return self.last - self.anchor

    def add_alt(self, track_id: int, score: int) -> None:
        if track_id != self.track_id:
            self.alts[track_id] = max(score, self.alts.get(track_id, 0))

    def consistent(self, c: _Cand, tolerance: float) -> bool:
        return c.track_id == self.track_id and abs(c.anchor - self.anchor) <= tolerance


def _sorted_alts(alts: dict[int, int], limit: int) -> tuple[tuple[int, int], ...]:
    return tuple(sorted(alts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


class PlayTracker:
    """State machine fed one `Window` at a time; returns the `PlayEvent`s each window decides.

    A play is believed once `confirm_windows` windows agree on its track and alignment (or one
    window scores `strong_score`); it ends when a different song is confirmed after it or when
    nothing of it was heard for `end_gap` seconds. `suspend()` marks a discontinuity (reconnect,
    restart): the open play becomes a checkpoint that the next connection either continues (same
    track, position moving forward: no duplicate report, full `play_length`) or closes.
    """

    def __init__(
        self,
        *,
        before: bool,
        settings: StreamSettings | None = None,
        resume: dict[str, Any] | None = None,
        duration_of: Callable[[int], float | None] | None = None,
    ) -> None:
        self.before = before
        self._duration_of = duration_of
        self._closing: list[_Play] = []
        self._recent: list[_Play] = []
        self.s = settings or StreamSettings()
        self.end_gap = self.s.window_seconds + 2 * self.s.hop_seconds
        self._play: _Play | None = None
        self._pending: _Play | None = None
        self._resume: dict[str, Any] | None = resume
        self._segment_start: float | None = None
        self._last_pos = 0.0

    # -- public ------------------------------------------------------------------------------

    @property
    def playing(self) -> int | None:
        """Track id of the open (confirmed) play, if any."""
        return self._play.track_id if self._play is not None else None

    def feed(self, w: Window) -> list[PlayEvent]:
        """Account for one window; windows must come in stream order."""
        s = self.s
        tol = s.anchor_tolerance
        pos = w.end
        self._last_pos = pos
        if self._segment_start is None:
            self._segment_start = w.start
        events: list[PlayEvent] = []
        cands = [_Cand.of(w, m) for m in w.matches]
        used: set[int] = set()

        def take(play: _Play) -> _Cand | None:
            for i, c in enumerate(cands):
                if i not in used and play.consistent(c, tol):
                    used.add(i)
                    return c
            return None

        if self._resume is not None:
            rid = int(self._resume["track_id"])
            rlast = float(self._resume["track_last"])
            for i, c in enumerate(cands):
                # Same track, heard further on than where the checkpoint left it: the same play.
                if c.track_id == rid and c.w_end - c.anchor >= rlast - tol:
                    if self._play is not None:  # a play heard before the gap cannot go on
                        self._closing.append(self._play)
                    self._play = self._from_resume(c, pos)
                    self._resume = None
                    used.add(i)
                    break
            else:
                if pos - self._segment_start > s.window_seconds + 2 * s.hop_seconds:
                    events += self.close_resumed(pos)

        play = self._play
        cur: _Cand | None = None
        if play is not None:
            cur = take(play)
            if cur is not None:
                play.extend(cur, pos)
        for old in self._closing:
            tail = take(old)
            if tail is not None:
                old.extend(tail, pos)
        for old in self._recent:
            if take(old) is not None:
                old.seen_at = pos  # the tail of a reported play: never a new one
        if play is not None:
            for i, c in enumerate(cands):
                # Audio that ends where this play's audio ends is a competitor (near-duplicate),
                # not a new song: the next song goes on after this play's audio stops.
                if i in used or c.last > play.hi + 2 * tol:
                    continue
                used.add(i)
                close = cur is not None and c.score >= cur.score - s.alternative_margin
                if cur is not None and close and c.overlaps(cur):
                    play.add_alt(c.track_id, c.score)

        fresh = [c for i, c in enumerate(cands) if i not in used]
        pending = self._pending
        if pending is not None and pos - pending.seen_at > 2 * s.hop_seconds + 1e-6:
            pending = None
        if fresh:
            best = max(fresh, key=lambda c: c.score)
            taken = True
            if pending is not None and pending.consistent(best, tol):
                pending.extend(best, pos)
            elif pending is None or best.score >= pending.score:
                pending = _Play.of(best, pos, s.confirm_score)
            else:
                taken = False  # a weaker stray: the pending play may still be confirmed
            if taken:
                assert pending is not None
                for c in fresh:
                    close = c.score >= best.score - s.alternative_margin
                    if c is not best and close and c.overlaps(best):
                        pending.add_alt(c.track_id, c.score)
        self._pending = pending

        if pending is not None and (
            pending.votes >= s.confirm_windows or pending.score >= s.strong_score
        ):
            if self._play is not None:
                # Keep listening to the old play's tail (it may overlap this window) before
                # closing it: its end is where its aligned audio stops, or where this one began.
                self._play.successor = pending
                self._closing.append(self._play)
            if self._resume is not None:
                events += self.close_resumed(pos)
            self._pending = None
            self._play = pending
            self._date(pending, w)
            if self.before:
                events.append(self._event("before", pending, pos))
                pending.announced = True
        elif self._play is not None and cur is None and pos - self._play.hi > self.end_gap:
            self._closing.append(self._play)
            self._play = None

        for old in [p for p in self._closing if p.seen_at < pos]:
            self._closing.remove(old)
            events += self._finish(old, pos)
        self._recent = [
            p for p in self._recent if pos - p.seen_at <= s.window_seconds + 2 * s.hop_seconds
        ]
        return events

    def suspend(self) -> list[PlayEvent]:
        """Stream discontinuity: keep the open play as a checkpoint the next audio may continue.

        Returns the reports of plays that were already closing (their successor was heard).
        """
        events: list[PlayEvent] = []
        for old in self._closing:
            events += self._finish(old, self._last_pos)
        self._closing = []
        self._recent = []
        if self._play is not None:
            self._resume = self.checkpoint()
            self._play = None
        self._pending = None
        self._segment_start = None
        return events

    def checkpoint(self) -> dict[str, Any] | None:
        """The open play (or pending resume) as plain data to persist across restarts."""
        play = self._play
        if play is None:
            return dict(self._resume) if self._resume is not None else None
        return {
            "track_id": play.track_id,
            "track_start": self._track_start(play),
            "track_last": play.track_last,
            "score": play.score,
            "alternatives": [list(a) for a in _sorted_alts(play.alts, 100)],
            "announced": play.announced,
            "started_wall": play.started_wall or 0.0,
        }

    def close_resumed(self, pos: float | None = None) -> list[PlayEvent]:
        """Give up on continuing a checkpointed play (stream down, or something else playing)."""
        r = self._resume
        self._resume = None
        if r is None or self.before:
            return []
        track_start = float(r["track_start"])
        track_end = float(r["track_last"])
        duration = self._duration_of(int(r["track_id"])) if self._duration_of else None
        if duration and duration - track_end <= self.s.start_snap_seconds:
            track_end = duration
        length = max(0.0, track_end - track_start)
        at = self._last_pos if pos is None else pos
        return [
            PlayEvent(
                kind="after",
                track_id=int(r["track_id"]),
                score=int(r["score"]),
                alternatives=tuple(
                    (int(a[0]), int(a[1]))
                    for a in r.get("alternatives", [])[: self.s.max_alternatives]
                ),
                start=at - length,
                end=at,
                play_length=length,
                track_position=track_start,
                decided_at=at,
                started_wall=float(r.get("started_wall", 0.0)),
            )
        ]

    # -- internals ---------------------------------------------------------------------------

    def _track_start(self, play: _Play) -> float:
        if play.track_start is not None:
            return play.track_start
        return 0.0 if play.track_first <= self.s.start_snap_seconds else play.track_first

    def _start(self, play: _Play) -> float:
        return play.anchor + self._track_start(play)

    def _date(self, play: _Play, w: Window) -> None:
        if play.started_wall is None:
            play.started_wall = w.wall - (w.end - self._start(play))

    def _from_resume(self, c: _Cand, pos: float) -> _Play:
        r = self._resume
        assert r is not None
        play = _Play.of(c, pos)
        play.track_start = float(r["track_start"])
        play.score = max(play.score, int(r["score"]))
        play.announced = bool(r["announced"])
        play.started_wall = float(r.get("started_wall", 0.0))
        play.votes = self.s.confirm_windows
        for tid, score in r.get("alternatives", []):
            play.add_alt(int(tid), int(score))
        return play

    def _event(
        self, kind: Literal["before", "after"], play: _Play, pos: float, end: float | None = None
    ) -> PlayEvent:
        start = self._start(play)
        return PlayEvent(
            kind=kind,
            track_id=play.track_id,
            score=play.score,
            alternatives=_sorted_alts(play.alts, self.s.max_alternatives),
            start=start,
            end=end,
            play_length=None if end is None else max(0.0, end - start),
            track_position=self._track_start(play),
            decided_at=pos,
            started_wall=play.started_wall or 0.0,
        )

    def _end(self, play: _Play) -> float:
        duration = self._duration_of(play.track_id) if self._duration_of else None
        end = play.last
        if duration and duration - play.track_last <= self.s.start_snap_seconds:
            end = play.anchor + duration  # heard to (nearly) its last note: it ended with it
        if play.successor is not None:
            end = min(end, self._start(play.successor))
        return end

    def _finish(self, play: _Play, pos: float) -> list[PlayEvent]:
        self._recent.append(play)
        if self.before:
            return []
        return [self._event("after", play, pos, end=self._end(play))]


class MusicMonitor:
    """Decides notification 651: `no_music_seconds` of stream audio without any catalog match."""

    def __init__(self, no_music_seconds: float) -> None:
        self.no_music_seconds = no_music_seconds
        self._since: float | None = None
        self.silent = False
        """True while a 651 is outstanding."""

    def reset(self, pos: float) -> None:
        """Start counting afresh (a new connection): no verdict on audio not yet heard."""
        self._since = pos

    def feed(self, pos: float, music: bool) -> Literal["no_music", "music"] | None:
        """Feed one window's outcome; returns a transition to notify, if any."""
        if self._since is None:
            self._since = pos
        if music:
            self._since = pos
            if self.silent:
                self.silent = False
                return "music"
            return None
        if not self.silent and pos - self._since >= self.no_music_seconds:
            self.silent = True
            return "no_music"
        return None

"""The fingerprint index: segments + delta, offset-histogram voting, weighted-evidence scoring.

Layout of the index directory:
  manifest.json                  segments (name, time_bits), delta logs to replay, tombstones
  seg-NNNNNNNN.{hashes,postings,docs}.npy   immutable, memory-mapped segments
  delta-NNNNNNNN.log             append-only log of adds/removes since the last compaction

Durability: `add`/`remove` append an fsynced record to the current delta log before returning,
so a new `Index(dir)` replays everything. `compact()` writes the delta into a segment and
switches to a fresh log; the manifest is replaced atomically at each step, listing every log
still needed, so a crash at any point loses nothing.

Concurrency: queries take a snapshot (a tuple of immutable structures) under a short lock and
then run lock-free. Several processes may open one directory (a server and `audd-server catalog
add`): writers append under an `flock` on `index.lock` after catching up with the log, so every
process applies the same records in the same order; compactions take `compact.lock` too. Each
process sees the others' changes through `refresh()` (two `stat` calls when nothing changed),
which every query runs first.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from . import _params as P
from ._fingerprint import fingerprint, query_fingerprints
from ._store import (
    DocRecord,
    FileLock,
    FileSig,
    LogRecord,
    Postings,
    append_record,
    file_sig,
    read_log,
)

__all__ = ["DEFAULT_MIN_SCORE", "Index", "Match"]

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]

# Decision rule. Evidence for a track is the IDF-weighted count (weight 1/sqrt(postings of the
# hash)) of reference hashes aligned at its best offset (±OFFSET_TOLERANCE frames), capped at
# EVIDENCE_BIN_CAP per anchor frequency bin, and scaled down when the best offset is less than
# MIN_SHARPNESS times stronger than the track's runner-up offset. score = SCORE_PER_EVIDENCE ×
# evidence, clipped to 0..100. A match is returned by default when its score reaches
# DEFAULT_MIN_SCORE, with aligned hits from at least MIN_SECONDS distinct seconds of the query.
# The threshold comes from benchmarks/engine.py: out-of-catalog clips match <= 1 % of the time.
EVIDENCE_BIN_CAP = 2.0
# Pseudo-count added to a hash's postings before weighting: in a small catalog a hash seen once
# is not known to be rare, so it must not weigh as if it were.
HASH_PRIOR = 3.0
MIN_SHARPNESS = 1.5
SCORE_PER_EVIDENCE = 5.5
DEFAULT_MIN_SCORE = 50
MIN_SECONDS = 2
MIN_ALIGNED = 5
PRESELECT = 48  # documents with the most hits that get an offset histogram
CANDIDATES = 10  # documents whose best offset is verified in detail
OFFSET_TOLERANCE = 1  # frames either side of the best offset that count as aligned
AUTO_COMPACT_POSTINGS = 2_000_000  # delta size that triggers a background compaction
MAX_SEGMENT_TIERS = 8

_MANIFEST = "manifest.json"
_LOCK = "index.lock"  # flock: log appends, manifest swaps and file retirement, all processes
_COMPACT_LOCK = "compact.lock"  # flock: held for a whole compaction
# Recorded in the manifest: hashes from other analysis settings would silently never match.
_PARAMS = {"sample_rate": P.SAMPLE_RATE, "n_fft": P.N_FFT, "hop": P.HOP}
_OFF_BIAS = 1 << 31


@dataclass(frozen=True)
class Match:
    track_id: int  # id given to Index.add
    score: int  # 0..100, calibrated; >= decision threshold when returned by default
    track_offset: float  # seconds: where the query's t=0 sits inside the track
    query_start: float  # seconds within the query where aligned hits begin
    query_end: float  # seconds within the query where aligned hits end
    aligned: int  # aligned hash hits


@dataclass(frozen=True)
class _Snapshot:
    structures: tuple[Postings, ...]
    tombstones: npt.NDArray[np.int64]  # sorted document numbers


@dataclass(frozen=True)
class _Candidate:
    match: Match
    seconds: int  # distinct query seconds with aligned hits
    evidence: float
    peak: float  # weighted votes at the best offset
    runner_up: float  # weighted votes at the best other offset of the same track


@dataclass
class _Hits:
    doc: I64
    track: I64
    t_ref: I64
    t_query: I64
    shift: I64
    post: I64  # globally unique posting id, to count each reference hash once
    weight: npt.NDArray[np.float32]  # 1/sqrt(postings of the hash): common hashes weigh less
    f1: I64  # anchor frequency bin of the hash


class Index:
    """Thread-safe landmark index stored in one directory, shareable between processes."""

    def __init__(self, directory: Path | str) -> None:
        self._dir = Path(directory)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()  # guards the structure references and counters
        # Serialises this process's log appends, delta rebuilds and catch-ups; taken before
        # `_file_lock`, which does the same between processes.
        self._write_lock = threading.Lock()
        self._compact_lock = threading.Lock()  # one compaction at a time in this process ...
        self._file_lock = FileLock(self._dir / _LOCK)
        self._compact_file_lock = FileLock(self._dir / _COMPACT_LOCK)  # ... and across them
        self._closed = False
        self._bg: threading.Thread | None = None

        self._segments: list[tuple[str, Postings]] = []
        self._next_segment = 1
        self._next_log = 1
        self._next_doc = 0
        self._tombstones: set[int] = set()
        self._track_docs: dict[int, set[int]] = {}
        self._delta_records: list[DocRecord] = []
        self._delta = Postings.empty()
        self._frozen: Postings | None = None
        self._logs: list[str] = []
        # Where this process stands: the manifest it loaded and how far it read the current log.
        self._manifest_sig: FileSig | None = None
        self._log_sig: FileSig | None = None
        self._log_pos = 0
        self._log_fh: BinaryIO | None = None
        try:
            with self._file_lock.hold():
                if not self._read_manifest().get("logs"):
                    # New directory: the first log must be named in a manifest before use.
                    self._reload()
                    self._logs = [self._new_log_name()]
                    self._write_manifest()
                self._reload()
        except BaseException:
            self._release_files()
            raise

    # --- persistence helpers -----------------------------------------------------------------

    def _read_manifest(self) -> dict[str, Any]:
        path = self._dir / _MANIFEST
        if not path.exists():
            return {"segments": [], "logs": []}
        data: dict[str, Any] = json.loads(path.read_text())
        if data.get("params", _PARAMS) != _PARAMS:
            raise ValueError(
                f"index in {self._dir} was built with analysis parameters {data['params']},"
                f" this engine uses {_PARAMS}: rebuild it from the catalog"
            )
        return data

    def _write_manifest(self) -> None:
        """Replace the manifest atomically (call with `_file_lock` held)."""
        data = {
            "version": 1,
            "params": _PARAMS,
            "segments": [{"name": n, "time_bits": s.time_bits} for n, s in self._segments],
            "logs": self._logs,
            "tombstones": sorted(self._tombstones),
            "next_segment": self._next_segment,
            "next_log": self._next_log,
            "next_doc": self._next_doc,
        }
        tmp = self._dir / (_MANIFEST + ".tmp")
        with open(tmp, "w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._dir / _MANIFEST)
        self._manifest_sig = file_sig(self._dir / _MANIFEST)

    def _new_log_name(self) -> str:
        name = f"delta-{self._next_log:08d}.log"
        self._next_log += 1
        return name

    def _log_path(self) -> Path:
        return self._dir / self._logs[-1]

    def _open_log(self, name: str, pos: int) -> None:
        if self._log_fh is not None:
            self._log_fh.close()
        self._log_fh = open(self._dir / name, "ab")  # noqa: SIM115
        self._log_pos = pos
        self._log_sig = file_sig(self._dir / name)

    def _reload(self) -> None:
        """Rebuild the state from the manifest and its logs (call with `_file_lock` held, so
        no segment it names is being retired and no record is half-written)."""
        manifest = self._read_manifest()
        loaded = dict(self._segments)
        segments = [
            (
                s["name"],
                loaded.get(s["name"]) or Postings.load(self._dir, s["name"], int(s["time_bits"])),
            )
            for s in manifest["segments"]
        ]
        tombstones = {int(d) for d in manifest.get("tombstones", [])}
        track_docs: dict[int, set[int]] = {}
        next_doc = max(self._next_doc, int(manifest.get("next_doc", 0)))
        for _, seg in segments:
            for doc, tid in zip(seg.docs.tolist(), seg.track_ids.tolist(), strict=False):
                next_doc = max(next_doc, doc + 1)
                if doc not in tombstones:
                    track_docs.setdefault(tid, set()).add(doc)
        records: list[DocRecord] = []
        logs: list[str] = list(manifest.get("logs", []))
        end = 0
        for name in logs:
            replayed, end = read_log(self._dir / name)
            self._truncate(self._dir / name, end)
            for rec in replayed:
                next_doc = max(next_doc, rec.doc + 1)
                _replay(rec, track_docs, tombstones, records)
        delta = Postings.build(records, wide=True)
        with self._lock:
            self._segments = segments
            self._tombstones = tombstones
            self._track_docs = track_docs
            self._delta_records = records
            self._delta = delta
            self._frozen = None
            self._logs = logs
            self._next_doc = next_doc
            self._next_segment = max(
                self._next_segment, int(manifest.get("next_segment", len(segments) + 1))
            )
            self._next_log = max(self._next_log, int(manifest.get("next_log", 1)))
        self._manifest_sig = file_sig(self._dir / _MANIFEST)
        if logs:
            self._open_log(logs[-1], end)

    @staticmethod
    def _truncate(path: Path, valid: int) -> None:
        """Drop a torn tail: only with `_file_lock` held, when no writer can be mid-append."""
        if path.exists() and path.stat().st_size > valid:
            with open(path, "r+b") as fh:
                fh.truncate(valid)

    def _catch_up(self, *, locked: bool) -> bool:
        """Apply what other processes wrote since this one last looked (call with
        `_write_lock` held; `locked`: `_file_lock` is held too). True when anything changed."""
        if file_sig(self._dir / _MANIFEST) != self._manifest_sig:
            # Another process compacted: segments and logs changed under us.
            if self._frozen is not None:
                log.warning("index manifest replaced during this process's compaction")
            if locked:
                self._reload()
            else:
                with self._file_lock.hold():
                    self._reload()
            return True
        path = self._log_path()
        sig = file_sig(path)
        if sig == self._log_sig:
            return False
        records, end = read_log(path, self._log_pos)
        if locked:
            self._truncate(path, end)
            sig = file_sig(path)
        self._log_pos, self._log_sig = end, sig
        if records:
            self._apply_records(records)
        return bool(records)

    def _apply_records(self, records: list[LogRecord]) -> None:
        """Apply log records in log order (call with `_write_lock` held)."""
        added = [r.record for r in records if r.record is not None]
        delta = self._delta
        if len(added) <= 4:
            for rec in added:
                delta = delta.extended(rec)
        else:
            delta = Postings.build([*self._delta_records, *added], wide=True)
        with self._lock:
            for r in records:
                self._next_doc = max(self._next_doc, r.doc + 1)
                _replay(r, self._track_docs, self._tombstones, self._delta_records)
            self._delta = delta

    def _append(self, rec: LogRecord) -> None:
        """Log a record durably and apply it (call with `_write_lock` and `_file_lock` held,
        after `_catch_up`, so the record lands right after everything already applied)."""
        assert self._log_fh is not None
        append_record(self._log_fh, rec)
        st = os.fstat(self._log_fh.fileno())
        self._log_pos, self._log_sig = st.st_size, (st.st_ino, st.st_size, st.st_mtime_ns)
        self._apply_records([rec])

    # --- public API ----------------------------------------------------------------------------

    def refresh(self) -> bool:
        """See the adds, removes and compactions other processes made in the directory.

        Costs two `stat` calls when nothing changed; otherwise new log records are applied
        incrementally, and a replaced manifest (another process compacted) is reloaded, reusing
        the segments already mapped. Queries call it first. Returns whether anything changed.
        """
        if self._closed or (
            file_sig(self._dir / _MANIFEST) == self._manifest_sig
            and file_sig(self._log_path()) == self._log_sig
        ):
            return False
        with self._write_lock:
            if self._closed:
                return False
            return self._catch_up(locked=False)

    def add(self, track_id: int, samples: npt.NDArray[np.float32]) -> int:
        """Fingerprint and add a track (replacing any earlier version); returns its hash count."""
        fp = fingerprint(samples)
        n_frames = max(1, 1 + (len(samples) - P.N_FFT) // P.HOP)
        with self._write_lock:
            self._check_open()
            with self._file_lock.hold():
                self._catch_up(locked=True)
                doc = self._next_doc
                rec = DocRecord(doc, int(track_id), n_frames, fp.hashes, fp.times)
                self._append(LogRecord("add", doc, int(track_id), rec))
            big = len(self._delta) >= AUTO_COMPACT_POSTINGS
        if big:
            self._compact_in_background()
        return len(fp)

    def remove(self, track_id: int) -> None:
        """Forget a track; its postings are dropped physically at a later compaction."""
        with self._write_lock:
            self._check_open()
            with self._file_lock.hold():
                self._catch_up(locked=True)
                self._append(LogRecord("remove", -1, int(track_id), None))

    def __contains__(self, track_id: int) -> bool:
        self.refresh()
        with self._lock:
            return int(track_id) in self._track_docs

    def track_ids(self) -> list[int]:
        self.refresh()
        with self._lock:
            return sorted(self._track_docs)

    def compact(self) -> None:
        """Merge the delta into an immutable segment (and small segments together)."""
        with self._compact_lock, self._compact_file_lock.hold():
            self._compact()

    def close(self) -> None:
        bg = self._bg
        if bg is not None:
            bg.join()
        with self._write_lock:
            if not self._closed:
                self._closed = True
                self._release_files()

    def _release_files(self) -> None:
        if self._log_fh is not None:
            self._log_fh.close()
        self._file_lock.close()
        self._compact_file_lock.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> dict[str, int]:
        """Sizes for monitoring and benchmarks."""
        self.refresh()
        with self._lock:
            structures = [s for _, s in self._segments] + [self._delta]
            if self._frozen is not None:
                structures.append(self._frozen)
            n_tracks = len(self._track_docs)
        disk = sum(p.stat().st_size for p in self._dir.iterdir() if p.is_file())
        return {
            "tracks": n_tracks,
            "postings": sum(len(s) for s in structures),
            "segments": len(self._segments),
            "delta_postings": len(self._delta),
            "disk_bytes": disk,
        }

    # --- compaction ----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("index is closed")

    def _compact_in_background(self) -> None:
        with self._lock:
            if self._bg is not None and self._bg.is_alive():
                return

            def run() -> None:
                try:
                    self.compact()
                except Exception:  # a failed background merge must not kill the server
                    log.exception("background compaction failed")

            self._bg = threading.Thread(target=run, name="index-compact", daemon=True)
            self._bg.start()

    def _compact(self) -> None:
        # Phase 1: freeze the delta and start a new log; the manifest lists both logs.
        with self._write_lock:
            self._check_open()
            with self._file_lock.hold():
                self._catch_up(locked=True)
                if not self._delta_records:
                    return
                frozen_records = self._delta_records
                new_log = self._new_log_name()
                old_logs = list(self._logs)
                self._open_log(new_log, 0)
                with self._lock:
                    self._frozen = self._delta
                    self._delta_records = []
                    self._delta = Postings.empty()
                    self._logs = [*old_logs, new_log]
                    tombstones = set(self._tombstones)
                    segments = list(self._segments)
                self._write_manifest()

        # Phase 2 (no locks held but the compaction ones): merge the frozen delta with the
        # newest small segments. Other processes keep appending to the new log meanwhile.
        merged_records = [r for r in frozen_records if r.doc not in tombstones]
        size = sum(len(r.hashes) for r in merged_records)
        absorbed: list[str] = []
        while segments and (
            len(segments[-1][1]) <= 2 * max(size, 1) or len(segments) >= MAX_SEGMENT_TIERS
        ):
            name, seg = segments.pop()
            absorbed.append(name)
            kept = [r for r in seg.records() if r.doc not in tombstones]
            merged_records = kept + merged_records
            size += sum(len(r.hashes) for r in kept)
        new_segments: list[tuple[str, Postings]] = []
        for group in _split_for_packing(merged_records):
            with self._lock:
                name = f"seg-{self._next_segment:08d}"
                self._next_segment += 1
            built = Postings.build(group, wide=False)
            built.save(self._dir, name)
            new_segments.append((name, Postings.load(self._dir, name, built.time_bits)))
        dropped = {int(d) for d in (r.doc for r in frozen_records) if d in tombstones}
        for name, seg in self._segments:
            if name in absorbed:
                dropped.update(int(d) for d in seg.docs.tolist() if d in tombstones)

        # Phase 3: swap in the new segments and retire the old log and segment files. Files
        # are deleted under the file lock: a process reloading the manifest never misses one.
        with self._write_lock, self._file_lock.hold():
            self._catch_up(locked=True)
            with self._lock:
                self._segments = [s for s in self._segments if s[0] not in absorbed]
                self._segments += new_segments
                self._frozen = None
                self._tombstones -= dropped
                self._logs = [self._logs[-1]]
            self._write_manifest()
            for name in old_logs:
                (self._dir / name).unlink(missing_ok=True)
            for name in absorbed:
                for fname in Postings.files(name):
                    (self._dir / fname).unlink(missing_ok=True)

    # --- query ---------------------------------------------------------------------------------

    def _snapshot(self) -> _Snapshot:
        with self._lock:
            structures = [s for _, s in self._segments]
            if self._frozen is not None:
                structures.append(self._frozen)
            structures.append(self._delta)
            tomb = np.array(sorted(self._tombstones), dtype=np.int64)
        return _Snapshot(tuple(structures), tomb)

    def query(
        self,
        samples: npt.NDArray[np.float32],
        *,
        limit: int = 5,
        allowed: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]] | None = None,
        min_score: int | None = None,
    ) -> list[Match]:
        """Best matches first. By default only matches passing the decision rule are returned;
        `min_score` replaces the rule by a bare score threshold (0 returns every candidate)."""
        x = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
        if len(x) < P.N_FFT or limit <= 0:
            return []
        self.refresh()
        snap = self._snapshot()
        qfps = query_fingerprints(x)
        q_hashes = np.concatenate([fp.hashes for _, fp in qfps])
        q_times = np.concatenate([fp.times for _, fp in qfps]).astype(np.int64)
        q_shift = np.concatenate([np.full(len(fp), shift, np.int64) for shift, fp in qfps])
        # A landmark seen at the same frame by several shifts would only repeat the same hits.
        _, first = np.unique((q_times << 32) | q_hashes.astype(np.int64), return_index=True)
        q_hashes, q_times, q_shift = q_hashes[first], q_times[first], q_shift[first]
        hits = _lookup(snap, q_hashes, q_times, q_shift, allowed)
        if hits is None or len(hits.doc) == 0:
            return []
        verified = _vote_and_verify(hits, len(x))
        if min_score is None:
            matches = [
                c.match
                for c in verified
                if c.match.score >= DEFAULT_MIN_SCORE
                and c.seconds >= MIN_SECONDS
                and c.match.aligned >= MIN_ALIGNED
            ]
        else:
            matches = [c.match for c in verified if c.match.score >= min_score]
        return matches[:limit]


def _replay(
    rec: LogRecord,
    track_docs: dict[int, set[int]],
    tombstones: set[int],
    records: list[DocRecord],
) -> None:
    """Apply one log record to in-memory state: an add (or remove) retires the track's
    earlier documents; an add's document joins the delta."""
    for old in track_docs.pop(rec.track_id, set()):
        tombstones.add(old)
    if rec.record is not None:
        records.append(rec.record)
        track_docs[rec.track_id] = {rec.doc}


def _split_for_packing(records: list[DocRecord]) -> list[list[DocRecord]]:
    """Group documents so each group's (local doc, time) fits 32-bit postings."""
    groups: list[list[DocRecord]] = []
    current: list[DocRecord] = []
    max_t = 0
    for r in records:
        t = max(max_t, int(r.times.max()) if len(r.times) else 0)
        bits = max(1, t.bit_length())
        if current and len(current) + 1 > (1 << (32 - bits)):
            groups.append(current)
            current, t = [], int(r.times.max()) if len(r.times) else 0
        current.append(r)
        max_t = t
    if current:
        groups.append(current)
    return groups


def _lookup(
    snap: _Snapshot,
    q_hashes: npt.NDArray[np.uint32],
    q_times: I64,
    q_shift: I64,
    allowed: Callable[[npt.NDArray[np.int64]], npt.NDArray[np.bool_]] | None,
) -> _Hits | None:
    ranges: list[tuple[I64, I64] | None] = []
    freq = np.zeros(len(q_hashes), np.int64)
    total_postings = 0
    for s in snap.structures:
        total_postings += len(s)
        if len(s) == 0:
            ranges.append(None)
            continue
        lo = np.searchsorted(s.hashes, q_hashes, side="left").astype(np.int64)
        hi = np.searchsorted(s.hashes, q_hashes, side="right").astype(np.int64)
        freq += hi - lo
        ranges.append((lo, hi))
    # Very common hashes (a chord any song in the key has, a kick pattern) carry almost no
    # evidence yet would dominate the work: skip them. The cap follows the index's size.
    cap = max(P.HASH_FREQ_CAP_MIN, P.HASH_FREQ_CAP_RATIO * total_postings / P.HASH_SPACE)
    usable = freq <= cap
    parts: list[_Hits] = []
    base = 0
    for s, r in zip(snap.structures, ranges, strict=True):
        n = len(s)
        if r is None:
            continue
        lo, hi = r
        counts = np.where(usable, hi - lo, 0)
        total = int(counts.sum())
        if total == 0:
            base += n
            continue
        qi = np.repeat(np.arange(len(q_hashes)), counts)
        starts = np.cumsum(counts) - counts
        pos = lo[qi] + (np.arange(total) - starts[qi])
        local, t_ref = s.unpack(pos)
        # Removed documents and tracks the caller may not see, decided once per document.
        visible = np.ones(len(s.docs), bool)
        if len(snap.tombstones):
            visible &= ~np.isin(s.docs, snap.tombstones)
        if allowed is not None:
            shown = np.flatnonzero(visible)
            visible[shown] = np.asarray(allowed(s.track_ids[shown]), dtype=bool)
        keep = visible[local]
        if not keep.all():
            local, t_ref, qi, pos = local[keep], t_ref[keep], qi[keep], pos[keep]
        parts.append(
            _Hits(
                s.docs[local],
                s.track_ids[local],
                t_ref,
                q_times[qi],
                q_shift[qi],
                pos + base,
                (1.0 / np.sqrt(freq[qi] + HASH_PRIOR)).astype(np.float32),
                (q_hashes[qi] >> P.F1_SHIFT).astype(np.int64),
            )
        )
        base += n
    if not parts:
        return None
    return _Hits(*(np.concatenate([getattr(p, f) for p in parts]) for f in _Hits.__annotations__))


def _preselect(hits: _Hits) -> _Hits:
    """Keep the hits of the PRESELECT documents with the most (weighted) hits at any offset."""
    per_doc = np.bincount(hits.doc, weights=hits.weight)
    if np.count_nonzero(per_doc) <= PRESELECT:
        return hits
    chosen = np.zeros(len(per_doc), bool)
    chosen[np.argpartition(-per_doc, PRESELECT)[:PRESELECT]] = True
    keep = chosen[hits.doc]
    return _Hits(*(getattr(hits, f)[keep] for f in _Hits.__annotations__))


def _vote_and_verify(hits: _Hits, q_samples: int) -> list[_Candidate]:
    hits = _preselect(hits)
    key = (hits.doc << 32) + (hits.t_ref - hits.t_query + _OFF_BIAS)
    order = np.argsort(key)
    key = key[order]
    weight = hits.weight[order]
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    uk = key[starts]
    votes = np.add.reduceat(weight, starts)
    # Votes within ±OFFSET_TOLERANCE frames of each offset, read from neighbouring bins.
    smooth = votes.copy()
    for delta in range(1, OFFSET_TOLERANCE + 1):
        for sign in (-1, 1):
            nb = uk + sign * delta
            j = np.minimum(np.searchsorted(uk, nb), len(uk) - 1)
            found = uk[j] == nb
            smooth[found] += votes[j[found]]
    doc_of = uk >> 32
    doc_starts = np.flatnonzero(np.concatenate(([True], doc_of[1:] != doc_of[:-1])))
    doc_ends = np.append(doc_starts[1:], len(uk))
    doc_best = np.maximum.reduceat(smooth, doc_starts)
    top = np.argsort(-doc_best, kind="stable")[:CANDIDATES]
    best = [int(doc_starts[i]) + int(np.argmax(smooth[doc_starts[i] : doc_ends[i]])) for i in top]
    # Runner-up offset of the same document (away from the best): periodic music aligns again
    # a beat or a bar away, and a chance match with a similar song is not much sharper.
    runner_up: list[float] = []
    for i, b in zip(top, best, strict=True):
        a, e = int(doc_starts[i]), int(doc_ends[i])
        far = np.abs(uk[a:e] - uk[b]) > 3 * OFFSET_TOLERANCE
        runner_up.append(float(smooth[a:e][far].max()) if far.any() else 0.0)

    results: list[_Candidate] = []
    for b, second in zip(best, runner_up, strict=True):
        k0 = int(uk[b])
        lo = int(np.searchsorted(key, k0 - OFFSET_TOLERANCE, side="left"))
        hi = int(np.searchsorted(key, k0 + OFFSET_TOLERANCE, side="right"))
        # Each reference posting counts once, whichever query shift or offset bin found it.
        _, first = np.unique(hits.post[order[lo:hi]], return_index=True)
        idx = order[lo + first]
        # Evidence: IDF-weighted aligned hits, at most EVIDENCE_BIN_CAP per anchor frequency
        # bin, so that a shared kick pattern or one sustained chord cannot make a match alone.
        per_bin = np.bincount(hits.f1[idx], weights=hits.weight[idx])
        evidence = float(np.minimum(per_bin, EVIDENCE_BIN_CAP).sum())
        # A match must stand out from the same track's other offsets: a similar song at the
        # same tempo aligns about as well one beat or bar away, a true match does not.
        sharpness = float(smooth[b]) / (1.0 + second)
        evidence *= min(1.0, max(0.0, (sharpness - 1.0) / (MIN_SHARPNESS - 1.0)))
        q_pos = hits.t_query[idx] * P.HOP + hits.shift[idx]
        offsets = hits.t_ref[idx] * P.HOP - q_pos
        track_offset = float(np.median(offsets)) / P.SAMPLE_RATE
        seconds = int(np.unique(q_pos // P.SAMPLE_RATE).size)
        q_start = float(q_pos.min()) / P.SAMPLE_RATE
        q_end = min(q_samples, int(q_pos.max()) + P.N_FFT) / P.SAMPLE_RATE
        m = Match(
            track_id=int(hits.track[idx[0]]),
            score=_score(evidence),
            track_offset=round(track_offset, 3),
            query_start=round(q_start, 3),
            query_end=round(q_end, 3),
            aligned=len(idx),
        )
        results.append(_Candidate(m, seconds, evidence, float(smooth[b]), second))
    results.sort(key=lambda r: (-r.evidence, -r.match.aligned))
    return results


def _score(evidence: float) -> int:
    return int(max(0, min(100, round(SCORE_PER_EVIDENCE * evidence))))

"""Recognition, decision rule, persistence, compaction and concurrency of the index."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
from engine_helpers import MP3_TRACK_ID, add_noise, clip

from audd_server.engine import SAMPLE_RATE, Index, Match, decode_audio, fingerprint
from audd_server.synth import encode_audio, synth_noise_like, synth_track


def best(matches: list[Match]) -> Match:
    assert matches, "expected a match"
    return matches[0]


def test_clean_clip_matches_track_and_offset(index: Index, catalog: dict[int, np.ndarray]) -> None:
    m = best(index.query(clip(catalog[3], 21.3, 10.0)))
    assert m.track_id == 3
    assert abs(m.track_offset - 21.3) < 0.5
    assert 50 <= m.score <= 100


def test_timecode_is_accurate_to_a_frame(index: Index, catalog: dict[int, np.ndarray]) -> None:
    for start in (0.5, 17.77, 44.01):
        m = best(index.query(clip(catalog[5], start, 8.0)))
        assert m.track_id == 5
        assert abs(m.track_offset - start) < 0.03


def test_noisy_clip_matches_track_and_offset(index: Index, catalog: dict[int, np.ndarray]) -> None:
    m = best(index.query(add_noise(clip(catalog[6], 33.0, 10.0), snr_db=5.0)))
    assert m.track_id == 6
    assert abs(m.track_offset - 33.0) < 0.5


def test_short_clip_matches(index: Index, catalog: dict[int, np.ndarray]) -> None:
    m = best(index.query(clip(catalog[2], 40.0, 5.0)))
    assert (m.track_id, round(m.track_offset)) == (2, 40)


def test_query_span_covers_the_aligned_part(index: Index, catalog: dict[int, np.ndarray]) -> None:
    # Three seconds of silence, then seven seconds of the song.
    q = np.concatenate([np.zeros(3 * SAMPLE_RATE, np.float32), clip(catalog[4], 10.0, 7.0)])
    m = best(index.query(q))
    assert m.track_id == 4
    assert abs(m.track_offset - 7.0) < 0.1  # the query's t=0 sits 3 s before 10.0
    assert 2.8 <= m.query_start <= 4.0
    assert 9.0 <= m.query_end <= 10.0
    assert m.aligned > 0


def test_out_of_catalog_music_gives_no_match(index: Index) -> None:
    for seed in (101, 102, 103):
        assert index.query(synth_track(seed, 10.0, SAMPLE_RATE)) == []


def test_non_music_gives_no_match(index: Index) -> None:
    assert index.query(synth_noise_like(5, 10.0, SAMPLE_RATE)) == []
    assert index.query(np.zeros(5 * SAMPLE_RATE, np.float32)) == []
    assert index.query(np.zeros(100, np.float32)) == []


def test_min_score_zero_returns_candidates_for_benchmarking(index: Index) -> None:
    matches = index.query(synth_track(104, 10.0, SAMPLE_RATE), min_score=0, limit=3)
    assert 1 <= len(matches) <= 3
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_mp3_encoded_query_matches(index: Index, mp3_source: np.ndarray) -> None:
    part = mp3_source[int(12.0 * 44100) : int(22.0 * 44100)]
    query = decode_audio(io.BytesIO(encode_audio(part, 44100, "mp3", bitrate=64000)))
    m = best(index.query(query))
    assert m.track_id == MP3_TRACK_ID
    assert abs(m.track_offset - 12.0) < 0.15


def test_allowed_mask_hides_tracks(index: Index, catalog: dict[int, np.ndarray]) -> None:
    q = clip(catalog[7], 5.0, 8.0)
    assert best(index.query(q, allowed=lambda ids: ids != 8)).track_id == 7
    assert index.query(q, allowed=lambda ids: ids != 7) == []


def test_fingerprint_is_deterministic_and_dense_enough(catalog: dict[int, np.ndarray]) -> None:
    a, b = fingerprint(catalog[1]), fingerprint(catalog[1])
    assert np.array_equal(a.hashes, b.hashes)
    assert np.array_equal(a.times, b.times)
    per_second = len(a) / (len(catalog[1]) / SAMPLE_RATE)
    assert 20 < per_second < 150
    assert a.hashes.dtype == np.uint32
    assert a.times.dtype == np.int32


def test_remove_forgets_track(index_dir: Path, catalog: dict[int, np.ndarray]) -> None:
    with Index(index_dir) as idx:
        idx.add(1, catalog[1])
        idx.add(2, catalog[2])
        idx.remove(1)
        assert idx.query(clip(catalog[1], 10.0, 8.0)) == []
        assert best(idx.query(clip(catalog[2], 10.0, 8.0))).track_id == 2
        idx.compact()
        assert idx.query(clip(catalog[1], 10.0, 8.0)) == []
    with Index(index_dir) as idx:
        assert idx.query(clip(catalog[1], 10.0, 8.0)) == []
        assert 1 not in idx
        assert 2 in idx


def test_add_with_existing_id_replaces_the_track(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as idx:
        idx.add(1, catalog[1])
        idx.compact()
        idx.add(1, catalog[2])
        assert idx.query(clip(catalog[1], 10.0, 8.0)) == []
        assert best(idx.query(clip(catalog[2], 10.0, 8.0))).track_id == 1


def test_reopened_index_keeps_everything_added(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as idx:
        idx.add(1, catalog[1])
        idx.compact()
        idx.add(2, catalog[2])  # only in the delta log
    with Index(index_dir) as idx:
        assert idx.track_ids() == [1, 2]
        for tid in (1, 2):
            m = best(idx.query(clip(catalog[tid], 30.0, 8.0)))
            assert (m.track_id, round(m.track_offset)) == (tid, 30)


def test_torn_log_tail_is_ignored_on_reopen(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as idx:
        idx.add(1, catalog[1])
    log = next(index_dir.glob("delta-*.log"))
    with open(log, "ab") as fh:
        fh.write(b"ADD1 torn record")
    with Index(index_dir) as idx:
        assert best(idx.query(clip(catalog[1], 5.0, 8.0))).track_id == 1
        idx.add(2, catalog[2])
    with Index(index_dir) as idx:
        assert idx.track_ids() == [1, 2]


def test_compact_keeps_results(index_dir: Path, catalog: dict[int, np.ndarray]) -> None:
    queries = [clip(catalog[t], 12.5, 8.0) for t in (1, 2, 3)]
    with Index(index_dir) as idx:
        for t in (1, 2, 3):
            idx.add(t, catalog[t])
        before = [best(idx.query(q)) for q in queries]
        idx.compact()
        assert idx.stats()["delta_postings"] == 0
        after = [best(idx.query(q)) for q in queries]
        idx.add(4, catalog[4])
        idx.compact()  # merges the new segment with the older one
        again = [best(idx.query(q)) for q in queries]
    assert [m.track_id for m in before] == [1, 2, 3]
    assert before == after
    # A new track changes hash frequencies, hence weights, but not the answers.
    assert [(m.track_id, m.track_offset) for m in again] == [
        (m.track_id, m.track_offset) for m in before
    ]


def test_concurrent_adds_and_queries(index_dir: Path, catalog: dict[int, np.ndarray]) -> None:
    errors: list[BaseException] = []
    results: list[int] = []
    with Index(index_dir) as idx:
        idx.add(1, catalog[1])
        started = threading.Event()

        def adder() -> None:
            try:
                started.set()
                for t in range(2, 9):
                    idx.add(t, catalog[t])
                    if t == 5:
                        idx.compact()
            except BaseException as exc:
                errors.append(exc)

        def querier() -> None:
            try:
                started.wait(timeout=10)
                for _ in range(6):
                    results.append(best(idx.query(clip(catalog[1], 20.0, 6.0))).track_id)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=adder)] + [
            threading.Thread(target=querier) for _ in range(3)
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert not errors
        assert results == [1] * 18
        assert idx.track_ids() == list(range(1, 9))
        assert best(idx.query(clip(catalog[8], 20.0, 6.0))).track_id == 8


def test_closed_index_refuses_writes(index_dir: Path, catalog: dict[int, np.ndarray]) -> None:
    idx = Index(index_dir)
    idx.close()
    with pytest.raises(RuntimeError):
        idx.add(1, catalog[1])


def test_fingerprint_does_not_depend_on_chunking(
    catalog: dict[int, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from audd_server.engine import _fingerprint

    long_track = np.concatenate([catalog[1], catalog[2]])  # 120 s: several analysis chunks
    chunked = fingerprint(long_track)
    monkeypatch.setattr(_fingerprint, "_CHUNK_BLOCKS", 10_000)
    whole = fingerprint(long_track)
    assert np.array_equal(chunked.hashes, whole.hashes)
    assert np.array_equal(chunked.times, whole.times)


def test_background_compaction_keeps_everything(
    index_dir: Path, catalog: dict[int, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from audd_server.engine import _index

    monkeypatch.setattr(_index, "AUTO_COMPACT_POSTINGS", 1)
    with Index(index_dir) as idx:
        for t in (1, 2, 3):
            idx.add(t, catalog[t])
    # close() waited for the background merge, which wrote at least one segment.
    assert list(index_dir.glob("seg-*.hashes.npy"))
    with Index(index_dir) as idx:
        assert idx.track_ids() == [1, 2, 3]
        for t in (1, 2, 3):
            assert best(idx.query(clip(catalog[t], 15.0, 6.0))).track_id == t


def test_query_with_everything_hidden_returns_nothing(
    index: Index, catalog: dict[int, np.ndarray]
) -> None:
    q = clip(catalog[1], 5.0, 8.0)
    assert index.query(q, allowed=lambda ids: np.zeros(len(ids), bool), min_score=0) == []
    assert index.query(q, limit=0) == []


def test_index_from_other_analysis_settings_is_refused(index_dir: Path) -> None:
    import json

    Index(index_dir).close()
    manifest = index_dir / "manifest.json"
    data = json.loads(manifest.read_text())
    data["params"]["hop"] = 512
    manifest.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="rebuild"):
        Index(index_dir)


# --- several processes on one directory (a second Index object stands for another process) ---


def test_adds_and_removes_of_another_process_are_seen_by_the_next_query(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as server, Index(index_dir) as cli:
        server.add(1, catalog[1])
        assert server.query(clip(catalog[2], 10.0, 8.0)) == []
        cli.add(2, catalog[2])
        assert best(server.query(clip(catalog[2], 10.0, 8.0))).track_id == 2
        assert server.track_ids() == [1, 2]
        cli.remove(1)
        assert server.query(clip(catalog[1], 10.0, 8.0)) == []
        assert 1 not in server
        # ... and the other way round: the CLI catches up before writing.
        server.add(3, catalog[3])
        assert cli.track_ids() == [2, 3]
        assert best(cli.query(clip(catalog[3], 10.0, 8.0))).track_id == 3


def test_refresh_is_a_no_op_when_nothing_changed(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as a, Index(index_dir) as b:
        a.add(1, catalog[1])
        assert not a.refresh()  # its own writes are already applied
        assert b.refresh()
        assert not b.refresh()


def test_interleaved_writers_keep_one_consistent_log(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as a, Index(index_dir) as b:
        a.add(1, catalog[1])
        b.add(2, catalog[2])  # b catches up with a's record before appending its own
        a.add(3, catalog[3])
        b.add(1, catalog[4])  # replaces track 1 everywhere
        for idx in (a, b):
            assert idx.track_ids() == [1, 2, 3]
            assert idx.query(clip(catalog[1], 10.0, 8.0)) == []
            assert best(idx.query(clip(catalog[4], 10.0, 8.0))).track_id == 1
    with Index(index_dir) as reopened:  # the log replays to the same state
        assert reopened.track_ids() == [1, 2, 3]
        assert reopened.query(clip(catalog[1], 10.0, 8.0)) == []
        for tid, seed in ((1, 4), (2, 2), (3, 3)):
            assert best(reopened.query(clip(catalog[seed], 20.0, 8.0))).track_id == tid


def test_compaction_by_another_process_is_picked_up(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    with Index(index_dir) as server, Index(index_dir) as cli:
        server.add(1, catalog[1])
        cli.add(2, catalog[2])
        cli.remove(1)
        cli.compact()  # new segment, new log, old log deleted
        assert server.stats()["segments"] == 1
        assert server.track_ids() == [2]
        assert server.query(clip(catalog[1], 10.0, 8.0)) == []
        assert best(server.query(clip(catalog[2], 10.0, 8.0))).track_id == 2
        server.add(3, catalog[3])  # appends to the log the other process switched to
        cli.add(4, catalog[4])
        cli.compact()  # merges with the older segment, which the server still has mapped
        for tid in (2, 3, 4):
            assert best(server.query(clip(catalog[tid], 30.0, 8.0))).track_id == tid
        assert server.track_ids() == cli.track_ids() == [2, 3, 4]
        assert len(list(index_dir.glob("delta-*.log"))) == 1


def test_writers_in_threads_of_two_index_objects_do_not_corrupt_the_log(
    index_dir: Path, catalog: dict[int, np.ndarray]
) -> None:
    errors: list[BaseException] = []
    with Index(index_dir) as a, Index(index_dir) as b:

        def write(idx: Index, ids: range) -> None:
            try:
                for t in ids:
                    idx.add(t, catalog[t])
                    if t % 3 == 0:
                        idx.compact()
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=write, args=(a, range(1, 5))),
            threading.Thread(target=write, args=(b, range(5, 9))),
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join(timeout=60)
        assert not errors
        assert a.track_ids() == b.track_ids() == list(range(1, 9))
    with Index(index_dir) as reopened:
        assert reopened.track_ids() == list(range(1, 9))
        for t in range(1, 9):
            assert best(reopened.query(clip(catalog[t], 25.0, 6.0))).track_id == t


def test_a_record_being_written_is_applied_only_once_complete(
    index_dir: Path, tmp_path: Path, catalog: dict[int, np.ndarray]
) -> None:
    from audd_server.engine._store import DocRecord, LogRecord, append_record

    fp = fingerprint(catalog[2])
    scratch = tmp_path / "record.bin"
    with open(scratch, "wb") as fh:
        rec = DocRecord(1000, 2, 1 + len(catalog[2]) // 256, fp.hashes, fp.times)
        append_record(fh, LogRecord("add", 1000, 2, rec))
    data = scratch.read_bytes()
    with Index(index_dir) as reader:
        reader.add(1, catalog[1])
        log = next(index_dir.glob("delta-*.log"))
        size = log.stat().st_size
        with open(log, "ab") as fh:  # another process, halfway through its append
            fh.write(data[: len(data) // 2])
        assert not reader.refresh()
        assert reader.track_ids() == [1]
        assert log.stat().st_size == size + len(data) // 2  # a reader never truncates
        with open(log, "ab") as fh:
            fh.write(data[len(data) // 2 :])
        assert reader.refresh()
        assert reader.track_ids() == [1, 2]
        assert best(reader.query(clip(catalog[2], 10.0, 8.0))).track_id == 2

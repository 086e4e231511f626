"""Posting structures and their on-disk forms: immutable sorted segments and the delta log.

A posting structure holds every hash of a set of documents (one document per `Index.add`) as a
sorted `uint32` hash array plus a parallel packed postings array `(local_doc << time_bits) | time`.
Segments store both as `.npy` files that are memory-mapped read-only, so they cost page cache,
not heap, and could be shared between processes; 8 bytes per hash. The in-memory delta uses the
same class with 64-bit postings.

The delta log is append-only: one checksummed record per add or remove, fsynced, replayed on
open; a torn record at the tail (crash mid-write) is dropped. Processes sharing an index directory
serialise their writes with `FileLock` (an advisory `flock`).
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

__all__ = [
    "DocRecord",
    "FileLock",
    "FileSig",
    "LogRecord",
    "Postings",
    "append_record",
    "file_sig",
    "read_log",
]

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class DocRecord:
    """One added signal: a document number unique in the index, never reused."""

    doc: int
    track_id: int
    n_frames: int
    hashes: npt.NDArray[np.uint32]
    times: npt.NDArray[np.int32]


@dataclass(frozen=True)
class Postings:
    """Sorted hashes and packed postings for a set of documents."""

    hashes: npt.NDArray[np.uint32]
    postings: npt.NDArray[np.uint32] | npt.NDArray[np.uint64]
    time_bits: int
    docs: I64  # local doc index -> global document number
    track_ids: I64  # local doc index -> track id
    n_frames: I64  # local doc index -> length in frames

    def __len__(self) -> int:
        return len(self.hashes)

    @staticmethod
    def empty() -> Postings:
        z = np.zeros(0, np.int64)
        return Postings(np.zeros(0, np.uint32), np.zeros(0, np.uint64), 32, z, z, z)

    @staticmethod
    def build(records: list[DocRecord], *, wide: bool) -> Postings:
        """Sort the hashes of `records`; `wide` picks 64-bit postings (for the in-memory delta)."""
        if not records:
            return Postings.empty()
        max_t = max((int(r.times.max()) if len(r.times) else 0) for r in records)
        time_bits = 32 if wide else max(1, max_t.bit_length())
        if not wide and len(records) > (1 << (32 - time_bits)):
            raise ValueError("too many documents for 32-bit postings")
        dtype = np.uint64 if wide else np.uint32
        hashes = np.concatenate([r.hashes for r in records]).astype(np.uint32, copy=False)
        local = np.repeat(
            np.arange(len(records), dtype=np.uint64), [len(r.hashes) for r in records]
        )
        times = np.concatenate([r.times for r in records]).astype(np.uint64)
        packed = ((local << np.uint64(time_bits)) | times).astype(dtype)
        # Radix sort on uint32 keys; stable so postings of a hash stay in document/time order.
        order = np.argsort(hashes, kind="stable")
        return Postings(
            hashes[order],
            packed[order],
            time_bits,
            np.array([r.doc for r in records], np.int64),
            np.array([r.track_id for r in records], np.int64),
            np.array([r.n_frames for r in records], np.int64),
        )

    def extended(self, rec: DocRecord) -> Postings:
        """A copy with one more document, merged in linear time (64-bit postings only)."""
        if self.time_bits != 32:
            raise ValueError("only the wide in-memory delta can be extended")
        order = np.argsort(rec.hashes, kind="stable")
        new_hashes = rec.hashes[order].astype(np.uint32)
        local = np.uint64(len(self.docs)) << np.uint64(32)
        new_post = local | rec.times[order].astype(np.uint64)
        at = np.searchsorted(self.hashes, new_hashes, side="right") + np.arange(len(new_hashes))
        total = len(self.hashes) + len(new_hashes)
        old = np.ones(total, bool)
        old[at] = False
        hashes = np.empty(total, np.uint32)
        hashes[at] = new_hashes
        hashes[old] = self.hashes
        postings = np.empty(total, np.uint64)
        postings[at] = new_post
        postings[old] = self.postings
        return Postings(
            hashes,
            postings,
            32,
            np.append(self.docs, rec.doc),
            np.append(self.track_ids, rec.track_id),
            np.append(self.n_frames, rec.n_frames),
        )

    def records(self) -> list[DocRecord]:
        """Unpack back into per-document records (used when merging segments)."""
        local, times = self.unpack(np.arange(len(self.hashes)))
        order = np.lexsort((times, local))
        local, times, hashes = local[order], times[order], self.hashes[order]
        bounds = np.searchsorted(local, np.arange(len(self.docs) + 1))
        return [
            DocRecord(
                int(self.docs[i]),
                int(self.track_ids[i]),
                int(self.n_frames[i]),
                np.ascontiguousarray(hashes[bounds[i] : bounds[i + 1]]),
                times[bounds[i] : bounds[i + 1]].astype(np.int32),
            )
            for i in range(len(self.docs))
        ]

    def unpack(self, positions: I64) -> tuple[I64, I64]:
        """(local doc, time) of the postings at `positions`."""
        p = np.asarray(self.postings[positions]).astype(np.uint64)
        mask = np.uint64((1 << self.time_bits) - 1)
        return (
            (p >> np.uint64(self.time_bits)).astype(np.int64),
            (p & mask).astype(np.int64),
        )

    def save(self, directory: Path, name: str) -> None:
        for suffix, arr in (
            ("hashes", self.hashes),
            ("postings", self.postings),
            ("docs", np.stack([self.docs, self.track_ids, self.n_frames], axis=1)),
        ):
            path = directory / f"{name}.{suffix}.npy"
            with open(path, "wb") as fh:
                np.save(fh, np.ascontiguousarray(arr))
                fh.flush()
                os.fsync(fh.fileno())

    @staticmethod
    def load(directory: Path, name: str, time_bits: int) -> Postings:
        hashes = np.load(directory / f"{name}.hashes.npy", mmap_mode="r")
        postings = np.load(directory / f"{name}.postings.npy", mmap_mode="r")
        docs = np.load(directory / f"{name}.docs.npy").reshape(-1, 3).astype(np.int64)
        return Postings(
            hashes, postings, time_bits, docs[:, 0].copy(), docs[:, 1].copy(), docs[:, 2].copy()
        )

    @staticmethod
    def files(name: str) -> list[str]:
        return [f"{name}.{s}.npy" for s in ("hashes", "postings", "docs")]


# --- delta log -----------------------------------------------------------------------------

_HEADER = struct.Struct("<4sqqqqI")  # kind, doc, track_id, n_frames, n_hashes, crc32(payload)
_ADD = b"ADD1"
_DEL = b"DEL1"


@dataclass(frozen=True)
class LogRecord:
    kind: str  # "add" | "remove"
    doc: int
    track_id: int
    record: DocRecord | None


def append_record(fh: BinaryIO, rec: LogRecord) -> None:
    """Append one record and fsync: after this returns the change survives a crash."""
    if rec.kind == "add":
        assert rec.record is not None
        r = rec.record
        payload = r.hashes.astype("<u4").tobytes() + r.times.astype("<i4").tobytes()
        header = _HEADER.pack(
            _ADD, r.doc, r.track_id, r.n_frames, len(r.hashes), zlib.crc32(payload)
        )
    else:
        payload = b""
        header = _HEADER.pack(_DEL, rec.doc, rec.track_id, 0, 0, zlib.crc32(payload))
    fh.write(header + payload)
    fh.flush()
    os.fsync(fh.fileno())


def read_log(path: Path, start: int = 0) -> tuple[list[LogRecord], int]:
    """Records of a log from byte `start` on, and the end of its valid part (an absolute
    offset). A torn or still-being-written record at the tail is left out."""
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read()
    except FileNotFoundError:
        return [], start
    out: list[LogRecord] = []
    pos = 0
    while pos + _HEADER.size <= len(data):
        kind, doc, track_id, n_frames, n, crc = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + 8 * n
        if kind not in (_ADD, _DEL) or end > len(data):
            break
        payload = data[pos + _HEADER.size : end]
        if zlib.crc32(payload) != crc:
            break
        if kind == _ADD:
            hashes = np.frombuffer(payload[: 4 * n], "<u4").astype(np.uint32)
            times = np.frombuffer(payload[4 * n :], "<i4").astype(np.int32)
            out.append(
                LogRecord("add", doc, track_id, DocRecord(doc, track_id, n_frames, hashes, times))
            )
        else:
            out.append(LogRecord("remove", doc, track_id, None))
        pos = end
    return out, start + pos


# --- cross-process coordination --------------------------------------------------------------

FileSig = tuple[int, int, int]  # (inode, size, mtime_ns)


def file_sig(path: Path) -> FileSig | None:
    """What changes when a file is appended to or replaced; None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class FileLock:
    """Exclusive advisory lock (`flock`) on a file, shared by every process that opens it.

    The lock belongs to the open file, so threads of one process that share a `FileLock` must
    serialise among themselves first. Without `fcntl` (Windows) it only orders this object's
    users: one writing process per index directory there.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)

    @contextmanager
    def hold(self) -> Iterator[None]:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        else:
            yield

    def close(self) -> None:
        os.close(self._fd)

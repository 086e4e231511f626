"""`audd demo`: the whole product in one command, on a fresh machine, with no network.

Starts a local AudD-compatible server on a temporary data directory, enrols a few tagged tracks
(synthetic unless `--music DIR`), recognizes a noisy 10 s clip through the SDK, then scans a
3-minute mix with the enterprise endpoint. Exit status 0 means the clip was recognized correctly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audd import AudD
from audd_cli._commands import by_position, match_position
from audd_cli._errors import EXIT_NO_MATCH, EXIT_OK, EXIT_SERVER, EXIT_USAGE, CLIError
from audd_cli._local import LocalServer
from audd_cli._output import mmss, out, song_title

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Samples = npt.NDArray[np.float32]
else:
    Samples = Any

SERVER_EXTRA_HINT = "`audd demo` needs the local server: pip install 'audd[server]'"

# (artist, title, album, year, seed, seconds, lyrics): deterministic, so every run enrols the
# same music. The lyrics make `audd lyrics` answer against a kept demo server.
DEMO_SONGS: tuple[tuple[str, str, str, str, int, float, str], ...] = (
    ("Mira Vale", "Glass Harbour", "Low Tide Sessions", "2019", 1101, 74.0,
     "Lights on the glass harbour\nboats that never sail\nI kept your letters dry"),
    ("The Paper Satellites", "Orbit of Small Things", "Signal Fires", "2021", 2202, 82.0,
     "We circle the kitchen table\nan orbit of small things\ncoffee rings and keys"),
    ("Odessa Finch", "Copper Lanterns", "Night Market", "2017", 3303, 68.0,
     "Copper lanterns down the alley\nthe night market hums\nyou sold me a summer"),
    ("Kaito & the Hollow Pines", "Northbound Static", "Weather Reports", "2022", 4404, 88.0,
     "Northbound on the late train\nstatic on the radio\nsnow on every station"),
    ("Juniper Drive", "Saltwater Radio", "Coastline FM", "2018", 5505, 64.0,
     "Saltwater radio playing\nsongs the tide brought in\nturn it up for the gulls"),
    ("Lumen Arcade", "Polaroid Summer", "Afterglow", "2023", 6606, 78.0,
     "Shake it like a polaroid summer\nfading into gold\nwe were never this young"),
)  # fmt: skip
UNKNOWN_SEED = 9_999_001  # music that is not in the catalog
SYNTH_RATE = 22_050
CLIP_SECONDS = 10.0
CLIP_SNR_DB = 10.0
MIX_SEGMENT_SECONDS = 55.0
MIX_UNKNOWN_SECONDS = 15.0
ENTERPRISE_LIMIT = 30
LIST_SONGS = 12
# What `audd-server catalog add` picks up when walking a folder (recursively).
AUDIO_SUFFIXES = {
    ".mp3", ".wav", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wma",
    ".aif", ".aiff", ".webm", ".mka", ".mkv", ".mov",
}  # fmt: skip


@dataclass(eq=False)
class Song:
    artist: str
    title: str
    path: Path
    sample_rate: int
    decoded: Samples | None = None
    """Mono samples; user music (`--music`) is decoded only when a clip or the mix needs it."""

    @property
    def samples(self) -> Samples:
        if self.decoded is None:
            from audd_server.engine import AudioDecodeError, decode_audio

            try:
                self.decoded = decode_audio(self.path)
            except AudioDecodeError as exc:
                raise CLIError(f"cannot decode {self.path}: {exc}", EXIT_USAGE) from exc
        return self.decoded

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def name(self) -> str:
        return song_title(self.artist, self.title)


@dataclass
class Segment:
    song: Song | None  # None: audio that is not in the catalog
    start: float  # position in the mix, seconds
    seconds: float
    source_offset: float  # position inside the song


def _step(text: str) -> None:
    out(f"\n▸ {text}")


def _same_song(artist: str | None, title: str | None, song: Song) -> bool:
    def norm(value: str | None) -> str:
        return " ".join((value or "").casefold().split())

    return norm(artist) == norm(song.artist) and norm(title) == norm(song.title)


# ---------------------------------------------------------------- music


def _generate_songs(music_dir: Path) -> list[Song]:
    from audd_server.synth import synth_track, write_audio

    music_dir.mkdir(parents=True, exist_ok=True)

    def make(spec: tuple[str, str, str, str, int, float, str]) -> Song:
        artist, title, album, year, seed, seconds, lyrics = spec
        samples = synth_track(seed, seconds, sample_rate=SYNTH_RATE)
        path = music_dir / f"{seed}.mp3"
        tags = {"artist": artist, "title": title, "album": album, "date": year}
        write_audio(path, samples, SYNTH_RATE, format="mp3", tags=tags)
        # `audd-server catalog add` reads extra metadata from a `<file>.json` sidecar.
        sidecar = path.with_name(path.name + ".json")
        sidecar.write_text(json.dumps({"lyrics": lyrics}), encoding="utf-8")
        return Song(artist, title, path, SYNTH_RATE, samples)

    # numpy and the MP3 encoder release the GIL for their heavy parts: threads overlap them.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        return list(pool.map(make, DEMO_SONGS))


def _load_songs(music_dir: Path) -> list[Song]:
    from audd_server.engine import SAMPLE_RATE, read_tags

    if not music_dir.is_dir():
        raise CLIError(f"--music: {music_dir} is not a directory", EXIT_USAGE)
    paths = sorted(
        p for p in music_dir.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
    )
    if not paths:
        raise CLIError(f"--music: no audio files in {music_dir}", EXIT_USAGE)
    songs = []
    for path in paths:
        try:
            tags = read_tags(path)
        except Exception:  # unreadable tags: the server's enrolment reports the file itself
            tags = {}
        title = tags.get("title") or path.stem
        songs.append(Song(tags.get("artist", ""), title, path, SAMPLE_RATE))
    return songs


def _enrol(server: LocalServer, songs: list[Song], music_dir: Path | None) -> list[Song]:
    """Fingerprint the songs into the server's catalog; returns those it accepted."""
    # A whole --music folder goes as one argument: no command-line length limit to hit.
    output = server.enrol([music_dir] if music_dir else [song.path for song in songs])
    # `audd-server catalog add` prints `id<TAB>artist — title<TAB>path` per enrolled file.
    enrolled = {
        Path(line.rsplit("\t", 1)[-1]).resolve() for line in output.splitlines() if "\t" in line
    }
    accepted = [song for song in songs if song.path.resolve() in enrolled]
    for song in songs:
        if song not in accepted:
            out(f"    skipped {song.path.name}: the server could not enrol it")
    if not accepted:
        raise CLIError("no song could be enrolled", EXIT_USAGE)
    return accepted


def _noisy_clip(song: Song, start: float, seconds: float, snr_db: float, seed: int) -> Samples:
    import numpy as np

    sr = song.sample_rate
    clip = np.asarray(song.samples[int(start * sr) : int((start + seconds) * sr)], np.float64)
    rng = np.random.default_rng(seed)
    signal_power = float(np.mean(clip**2)) or 1e-6
    noise = rng.standard_normal(len(clip)) * np.sqrt(signal_power / 10 ** (snr_db / 10))
    noisy = clip + noise
    peak = float(np.max(np.abs(noisy))) or 1.0
    scaled: Samples = (noisy * min(1.0, 0.95 / peak)).astype(np.float32)
    return scaled


def _build_mix(songs: Sequence[Song], sample_rate: int) -> tuple[Samples, list[Segment]]:
    """Three catalog songs with a stretch of unknown music after the first: about 3 minutes."""
    import numpy as np

    from audd_server.synth import synth_track

    picks = [songs[i] for i in dict.fromkeys((0, len(songs) // 2, len(songs) - 1))]
    plan: list[tuple[Song | None, float, float]] = []
    for i, song in enumerate(picks):
        offset = min(8.0 + 6.0 * i, max(0.0, song.seconds - MIX_SEGMENT_SECONDS))
        plan.append((song, offset, min(MIX_SEGMENT_SECONDS, song.seconds - offset)))
        if i == 0:
            plan.append((None, 0.0, MIX_UNKNOWN_SECONDS))
    pieces = []
    segments = []
    position = 0.0
    fade = np.linspace(0.0, 1.0, int(0.05 * sample_rate), dtype=np.float32)
    for planned, offset, seconds in plan:
        if planned is None:
            audio = synth_track(UNKNOWN_SEED, seconds, sample_rate=sample_rate)
        else:
            lo = int(offset * sample_rate)
            audio = np.array(planned.samples[lo : lo + int(seconds * sample_rate)], np.float32)
        audio[: len(fade)] *= fade
        audio[len(audio) - len(fade) :] *= fade[::-1]
        pieces.append(audio)
        segments.append(Segment(planned, position, len(audio) / sample_rate, offset))
        position += len(audio) / sample_rate
    return np.concatenate(pieces), segments


# ---------------------------------------------------------------- the tour


def _recognize_clip(audd: AudD, songs: Sequence[Song], work: Path) -> bool:
    from audd_server.synth import write_audio

    song = songs[min(2, len(songs) - 1)]
    start = min(31.0, max(0.0, song.seconds - CLIP_SECONDS - 1.0))
    clip = _noisy_clip(song, start, CLIP_SECONDS, CLIP_SNR_DB, seed=7)
    clip_path = work / "clip.mp3"
    write_audio(clip_path, clip, song.sample_rate, format="mp3")
    _step(
        f"Recognizing a {CLIP_SECONDS:.0f} s clip of {song.name!s} from {mmss(start)} "
        f"with white noise at {CLIP_SNR_DB:.0f} dB SNR"
    )
    out(f"    clip: {clip_path}")
    out("    >>> audd.recognize(clip_path)")
    began = time.perf_counter()
    result = audd.recognize(clip_path)
    latency_ms = (time.perf_counter() - began) * 1000
    if result is None:
        out(f"    ✗ no match ({latency_ms:.0f} ms) — expected {song.name}")
        return False
    score = (result.model_extra or {}).get("score")
    extra = f"score {score}, " if score is not None else ""
    correct = _same_song(result.artist, result.title, song)
    mark = "✓" if correct else "✗"
    out(
        f"    {mark} {song_title(result.artist, result.title)} @ {result.timecode}"
        f"   ({extra}{latency_ms:.0f} ms round trip)"
    )
    if result.song_link:
        out(f"      {result.song_link}")
    if not correct:
        out(f"    expected {song.name}")
    return correct


def _scan_mix(audd: AudD, songs: Sequence[Song], work: Path) -> tuple[int, int]:
    from audd_server.synth import write_audio

    mix, segments = _build_mix(songs, songs[0].sample_rate)
    mix_path = work / "mix.mp3"
    write_audio(mix_path, mix, songs[0].sample_rate, format="mp3")
    total = len(mix) / songs[0].sample_rate
    _step(
        f"Scanning a {mmss(total)} mix with the enterprise endpoint "
        f"(recognize_enterprise, limit={ENTERPRISE_LIMIT})"
    )
    out(f"    mix: {mix_path}")
    for seg in segments:
        what = seg.song.name if seg.song else "(music that is not in the catalog)"
        out(f"      {mmss(seg.start):>5}–{mmss(seg.start + seg.seconds):<5} {what}")
    out(f"    >>> audd.recognize_enterprise(mix_path, limit={ENTERPRISE_LIMIT})")
    began = time.perf_counter()
    matches = audd.recognize_enterprise(mix_path, limit=ENTERPRISE_LIMIT)
    elapsed = time.perf_counter() - began
    out(f"    {len(matches)} matches in {elapsed:.1f} s:")
    found: set[int] = set()
    for match in by_position(matches):
        start = match.start_seconds
        if start is None:
            start = match.chunk_offset_seconds or 0.0
        end = match.end_seconds
        if end is None:
            end = start + 12.0
        # Right place: the match overlaps a stretch of the mix that plays the same song.
        hits = [
            i
            for i, seg in enumerate(segments)
            if seg.song is not None
            and start < seg.start + seg.seconds
            and end > seg.start
            and _same_song(match.artist, match.title, seg.song)
        ]
        found.update(hits)
        mark = "✓" if hits else "✗"
        out(
            f"      {mark} {match_position(match):>15}  {song_title(match.artist, match.title)} "
            f"@ {match.timecode}  (score {match.score})"
        )
    wanted = sum(1 for seg in segments if seg.song is not None)
    return len(found), wanted


def _print_keep_instructions(server: LocalServer, token: str, work: Path) -> None:
    out("\nThe server keeps running — try the CLI against it from another terminal:")
    out(f"    export AUDD_API_TOKEN={token}")
    out(f"    export AUDD_BASE_URL={server.base_url}")
    out(f"    export AUDD_ENTERPRISE_BASE_URL={server.enterprise_base_url}")
    out(f"    audd recognize {work / 'clip.mp3'}")
    out(f"    audd enterprise {work / 'mix.mp3'} --limit 20")
    out(f"Data directory: {server.data_dir}")
    out(f"(serve it again later: audd server serve --data-dir {server.data_dir})")
    out("Press Ctrl-C to stop the server.")


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        import numpy  # noqa: F401

        import audd_server.synth  # noqa: F401
    except ImportError as exc:
        raise CLIError(f"{SERVER_EXTRA_HINT} ({exc})", EXIT_SERVER) from exc

    # SIGTERM/SIGHUP unwind like Ctrl-C, so the server child (in its own session) is stopped.
    previous = _install_termination_handlers()
    try:
        return _run_demo(args)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _install_termination_handlers() -> dict[int, Any]:
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, _raise_interrupt)
    return previous


def _run_demo(args: argparse.Namespace) -> int:
    own_dir = args.data_dir is None
    data_dir = (
        Path(tempfile.mkdtemp(prefix="audd-demo-"))
        if own_dir
        else Path(args.data_dir).expanduser().resolve()
    )
    work = data_dir / "demo"
    clip_ok = False
    try:
        out("audd demo — music recognition end to end, against a local AudD-compatible server")
        out("(no network needed; everything runs on this machine)")
        work.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        if args.music:
            _step(f"Reading your music from {args.music}")
            songs = _load_songs(Path(args.music).expanduser())
        else:
            _step(f"Generating {len(DEMO_SONGS)} synthetic songs (MP3 with tags)")
            songs = _generate_songs(work / "music")
        for i, song in enumerate(songs[:LIST_SONGS], 1):
            length = f"  ({song.seconds:.0f} s)" if song.decoded is not None else ""
            out(f"    {i}. {song.name}{length}")
        if len(songs) > LIST_SONGS:
            out(f"    … and {len(songs) - LIST_SONGS} more")
        out(f"    done in {time.perf_counter() - began:.1f} s")

        server = LocalServer(data_dir, port=args.port)
        with server:
            _step(f"Preparing the server's data directory {data_dir}")
            token = server.create_token("enterprise")
            out(f"    api token (enterprise plan): {token}")
            began = time.perf_counter()
            songs = _enrol(server, songs, Path(args.music).expanduser() if args.music else None)
            out(
                f"    enrolled {len(songs)} songs in the catalog "
                f"({time.perf_counter() - began:.1f} s)"
            )

            _step(f"Starting the server on {server.base_url}")
            began = time.perf_counter()
            server.start()
            out(f"    ready in {time.perf_counter() - began:.1f} s")

            out(
                f"    >>> audd = AudD(token, base_url={server.base_url!r}, "
                f"enterprise_base_url={server.enterprise_base_url!r})"
            )
            with AudD(
                token, base_url=server.base_url, enterprise_base_url=server.enterprise_base_url
            ) as audd:
                clip_ok = _recognize_clip(audd, songs, work)
                found, wanted = _scan_mix(audd, songs, work)

            _step("Summary")
            out(f"    noisy clip: {'recognized correctly' if clip_ok else 'NOT recognized'}")
            out(f"    mix: {found} of {wanted} songs found at the right place")
            if args.keep:
                _print_keep_instructions(server, token, work)
                try:
                    server.wait()
                except KeyboardInterrupt:
                    out("\nstopping the server")
        out("    server stopped")
        if not args.keep:
            out(
                "\nNext: `audd demo --keep` leaves the server running so you can try "
                "`audd recognize`, `audd enterprise` and `audd lyrics` against it."
            )
    finally:
        if own_dir and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    return EXIT_OK if clip_ok else EXIT_NO_MATCH

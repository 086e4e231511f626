"""Handlers of the API subcommands: each builds an SDK call from parsed arguments and prints it."""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from audd import (
    AudD,
    AudDAPIError,
    AudDEvent,
    EnterpriseMatch,
    LongpollConsumer,
    RecognitionResult,
    StreamCallbackMatch,
    StreamCallbackNotification,
)
from audd_cli._errors import EXIT_NO_MATCH, EXIT_OK, CLIError
from audd_cli._output import clock, err, one_line, out, out_json, song_title

TOKEN_ENV = "AUDD_API_TOKEN"
BASE_URL_ENV = "AUDD_BASE_URL"
ENTERPRISE_BASE_URL_ENV = "AUDD_ENTERPRISE_BASE_URL"

Source = str | Path | bytes


def resolve_token(args: argparse.Namespace) -> str:
    token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV, "")
    if not token.strip():
        raise CLIError(
            f"no API token: pass --token or set {TOKEN_ENV} (get one at dashboard.audd.io; "
            "`audd demo --keep` prints one for a local server)"
        )
    return str(token).strip()


def resolve_urls(args: argparse.Namespace) -> tuple[str | None, str | None]:
    base = getattr(args, "base_url", None) or os.environ.get(BASE_URL_ENV) or None
    enterprise = (
        getattr(args, "enterprise_base_url", None)
        or os.environ.get(ENTERPRISE_BASE_URL_ENV)
        or None
    )
    return base, enterprise


def make_client(args: argparse.Namespace) -> AudD:
    base, enterprise = resolve_urls(args)
    return AudD(resolve_token(args), base_url=base, enterprise_base_url=enterprise)


def read_source(text: str) -> Source:
    """A CLI SOURCE as an SDK source: URL string, `Path`, or stdin bytes for `-`."""
    if text == "-":
        data = sys.stdin.buffer.read()
        if not data:
            raise CLIError("no audio on stdin")
        return data
    if text.startswith(("http://", "https://")):
        return text
    path = Path(text).expanduser()
    if not path.exists():
        raise CLIError(f"no such file: {text}")
    if path.is_dir():
        raise CLIError(f"{text} is a directory, not an audio file")
    if not os.access(path, os.R_OK):
        raise CLIError(f"cannot read {text}: permission denied")
    return path


# ---------------------------------------------------------------- recognize


def describe_result(result: RecognitionResult) -> list[str]:
    """Lines for one recognition: `Artist — Title @ timecode`, then details and links."""
    if result.audio_id is not None and not (result.artist or result.title):
        head = f"custom catalog audio_id={result.audio_id}"
    else:
        head = song_title(result.artist, result.title)
    if result.timecode:
        head += f" @ {result.timecode}"
    lines = [head]
    details = [
        f"{label}: {value}"
        for label, value in (
            ("album", result.album),
            ("released", result.release_date),
            ("label", result.label),
            ("isrc", result.isrc),
            ("upc", result.upc),
        )
        if value
    ]
    if details:
        lines.append("  " + " · ".join(details))
    if result.song_link:
        lines.append(f"  {result.song_link}")
    for provider, url in result.streaming_urls().items():
        if url and url != result.song_link:
            lines.append(f"  {provider}: {url}")
    return lines


def cmd_recognize(args: argparse.Namespace) -> int:
    source = read_source(args.source)
    with make_client(args) as audd:
        result = audd.recognize(
            source, return_=args.return_, market=args.market, timeout=args.timeout
        )
    if args.json:
        out_json(result)
    elif result is None:
        out("no match")
    else:
        for line in describe_result(result):
            out(line)
    return EXIT_OK if result is not None else EXIT_NO_MATCH


# ---------------------------------------------------------------- enterprise


def match_position(match: EnterpriseMatch) -> str:
    """Where a match sits in the file: exact span with offsets, else only its 12 s chunk."""
    start, end = match.start_seconds, match.end_seconds
    if start is not None and end is not None:
        return f"{clock(start)}–{clock(end)}"
    chunk = match.chunk_offset_seconds
    # Without accurate offsets the server only says which chunk matched: do not invent a span.
    return f"chunk {clock(chunk)}" if chunk is not None else "?"


def by_position(matches: list[EnterpriseMatch]) -> list[EnterpriseMatch]:
    """Matches in order of where they start in the file (within a chunk the API orders by score)."""

    def key(match: EnterpriseMatch) -> float:
        start = match.start_seconds
        if start is None:
            start = match.chunk_offset_seconds
        return start if start is not None else 0.0

    return sorted(matches, key=key)


def describe_match(match: EnterpriseMatch) -> str:
    where = match_position(match)
    line = f"{where:>15}  {song_title(match.artist, match.title)}"
    if match.timecode:
        line += f" @ {match.timecode}"
    if match.score is not None:
        line += f"  (score {match.score})"
    return line


def cmd_enterprise(args: argparse.Namespace) -> int:
    source = read_source(args.source)
    if args.limit is None:
        err(
            "note: no --limit, so the whole file is scanned "
            "(the enterprise endpoint bills every 12 s of audio)"
        )
    with make_client(args) as audd, warnings.catch_warnings():
        # The SDK's "set limit=" warning is for code; the note above says it for the shell.
        warnings.simplefilter("ignore", UserWarning)
        matches = audd.recognize_enterprise(
            source,
            return_=args.return_,
            limit=args.limit,
            skip=args.skip,
            every=args.every,
            skip_first_seconds=args.skip_first_seconds,
            use_timecode=args.use_timecode,
            accurate_offsets=args.accurate_offsets,
            timeout=args.timeout,
        )
    if args.json:
        out_json(matches)
    elif not matches:
        out("no match")
    else:
        previous_link = None
        for match in by_position(matches):
            out(describe_match(match))
            # Consecutive chunks of one song share a link: print it once per run.
            if match.song_link and match.song_link != previous_link:
                out(f"{'':>15}  {match.song_link}")
            previous_link = match.song_link
    return EXIT_OK if matches else EXIT_NO_MATCH


# ---------------------------------------------------------------- streams


def cmd_streams_list(args: argparse.Namespace) -> int:
    with make_client(args) as audd:
        streams = audd.streams.list()
    if args.json:
        out_json(streams)
        return EXIT_OK
    if not streams:
        out("no streams")
        return EXIT_OK
    for stream in streams:
        state = "running" if stream.stream_running else "stopped"
        line = f"{stream.radio_id:>6}  {state:<8} {stream.url}"
        if stream.longpoll_category:
            line += f"  (category {stream.longpoll_category})"
        out(line)
    return EXIT_OK


def _done(args: argparse.Namespace, text: str, **fields: Any) -> int:
    if args.json:
        out_json({"status": "success", **fields})
    else:
        out(text)
    return EXIT_OK


def cmd_streams_add(args: argparse.Namespace) -> int:
    with make_client(args) as audd:
        audd.streams.add(
            url=args.url, radio_id=args.radio_id, callbacks="before" if args.before else None
        )
    return _done(
        args, f"added stream {args.radio_id}: {args.url}", radio_id=args.radio_id, url=args.url
    )


def cmd_streams_set_url(args: argparse.Namespace) -> int:
    with make_client(args) as audd:
        audd.streams.set_url(radio_id=args.radio_id, url=args.url)
    return _done(
        args, f"stream {args.radio_id} now plays {args.url}", radio_id=args.radio_id, url=args.url
    )


def cmd_streams_delete(args: argparse.Namespace) -> int:
    with make_client(args) as audd:
        audd.streams.delete(radio_id=args.radio_id)
    return _done(args, f"deleted stream {args.radio_id}", radio_id=args.radio_id)


def cmd_streams_callback_url(args: argparse.Namespace) -> int:
    action = getattr(args, "callback_action", None) or "get"
    with make_client(args) as audd:
        if action == "set":
            audd.streams.set_callback_url(args.url, return_metadata=args.return_)
            return _done(args, f"callback URL set to {args.url}", url=args.url)
        try:
            url = audd.streams.get_callback_url()
        except AudDAPIError as exc:
            # getCallbackUrl answers #19 when the account has no callback URL.
            if exc.error_code != 19:
                raise
            url = None
    if args.json:
        out_json({"url": url})
    else:
        out(url if url else "no callback URL set")
    return EXIT_OK if url else EXIT_NO_MATCH


def cmd_streams_category(args: argparse.Namespace) -> int:
    with make_client(args) as audd:
        category = audd.streams.derive_longpoll_category(radio_id=args.radio_id)
    if args.json:
        out_json({"radio_id": args.radio_id, "category": category})
    else:
        out(category)
    return EXIT_OK


def describe_stream_match(match: StreamCallbackMatch) -> str:
    song = match.song
    line = f"[radio {match.radio_id}] {match.timestamp or ''} {song_title(song.artist, song.title)}"
    if song.score is not None:
        line += f" (score {song.score})"
    if song.song_link:
        line += f"  {song.song_link}"
    return one_line(line)


def describe_notification(note: StreamCallbackNotification) -> str:
    state = "" if note.stream_running is None else ("running" if note.stream_running else "stopped")
    return one_line(
        f"[radio {note.radio_id}] notification #{note.notification_code}: "
        f"{note.notification_message or ''} {f'({state})' if state else ''}"
    )


def _print_event(event: StreamCallbackMatch | StreamCallbackNotification, as_json: bool) -> None:
    if as_json:
        # JSON Lines: one event per line, so `audd streams longpoll --json | jq` streams.
        kind = "match" if isinstance(event, StreamCallbackMatch) else "notification"
        data = event.model_dump(mode="json", exclude={"raw_response"})
        out(json.dumps({kind: data}, ensure_ascii=False))
    elif isinstance(event, StreamCallbackMatch):
        out(describe_stream_match(event))
    else:
        out(describe_notification(event))


def _consume(poll: Any, args: argparse.Namespace) -> int:
    # `poll` is the SDK's longpoll subscription (its class is not part of the public names).
    def notifications() -> None:
        for note in poll.notifications:
            _print_event(note, args.json)

    printer = threading.Thread(target=notifications, name="audd-cli-notifications", daemon=True)
    printer.start()
    try:
        if not args.json:
            err(f"listening on longpoll category {poll.category} (Ctrl-C to stop)")
        for seen, match in enumerate(poll.matches, 1):
            _print_event(match, args.json)
            if args.count is not None and seen >= args.count:
                return EXIT_OK
        # The matches ended on their own: the subscription hit a terminal error.
        for error in poll.errors:
            raise error
        return EXIT_OK
    finally:
        # Closing ends the notifications iterator: nothing prints after the command returned.
        poll.close()
        printer.join(5)


class _ConnectionNotices:
    """`on_event` hook: the SDK reconnects a longpoll silently; tell the shell user once."""

    def __init__(self) -> None:
        self.failing = False

    def __call__(self, event: AudDEvent) -> None:
        if event.method != "longpoll":
            return
        if event.kind == "exception" and not self.failing:
            self.failing = True
            reason = event.extras.get("exception", "network error")
            err(f"longpoll: cannot reach the server ({reason}); retrying…")
        elif event.kind == "response" and self.failing:
            self.failing = False
            err("longpoll: reconnected")


def cmd_streams_longpoll(args: argparse.Namespace) -> int:
    base, enterprise = resolve_urls(args)
    notices = _ConnectionNotices()
    if args.category is not None:
        with (
            LongpollConsumer(category=args.category, base_url=base, on_event=notices) as consumer,
            consumer.iterate(timeout=args.timeout, since_time=args.since_time) as poll,
        ):
            return _consume(poll, args)
    client = AudD(
        resolve_token(args), base_url=base, enterprise_base_url=enterprise, on_event=notices
    )
    with (
        client as audd,
        audd.streams.longpoll(
            radio_id=args.radio_id,
            timeout=args.timeout,
            since_time=args.since_time,
            skip_callback_check=args.skip_callback_check,
        ) as poll,
    ):
        return _consume(poll, args)


# ---------------------------------------------------------------- catalog, lyrics


def cmd_catalog_add(args: argparse.Namespace) -> int:
    source = read_source(args.source)
    with make_client(args) as audd:
        audd.custom_catalog.add(audio_id=args.audio_id, source=source)
    return _done(
        args, f"added audio_id {args.audio_id} to the custom catalog", audio_id=args.audio_id
    )


def cmd_lyrics(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    with make_client(args) as audd:
        hits = audd.advanced.find_lyrics(query)
    if args.json:
        out_json(hits)
    elif not hits:
        out("no lyrics found")
    else:
        for hit in hits:
            out(song_title(hit.artist, hit.title))
            lyrics = (hit.lyrics or "").strip().splitlines()
            for text in lyrics[:4]:
                out(f"  {text}")
            if len(lyrics) > 4:
                out("  …")
    return EXIT_OK if hits else EXIT_NO_MATCH


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "recognize": cmd_recognize,
    "enterprise": cmd_enterprise,
    "streams.list": cmd_streams_list,
    "streams.add": cmd_streams_add,
    "streams.set_url": cmd_streams_set_url,
    "streams.delete": cmd_streams_delete,
    "streams.callback_url": cmd_streams_callback_url,
    "streams.longpoll": cmd_streams_longpoll,
    "streams.category": cmd_streams_category,
    "catalog.add": cmd_catalog_add,
    "lyrics": cmd_lyrics,
}

"""The argparse tree of the `audd` command: global options, subcommands and their arguments."""

from __future__ import annotations

import argparse

PROVIDERS = ("apple_music", "spotify", "deezer", "napster", "musicbrainz")

DESCRIPTION = """\
Recognize music with the AudD API (or a local AudD-compatible server) from the shell.

Connection: --token (else $AUDD_API_TOKEN), --base-url (else $AUDD_BASE_URL),
--enterprise-base-url (else $AUDD_ENTERPRISE_BASE_URL).
First time here? Run `audd demo`: it starts a local server, enrols music and recognizes it."""

EPILOG = """\
exit codes:
  0    success (recognize/enterprise: at least one match)
  1    nothing found: no match, no lyrics hit, no callback URL set
  2    usage error: bad arguments, no token, missing or unreadable file
  3    the API or the network reported an error (printed as `error: [#code] message`)
  4    the local server could not be started (demo)
  130  interrupted (Ctrl-C)"""


def _add_connection_options(parser: argparse.ArgumentParser, *, top_level: bool) -> None:
    # The options are accepted both before and after the subcommand. A subparser's defaults
    # would overwrite what the top level parsed, so below the top level they default to SUPPRESS.
    default: object = None if top_level else argparse.SUPPRESS
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--token",
        default=default,
        help="API token (default: $AUDD_API_TOKEN)",
    )
    group.add_argument(
        "--base-url",
        default=default,
        metavar="URL",
        help="standard API base URL (default: $AUDD_BASE_URL, else https://api.audd.io)",
    )
    group.add_argument(
        "--enterprise-base-url",
        default=default,
        metavar="URL",
        help="enterprise API base URL (default: $AUDD_ENTERPRISE_BASE_URL, "
        "else https://enterprise.audd.io)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="print machine-readable JSON instead of text",
    )


def _providers(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown provider {', '.join(unknown)!s}; choose from {', '.join(PROVIDERS)}"
        )
    return names


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be > 0")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _poll_timeout(text: str) -> int:
    value = _int(text)
    if not 1 <= value <= 90:
        raise argparse.ArgumentTypeError("must be between 1 and 90 seconds")
    return value


def _version() -> str:
    from audd import __version__

    return f"audd {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The full `audd` parser; each leaf subcommand sets `handler` to its dotted command name."""
    parser = argparse.ArgumentParser(
        prog="audd",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=_version())
    _add_connection_options(parser, top_level=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    def command(
        sub: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        handler: str,
        help_text: str,
        *,
        description: str | None = None,
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=description or help_text)
        _add_connection_options(p, top_level=False)
        p.set_defaults(handler=handler)
        return p

    # recognize
    p = command(
        commands,
        "recognize",
        "recognize",
        "recognize a 5–25 s clip (file path, http(s) URL, or - for stdin)",
        description="Recognize a short clip. Prints `Artist — Title @ timecode` and the song "
        "link; exits 1 when nothing matched.",
    )
    p.add_argument("source", metavar="SOURCE", help="audio file, http(s) URL, or - (stdin)")
    p.add_argument(
        "--return",
        dest="return_",
        type=_providers,
        metavar="PROVIDERS",
        help=f"comma-separated metadata providers: {','.join(PROVIDERS)}",
    )
    p.add_argument("--market", metavar="CC", help="Apple Music storefront (ISO 3166), e.g. GB")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="request timeout")

    # enterprise
    p = command(
        commands,
        "enterprise",
        "enterprise",
        "find every song in a long file (broadcast, mix, podcast)",
        description="Scan a long file with the enterprise endpoint; one line per match with its "
        "position in the file. Billed per 12 s of audio scanned: use --limit.",
    )
    p.add_argument("source", metavar="SOURCE", help="audio file, http(s) URL, or - (stdin)")
    p.add_argument(
        "--limit",
        type=_non_negative_int,
        metavar="N",
        help="stop after N results; always set it while testing (billing is per 12 s)",
    )
    p.add_argument(
        "--skip", type=_non_negative_int, metavar="N", help="12 s chunks to skip after each run"
    )
    p.add_argument(
        "--every", type=_non_negative_int, metavar="N", help="consecutive chunks scanned per run"
    )
    p.add_argument(
        "--skip-first-seconds",
        type=_non_negative_int,
        metavar="N",
        help="start scanning N seconds into the file",
    )
    p.add_argument(
        "--use-timecode",
        action="store_true",
        default=None,
        help="take the start position from the URL's t/start parameter",
    )
    p.add_argument(
        "--no-accurate-offsets",
        dest="accurate_offsets",
        action="store_false",
        default=True,
        help="do not ask for precise start/end offsets inside each chunk",
    )
    p.add_argument(
        "--return",
        dest="return_",
        type=_providers,
        metavar="PROVIDERS",
        help=f"comma-separated metadata providers: {','.join(PROVIDERS)}",
    )
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="request timeout")

    # streams
    streams = commands.add_parser(
        "streams",
        help="manage live streams, the callback URL, and longpoll",
        description="Manage live audio streams recognized continuously by AudD.",
    )
    _add_connection_options(streams, top_level=False)
    sc = streams.add_subparsers(dest="streams_command", metavar="ACTION")
    sc.required = True
    command(sc, "list", "streams.list", "list the streams on the account")
    p = command(sc, "add", "streams.add", "add a stream")
    p.add_argument("url", metavar="URL", help="stream URL (HTTP, HLS, Icecast, twitch:…, …)")
    p.add_argument("radio_id", metavar="RADIO_ID", type=_int, help="your integer id for it")
    p.add_argument(
        "--before",
        action="store_true",
        help="send callbacks when a song starts (callbacks=before) instead of when it ends",
    )
    p = command(sc, "set-url", "streams.set_url", "change a stream's URL")
    p.add_argument("radio_id", metavar="RADIO_ID", type=_int)
    p.add_argument("url", metavar="URL")
    p = command(sc, "delete", "streams.delete", "delete a stream")
    p.add_argument("radio_id", metavar="RADIO_ID", type=_int)
    p = command(
        sc,
        "callback-url",
        "streams.callback_url",
        "show (default) or set the account's callback URL",
        description="`audd streams callback-url` or `... get` shows it; "
        "`... set URL [--return PROVIDERS]` sets it.",
    )
    cb = p.add_subparsers(dest="callback_action", metavar="get|set")
    command(cb, "get", "streams.callback_url", "show the callback URL")
    q = command(cb, "set", "streams.callback_url", "set the callback URL")
    q.add_argument("url", metavar="URL")
    q.add_argument(
        "--return",
        dest="return_",
        type=_providers,
        metavar="PROVIDERS",
        help="metadata providers to include in every callback",
    )
    p = command(
        sc,
        "longpoll",
        "streams.longpoll",
        "print stream recognition events as they arrive",
        description="Hold a longpoll subscription open and print each match (and lifecycle "
        "notification) as it arrives, until --count matches or Ctrl-C. With --category no "
        "token is needed.",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--radio-id", type=_int, metavar="N", help="stream to follow (needs token)")
    who.add_argument("--category", metavar="C", help="longpoll category (no token needed)")
    p.add_argument(
        "--timeout",
        type=_poll_timeout,
        default=50,
        metavar="SECONDS",
        help="hold time of each poll request, 1–90 (default 50)",
    )
    p.add_argument("--count", type=_positive_int, metavar="N", help="exit after N matches")
    p.add_argument(
        "--since-time", type=_non_negative_int, metavar="MS", help="replay events after MS"
    )
    p.add_argument(
        "--skip-callback-check",
        action="store_true",
        help="do not check that a callback URL is configured first",
    )
    p = command(
        sc,
        "category",
        "streams.category",
        "print the longpoll category for a radio id (computed locally)",
    )
    p.add_argument("radio_id", metavar="RADIO_ID", type=_int)

    # catalog
    catalog = commands.add_parser(
        "catalog",
        help="add songs to your custom catalog",
        description="The custom catalog is a private fingerprint database for your account "
        "(requires special access).",
    )
    _add_connection_options(catalog, top_level=False)
    cc = catalog.add_subparsers(dest="catalog_command", metavar="ACTION")
    cc.required = True
    p = command(cc, "add", "catalog.add", "fingerprint a song into the custom catalog")
    p.add_argument("audio_id", metavar="AUDIO_ID", type=_int, help="your integer id for the song")
    p.add_argument("source", metavar="SOURCE", help="audio file, http(s) URL, or - (stdin)")

    # lyrics
    p = command(commands, "lyrics", "lyrics", "search lyrics by text")
    p.add_argument("query", metavar="QUERY", nargs="+", help="words of the lyrics")

    # server (pass-through; `audd server ...` is intercepted before parsing when it comes first)
    p = commands.add_parser(
        "server",
        help="run the local AudD-compatible server (audd-server ...)",
        description="Pass the remaining arguments to the audd-server command line.",
        add_help=False,
    )
    p.add_argument("server_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler="server")

    # demo
    p = commands.add_parser(
        "demo",
        help="start a local server, enrol music, and recognize a noisy clip and a mix",
        description="End-to-end tour: starts a local AudD-compatible server, enrols a few "
        "tracks, recognizes a noisy 10 s clip through the SDK, then scans a 3-minute mix with "
        "the enterprise endpoint. Exits 0 only if the clip was recognized correctly.",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the server running (until Ctrl-C) and keep its data directory",
    )
    p.add_argument("--port", type=_int, default=0, help="port to listen on (default: any free)")
    p.add_argument(
        "--music",
        metavar="DIR",
        help="enrol the audio files in DIR (tagged) instead of generated tracks",
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="server data directory (default: a new temporary directory)",
    )
    p.set_defaults(handler="demo")
    return parser

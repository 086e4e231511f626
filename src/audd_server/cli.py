"""`audd-server`: run the local AudD-compatible server and manage its tokens and catalog.

audd-server serve [--host H] [--port P] [--data-dir DIR]
audd-server token create [--plan free|standard|enterprise] [--token T] [...]
audd-server token list
audd-server catalog add PATH... [--artist A] [--title T] [--metadata FILE.csv]
audd-server catalog list | catalog remove ID...
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audd_server.config import DATA_DIR_ENV, Settings, default_data_dir
from audd_server.store.accounts import PLANS

_PLANS_HELP = "\n".join(f"  {p.name:<11} {p.description}" for p in PLANS.values())

_EPILOG = f"""\
Plans (override per token with --enterprise/--no-enterprise, --custom-catalog, --stream-slots,
--daily-limit):
{_PLANS_HELP}
The token `test` exists by default on the free plan.

Data directory (--data-dir, env {DATA_DIR_ENV}, default {default_data_dir()}):
  audd.db     SQLite (WAL): accounts, usage, catalog metadata + lyrics, streams, events
  index/      fingerprint index
  tmp/        spooled downloads

Song links: a catalog track's `song_link` is the `song_link` from its metadata when given
(e.g. a lis.tn link), else http://<host>:<port>/song/<id> served by this server
(--public-url changes the base).
"""


def _data_dir_parent() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"data directory (default: ${DATA_DIR_ENV} or {default_data_dir()})",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    common = _data_dir_parent()
    parser = argparse.ArgumentParser(
        prog="audd-server",
        description="Self-hosted server speaking the AudD music-recognition HTTP API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        parents=[common],
        help="run the HTTP server",
        description=(
            "Serve the AudD API (recognize, stream management, longpoll, /upload/, /findLyrics/) "
            "on one port, the enterprise endpoint under /enterprise/. A new data directory is "
            "created and initialized on first start (with the token `test`); stored streams are "
            "monitored again after a restart. Stop with Ctrl-C."
        ),
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default: 127.0.0.1; 0.0.0.0 for every interface)",
    )
    serve.add_argument("--port", type=int, default=8080, help="TCP port (default: 8080)")
    serve.add_argument(
        "--public-url",
        default=None,
        help="base URL used in song links (default: http://HOST:PORT)",
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="uvicorn log level (default: info)",
    )
    serve.add_argument(
        "--allow-local-streams",
        action="store_true",
        help="accept file:// URLs and absolute paths as stream URLs (for testing)",
    )

    token = sub.add_parser(
        "token",
        help="manage api tokens",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tsub = token.add_subparsers(dest="token_command", required=True)
    create = tsub.add_parser(
        "create",
        parents=[common],
        help="create a token",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument("--plan", choices=list(PLANS), default="standard")
    create.add_argument("--token", default=None, help="the token string (default: random)")
    create.add_argument(
        "--enterprise", action=argparse.BooleanOptionalAction, default=None,
        help="allow the enterprise endpoint",
    )  # fmt: skip
    create.add_argument(
        "--custom-catalog", action=argparse.BooleanOptionalAction, default=None,
        help="allow /upload/ and custom-catalog matches",
    )  # fmt: skip
    create.add_argument("--stream-slots", type=int, default=None, help="number of streams")
    create.add_argument(
        "--daily-limit", default=None,
        help="requests per UTC day (enterprise counts 12 s chunks), or `none` for unlimited",
    )  # fmt: skip
    tsub.add_parser("list", parents=[common], help="list tokens with plan and today's usage")
    delete = tsub.add_parser("delete", parents=[common], help="delete a token")
    delete.add_argument("token")

    cat = sub.add_parser("catalog", help="manage the public catalog")
    csub = cat.add_subparsers(dest="catalog_command", required=True)
    add = csub.add_parser(
        "add",
        parents=[common],
        help="fingerprint files or folders into the catalog",
        description=(
            "Metadata comes from the files' tags, then a sidecar `<file>.json` next to the file, "
            "then the --metadata table (CSV with a `file` column, or JSON keyed by file name), "
            "then the flags. Sidecars and tables may also carry `lyrics`, `song_link` and "
            "provider blocks (apple_music, spotify, deezer, napster, musicbrainz) as JSON. "
            "A server running on the same data directory recognizes the new tracks from its "
            "next request on (so does `catalog remove`)."
        ),
    )
    add.add_argument("paths", nargs="+", type=Path)
    for name in ("artist", "title", "album", "release-date", "label", "isrc", "upc", "song-link"):
        add.add_argument(f"--{name}", default=None)
    add.add_argument("--lyrics-file", type=Path, default=None, help="text file with the lyrics")
    add.add_argument("--metadata", type=Path, default=None, help="CSV/JSON metadata table")
    lst = csub.add_parser("list", parents=[common], help="list catalog tracks")
    lst.add_argument("--json", action="store_true", help="one JSON object per line")
    rm = csub.add_parser("remove", parents=[common], help="remove tracks by id")
    rm.add_argument("ids", nargs="+", type=int)
    return parser


def _settings(args: argparse.Namespace, **kw: Any) -> Settings:
    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    return Settings(data_dir=data_dir, **kw)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from audd_server.api import create_app

    settings = _settings(
        args,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        allow_local_streams=args.allow_local_streams,
    )
    app = create_app(settings)
    print(f"audd-server: data in {settings.data_dir}", file=sys.stderr)
    print(
        f"audd-server: http://{args.host}:{args.port}/ (enterprise: /enterprise/)", file=sys.stderr
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _open(args: argparse.Namespace) -> Any:
    from audd_server.context import ServerContext

    return ServerContext.open(_settings(args))


def _token(args: argparse.Namespace) -> int:
    from audd_server.store import AccountStore, Database

    settings = _settings(args)
    db = Database(settings.db_path)
    try:
        accounts = AccountStore(db)
        accounts.ensure_test_token()
        if args.token_command == "create":
            limit: int | str | None = "plan"
            if args.daily_limit is not None:
                limit = (
                    None
                    if args.daily_limit.lower() in ("none", "unlimited")
                    else int(args.daily_limit)
                )
            try:
                acc = accounts.create(
                    plan=args.plan,
                    token=args.token,
                    enterprise=args.enterprise,
                    custom_catalog=args.custom_catalog,
                    stream_slots=args.stream_slots,
                    daily_limit=limit,
                )
            except ValueError as exc:
                print(f"audd-server: {exc}", file=sys.stderr)
                return 2
            print(acc.token)
        elif args.token_command == "list":
            print(f"{'token':<34} {'plan':<10} std ent url cc slots  limit  used")
            for a in accounts.list():
                print(
                    f"{a.token:<34} {a.plan:<10} {_yn(a.standard)}   {_yn(a.enterprise)}   "
                    f"{_yn(a.enterprise_url)}   {_yn(a.custom_catalog)}  {a.stream_slots:>5} "
                    f"{'-' if a.daily_limit is None else a.daily_limit:>6} "
                    f"{accounts.usage_today(a.id):>5}" + ("  (disabled)" if a.disabled else "")
                )
        elif args.token_command == "delete" and not accounts.delete(args.token):
            print(f"audd-server: no token {args.token!r}", file=sys.stderr)
            return 1
    finally:
        db.close()
    return 0


def _yn(flag: bool) -> str:
    return "y" if flag else "-"


def _catalog(args: argparse.Namespace) -> int:
    from audd_server.store import ingest

    ctx = _open(args)
    try:
        if args.catalog_command == "add":
            overrides: dict[str, Any] = {}
            for name in ("artist", "title", "album", "release_date", "label", "isrc", "upc"):
                value = getattr(args, name)
                if value is not None:
                    overrides[name] = value
            if args.song_link is not None:
                overrides["song_link"] = args.song_link
            if args.lyrics_file is not None:
                overrides["lyrics"] = args.lyrics_file.read_text(encoding="utf-8")
            table = ingest.load_metadata_table(args.metadata) if args.metadata else None
            failures = 0
            added = 0
            for path in ingest.iter_audio_files(args.paths):
                try:
                    track = ingest.add_file(ctx, path, table=table, overrides=overrides)
                except Exception as exc:
                    failures += 1
                    print(f"audd-server: {path}: {exc}", file=sys.stderr)
                    continue
                added += 1
                print(f"{track.id}\t{track.artist or ''} — {track.title or ''}\t{path}")
            print(f"added {added} track(s), {failures} failed", file=sys.stderr)
            return 1 if failures and not added else 0
        if args.catalog_command == "list":
            for t in ctx.catalog.list():
                if args.json:
                    print(json.dumps(ctx.song(t, isrc_upc=True) | {"id": t.id}, ensure_ascii=False))
                else:
                    print(
                        "\t".join(
                            [
                                str(t.id),
                                t.artist or "",
                                t.title or "",
                                t.album or "",
                                t.source or "",
                            ]
                        )
                    )
            return 0
        if args.catalog_command == "remove":
            status = 0
            for track_id in args.ids:
                if not ingest.remove_track(ctx, track_id):
                    print(f"audd-server: no track {track_id}", file=sys.stderr)
                    status = 1
            return status
    finally:
        ctx.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "token":
        return _token(args)
    return _catalog(args)

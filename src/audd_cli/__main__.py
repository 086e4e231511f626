"""Entry point of the `audd` command (`python -m audd_cli`, console script `audd`).

`main(argv)` returns the exit code and never lets an SDK error escape as a traceback: every
failure becomes one `error: ...` line on stderr (see the exit codes in `audd --help`).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Sequence

from audd_cli._errors import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_SERVER,
    EXIT_USAGE,
    CLIError,
)
from audd_cli._output import err, one_line, out_json
from audd_cli._parser import build_parser

SERVER_EXTRA_HINT = "the local server is not installed: pip install 'audd[server]'"


def run_server_cli(server_args: Sequence[str]) -> int:
    """`audd server ARGS...` is `audd-server ARGS...`."""
    try:
        from audd_server.cli import main as server_main
    except ImportError as exc:
        raise CLIError(f"{SERVER_EXTRA_HINT} ({exc})", EXIT_SERVER) from exc
    try:
        code = server_main(list(server_args))
    except SystemExit as exc:
        return _exit_status(exc)
    return int(code or 0)


_GLOBAL_FLAGS = {"--json"}
_GLOBAL_OPTIONS = {"--token", "--base-url", "--enterprise-base-url"}


def _server_args(argv: Sequence[str]) -> list[str] | None:
    """The arguments after `server` when it is the subcommand (past any global options)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "server":
            return list(argv[i + 1 :])
        if arg in _GLOBAL_FLAGS or (arg.split("=", 1)[0] in _GLOBAL_OPTIONS and "=" in arg):
            i += 1
        elif arg in _GLOBAL_OPTIONS:
            i += 2
        else:
            return None
    return None


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    err(str(exc.code))
    return 1


def _handler(name: str) -> Callable[[argparse.Namespace], int]:
    if name == "demo":
        from audd_cli._demo import cmd_demo

        return cmd_demo
    if name == "server":
        return lambda args: run_server_cli(args.server_args)
    from audd_cli._commands import HANDLERS

    return HANDLERS[name]


def _report_sdk_error(exc: Exception, as_json: bool) -> int:
    # Imported lazily so that `audd server` works even if the SDK were broken.
    from audd import AudDAPIError

    if isinstance(exc, AudDAPIError):
        message = f"[#{exc.error_code}] {one_line(exc.message)}"
        if exc.branded_message:
            message += f" ({one_line(exc.branded_message)})"
        if as_json:
            out_json(
                {
                    "status": "error",
                    "error": {"error_code": exc.error_code, "error_message": exc.message},
                    "request_id": exc.request_id,
                }
            )
    else:
        message = one_line(exc) or type(exc).__name__
        if as_json:
            out_json({"status": "error", "error": {"error_message": message}})
    err(f"error: {message}")
    return EXIT_API_ERROR


def _tolerate_narrow_terminals() -> None:
    # Song titles and the demo use non-ASCII ("—", "✓"): never crash on a terminal that
    # cannot show them.
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if isinstance(stream, io.TextIOWrapper) and encoding != "utf8":
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run `audd` with `argv` (default: `sys.argv[1:]`) and return the exit code."""
    _tolerate_narrow_terminals()
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        # Pass-through before argparse sees options meant for audd-server (`audd server --help`).
        server_args = _server_args(args_list)
        if server_args is not None:
            return run_server_cli(server_args)
        try:
            args = build_parser().parse_args(args_list)
        except SystemExit as exc:
            return _exit_status(exc)
        handler = _handler(args.handler)
        from audd import AudDError

        try:
            return handler(args)
        except AudDError as exc:
            return _report_sdk_error(exc, bool(getattr(args, "json", False)))
        except ValueError as exc:
            # The SDK validates arguments (radio ids, URLs, providers) with ValueError.
            err(f"error: {one_line(exc)}")
            return EXIT_USAGE
        except BrokenPipeError:
            # `audd ... | head`: the reader went away; nothing left to say.
            return 0
        except OSError as exc:
            # Reading the input failed after the checks (vanished file, I/O error).
            err(f"error: {one_line(exc)}")
            return EXIT_USAGE
    except CLIError as exc:
        err(f"error: {one_line(exc.message)}")
        return exc.exit_code
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

"""Exit codes and the one exception type the command handlers raise for user-facing failures."""

from __future__ import annotations

EXIT_OK = 0
# Recognition ran but matched nothing (like grep: scripts can branch on it).
EXIT_NO_MATCH = 1
# Bad arguments, missing token, unreadable or missing input file.
EXIT_USAGE = 2
# The API (or the network to it) reported an error; the message carries the AudD error code.
EXIT_API_ERROR = 3
# The local server (demo / pass-through) could not be started or misbehaved.
EXIT_SERVER = 4
EXIT_INTERRUPTED = 130


class CLIError(Exception):
    """A failure to report as one `error: ...` line with `exit_code`, never a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

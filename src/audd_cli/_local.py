"""A local AudD-compatible server run as a child process, for `audd demo` and the CLI tests.

Everything goes through the server's own command line (`python -m audd_server ...`): the data
directory is the only thing shared, so the CLI never reaches into the server's internals.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from audd_cli._errors import EXIT_SERVER, CLIError

# A server that has not answered after this long is reported as broken (cold imports of
# numpy/scipy/av on a slow machine take a few seconds).
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.05
_TOKEN_RE = re.compile(r"[A-Za-z0-9_.-]{8,}")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


class LocalServer:
    """`python -m audd_server serve` on `host:port` over `data_dir`; a context manager.

    Setup commands (`token`, `catalog add`) can run before `start()`: they only touch the data
    directory.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        python: str = sys.executable,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port or free_port(host)
        self.python = python
        self.log_path = data_dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def enterprise_base_url(self) -> str:
        return f"{self.base_url}/enterprise"

    # ------------------------------------------------------------ server CLI

    def run_cli(self, args: Sequence[str], *, timeout: float = 600.0) -> str:
        """Run `python -m audd_server ARGS --data-dir DIR` and return its stdout."""
        command = [self.python, "-m", "audd_server", *args, "--data-dir", str(self.data_dir)]
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=self._env(),
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise CLIError(
                f"`audd-server {' '.join(args[:2])}` did not finish in {timeout:.0f} s",
                EXIT_SERVER,
            ) from exc
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise CLIError(
                f"`audd-server {' '.join(args[:2])}` failed (exit {done.returncode}): "
                + (detail[-1] if detail else "no output"),
                EXIT_SERVER,
            )
        return done.stdout

    def create_token(self, plan: str = "enterprise") -> str:
        """A new api token on `plan` (enterprise: standard + enterprise + custom catalog)."""
        output = self.run_cli(["token", "create", "--plan", plan], timeout=120)
        # `audd-server token create` prints the new token alone on its last line.
        lines = output.strip().splitlines()
        token = lines[-1].strip() if lines else ""
        if not _TOKEN_RE.fullmatch(token):
            raise CLIError(f"could not read the new token from: {output.strip()!r}", EXIT_SERVER)
        return token

    def enrol(self, paths: Sequence[Path]) -> str:
        """Fingerprint tagged audio files into the public catalog."""
        return self.run_cli(["catalog", "add", *(str(p) for p in paths)])

    # ------------------------------------------------------------ process

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server and return once it answers HTTP."""
        # Otherwise whatever already listens there would answer the readiness check for us.
        if not port_is_free(self.host, self.port):
            raise CLIError(f"port {self.port} on {self.host} is already in use", EXIT_SERVER)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self._log = log
        command = [
            self.python,
            "-m",
            "audd_server",
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        # Own session: a terminal Ctrl-C reaches only us, and we shut the server down in order.
        self._proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self._env(),
            start_new_session=True,
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as http:
            while True:
                proc = self._proc
                if proc is None or proc.poll() is not None:
                    code = None if proc is None else proc.returncode
                    raise CLIError(
                        f"the local server exited during startup (exit {code}); "
                        f"log {self.log_path}:\n{_tail(self.log_path)}",
                        EXIT_SERVER,
                    )
                try:
                    http.get(self.base_url + "/")
                    return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise CLIError(
                        f"the local server did not answer on {self.base_url} within "
                        f"{timeout:.0f} s; log {self.log_path}:\n{_tail(self.log_path)}",
                        EXIT_SERVER,
                    )
                time.sleep(_POLL_INTERVAL)

    @property
    def pid(self) -> int | None:
        """The server process id while it runs (benchmarks sample its memory)."""
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait(self) -> int:
        """Block until the server exits on its own (used by `audd demo --keep`)."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
        log, self._log = self._log, None
        if log is not None:
            with contextlib.suppress(OSError):
                log.close()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

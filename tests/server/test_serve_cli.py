"""`python -m audd_server serve` on a fresh data directory, and the `--help` texts."""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from server_fixtures import clip_bytes

from audd_server.cli import build_parser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audd_server", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_m_audd_server_help() -> None:
    top = _run("--help")
    assert top.returncode == 0, top.stderr
    assert top.stdout.startswith("usage: audd-server")
    for command in ("serve", "token", "catalog"):
        assert command in top.stdout
    serve = _run("serve", "--help")
    assert serve.returncode == 0, serve.stderr
    assert "/enterprise/" in serve.stdout
    assert "created and initialized on first start" in serve.stdout


def test_every_serve_option_has_a_help_text() -> None:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    serve = sub.choices["serve"]
    for action in serve._actions:
        assert action.help, action.option_strings
    text = serve.format_help()
    assert re.search(r"--port PORT\s+TCP port \(default: 8080\)", text)
    assert re.search(r"--host HOST\s+interface to listen on", text)


@pytest.mark.slow
def test_serve_on_a_fresh_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "nested"
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "audd_server", "serve", "--data-dir", str(data_dir)]
    cmd += ["--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(base + "/song/1", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        assert (data_dir / "audd.db").is_file()
        with httpx.Client(base_url=base, timeout=30) as http:
            # Empty catalog: a clean clip is simply not found; the default `test` token works.
            resp = http.post(
                "/", data={"api_token": "test"}, files={"file": ("c.wav", clip_bytes(1, 0, 5))}
            )
            assert resp.json() == {"status": "success", "result": None}
            assert resp.headers["x-request-id"]
            body = http.post("/", data={"api_token": "nope"}).json()
            assert body["error"]["error_code"] == 900
            assert body["request_params"] == {"api_token": "n***e"}
            resp = http.get("/longpoll/", params={"category": "abc", "timeout": 1})
            assert resp.json()["timeout"] == "no events before timeout"
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"data in {data_dir}" in err
    assert "Traceback" not in err

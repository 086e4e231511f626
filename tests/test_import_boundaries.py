"""Import boundaries from style.md, checked by walking the AST of every module.

- ``audd`` never imports ``audd_server`` or ``audd_cli``;
- ``audd_server`` never imports ``audd``;
- ``audd._core`` does no I/O: no sockets, sleeping, clocks, environment, file opening or HTTP
  transports (importing httpx for its data types and exceptions is fine).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

FORBIDDEN_CORE_MODULES = {
    "socket", "ssl", "select", "selectors", "subprocess", "asyncio", "anyio", "trio", "time",
    "shutil", "tempfile", "http.client", "urllib.request", "requests", "aiohttp", "h11",
    "httpcore", "multiprocessing", "threading", "signal", "sqlite3", "mmap", "fcntl",
}  # fmt: skip
FORBIDDEN_CORE_ATTRIBUTES = {
    ("os", "environ"), ("os", "getenv"), ("os", "putenv"), ("os", "open"), ("os", "read"),
    ("os", "write"), ("os", "stat"), ("os", "fstat"), ("os", "listdir"), ("os", "scandir"),
    ("os", "remove"), ("os", "unlink"), ("os", "system"), ("os", "popen"), ("os", "urandom"),
    ("path", "exists"), ("path", "isfile"), ("path", "isdir"), ("path", "getsize"),
    ("time", "sleep"), ("time", "time"), ("time", "monotonic"), ("time", "perf_counter"),
    ("httpx", "Client"), ("httpx", "AsyncClient"), ("httpx", "HTTPTransport"),
    ("httpx", "AsyncHTTPTransport"), ("httpx", "get"), ("httpx", "post"), ("httpx", "request"),
    ("httpx", "stream"), ("httpx", "MockTransport"),
}  # fmt: skip
FORBIDDEN_CORE_METHODS = {
    "read_bytes", "read_text", "write_bytes", "write_text", "is_file", "exists", "iterdir",
    "now", "utcnow", "today", "sleep", "getenv",
}  # fmt: skip
FORBIDDEN_CORE_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            yield node.lineno, prefix
            for alias in node.names:
                yield node.lineno, f"{prefix}.{alias.name}"


def _is_under(name: str, root: str) -> bool:
    return name == root or name.startswith(root + ".")


@pytest.mark.parametrize("path", modules("audd"), ids=module_name)
def test_sdk_never_imports_server_or_cli(path: Path) -> None:
    bad = [
        (line, name)
        for line, name in imported_modules(path)
        if _is_under(name, "audd_server") or _is_under(name, "audd_cli")
    ]
    assert bad == [], f"{path}: {bad}"


@pytest.mark.parametrize("path", modules("audd_server"), ids=module_name)
def test_server_never_imports_sdk(path: Path) -> None:
    bad = [(line, name) for line, name in imported_modules(path) if _is_under(name, "audd")]
    assert bad == [], f"{path}: {bad}"


def _dotted(node: ast.AST) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


def core_violations(source: str, filename: str = "<core>") -> list[str]:
    """Every I/O use in ``source``, as ``line: what``."""
    tree = ast.parse(source, filename=filename)
    found: list[str] = []
    imported_names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            )
            for name in names:
                if any(_is_under(name, bad) for bad in FORBIDDEN_CORE_MODULES):
                    found.append(f"{node.lineno}: import {name}")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    imported_names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if len(dotted) >= 2 and (dotted[-2], dotted[-1]) in FORBIDDEN_CORE_ATTRIBUTES:
                found.append(f"{node.lineno}: {'.'.join(dotted)}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                target = imported_names.get(func.id, func.id)
                if func.id in FORBIDDEN_CORE_CALLS or tuple(target.rsplit(".", 1)[-2:]) in (
                    FORBIDDEN_CORE_ATTRIBUTES
                ):
                    found.append(f"{node.lineno}: call {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_CORE_METHODS:
                found.append(f"{node.lineno}: call .{func.attr}()")
    return found


@pytest.mark.parametrize("path", modules("audd/_core"), ids=module_name)
def test_core_does_no_io(path: Path) -> None:
    assert core_violations(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "import socket",
        "from time import sleep",
        "import time\ntime.sleep(1)",
        "import os\nos.environ.get('X')",
        "from os import getenv\ngetenv('X')",
        "open('f')",
        "import httpx\nhttpx.Client()",
        "from pathlib import Path\nPath('x').read_bytes()",
        "import datetime\ndatetime.datetime.now()",
        "import os.path\nos.path.exists('x')",
        "import asyncio",
    ],
)
def test_core_checker_catches_io(snippet: str) -> None:
    assert core_violations(snippet) != []


def test_core_checker_allows_pure_code() -> None:
    pure = "import os\nimport httpx\nx = os.fsdecode(b'a')\nt = httpx.Timeout(1.0)\n"
    assert core_violations(pure) == []

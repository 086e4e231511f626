"""Client construction as pure functions: token, base URLs, retry settings, User-Agent, URLs.

The shells read the environment and pass the values in; nothing here reads it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from audd._core._config import (
    DASHBOARD_URL,
    DEFAULT_BACKOFF_FACTOR,
    DEFAULT_BASE_URL,
    DEFAULT_ENTERPRISE_BASE_URL,
    DEFAULT_MAX_RETRIES,
    ENV_API_TOKEN,
)
from audd._core._request import RequestSpec
from audd._version import __version__

__all__ = [
    "ClientOptions",
    "request_url",
    "resolve_base_url",
    "resolve_options",
    "resolve_token",
    "user_agent",
    "validate_token",
]

_OS_NAMES = {"linux": "Linux", "darwin": "Darwin", "win32": "Windows", "cygwin": "Cygwin"}


def user_agent() -> str:
    """``audd/<version> python/<x.y.z> (<os>)``."""
    py = ".".join(str(part) for part in sys.version_info[:3])
    os_name = _OS_NAMES.get(sys.platform, sys.platform)
    return f"audd/{__version__} python/{py} ({os_name})"


def validate_token(token: object) -> str:
    """A usable token: a non-blank ``str`` (surrounding whitespace stripped)."""
    if not isinstance(token, str):
        raise TypeError(f"api_token must be a string, got {type(token).__name__}")
    stripped = token.strip()
    if not stripped:
        raise ValueError(f"api_token is empty or whitespace; get your API token at {DASHBOARD_URL}")
    return stripped


def resolve_token(argument: str | None, env_value: str | None) -> str:
    """Explicit argument, then ``AUDD_API_TOKEN``, else ``ValueError`` pointing at the dashboard."""
    if argument is not None:
        return validate_token(argument)
    if env_value is not None and env_value.strip():
        return validate_token(env_value)
    raise ValueError(
        f"no AudD API token: pass api_token=... or set {ENV_API_TOKEN}; "
        f"get your API token at {DASHBOARD_URL} (the public 'test' token allows 10 requests/day)"
    )


def resolve_base_url(argument: str | None, env_value: str | None, default: str, name: str) -> str:
    """The argument, else the environment value, else ``default``; an http(s) URL, no trailing
    ``/``."""
    value = argument if argument is not None else (env_value or None)
    if value is None:
        return default
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


@dataclass(frozen=True)
class ClientOptions:
    """Validated constructor arguments shared by `AudD` and `AsyncAudD`."""

    api_token: str
    base_url: str
    enterprise_base_url: str
    max_retries: int
    backoff_factor: float
    on_event: Callable[[Any], None] | None


def resolve_options(
    *,
    api_token: str | None,
    env_token: str | None,
    base_url: str | None,
    env_base_url: str | None,
    enterprise_base_url: str | None,
    env_enterprise_base_url: str | None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR,
    on_event: Callable[[Any], None] | None = None,
) -> ClientOptions:
    """Validate constructor arguments (``max_retries`` 0 means 1; negative → ``ValueError``)."""
    token = resolve_token(api_token, env_token)
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise ValueError(f"max_retries must be an integer, got {max_retries!r}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be >= 0 (total attempts), got {max_retries}")
    if isinstance(backoff_factor, bool) or not isinstance(backoff_factor, (int, float)):
        raise ValueError(f"backoff_factor must be a number, got {backoff_factor!r}")
    if backoff_factor < 0 or backoff_factor != backoff_factor:
        raise ValueError(f"backoff_factor must be >= 0, got {backoff_factor}")
    if on_event is not None and not callable(on_event):
        raise TypeError("on_event must be callable")
    return ClientOptions(
        api_token=token,
        base_url=resolve_base_url(base_url, env_base_url, DEFAULT_BASE_URL, "base_url"),
        enterprise_base_url=resolve_base_url(
            enterprise_base_url,
            env_enterprise_base_url,
            DEFAULT_ENTERPRISE_BASE_URL,
            "enterprise_base_url",
        ),
        max_retries=max(1, max_retries),
        backoff_factor=float(backoff_factor),
        on_event=on_event,
    )


def request_url(spec: RequestSpec, base_url: str, enterprise_base_url: str) -> str:
    """Full URL of ``spec`` (without query parameters)."""
    if spec.base == "absolute":
        return spec.path
    base = enterprise_base_url if spec.base == "enterprise" else base_url
    path = spec.path if spec.path.startswith("/") else "/" + spec.path
    return base + path

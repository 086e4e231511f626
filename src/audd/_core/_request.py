"""`RequestSpec` — a complete, token-free description of one API call — and its builders.

Each endpoint method in a shell is ``spec = build_x(...)`` → ``self._send(spec)`` → ``decode_x``.
Builders validate every argument before anything touches the network.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from audd._core._config import (
    ENTERPRISE_LIMIT_WARNING,
    ENTERPRISE_TIMEOUT,
    PROVIDERS,
    STANDARD_TIMEOUT,
)
from audd._core._sources import Source, classify_source

__all__ = [
    "ENTERPRISE_LIMIT_WARNING",
    "Base",
    "RequestSpec",
    "RetryClass",
    "build_custom_catalog_add",
    "build_find_lyrics",
    "build_raw_request",
    "build_recognize",
    "build_recognize_enterprise",
    "form_value",
    "merge_fields",
    "resolve_return",
    "timeout_from_arg",
    "validate_non_negative_int",
]

Base = Literal["api", "enterprise", "absolute"]
TimeoutArg = float | int | httpx.Timeout | None


class RetryClass(enum.Enum):
    """How a call may be retried (see "Retry behavior" in the docs)."""

    READ = "read"
    """Idempotent: retried on any transport error and on HTTP 408/429/5xx."""
    RECOGNITION = "recognition"
    """Billed once the upload is accepted: retried only before the body went out, and on 5xx."""
    MUTATING = "mutating"
    """Has side effects: retried only before the body went out; 5xx is surfaced."""


@dataclass(frozen=True)
class RequestSpec:
    """One API call, minus the token (which `_send` appends as the last form field).

    ``fields`` are form fields for POST, query parameters for GET. With a ``source`` the body is
    multipart (``file`` part streamed between ``fields`` and the token); otherwise POST bodies
    are urlencoded.
    """

    api_method: str
    """Name used in errors, events and logs: ``recognize``, ``addStream``, ``longpoll``..."""
    method: Literal["GET", "POST"] = "POST"
    """HTTP method."""
    base: Base = "api"
    """Host the ``path`` is relative to; ``absolute`` means ``path`` is a full URL."""
    path: str = "/"
    """Path on the host (``/addStream/``) or, with ``base="absolute"``, the full URL."""
    fields: tuple[tuple[str, str], ...] = ()
    """Form fields (POST) or query parameters (GET), in wire order."""
    source: Source | None = None
    """Audio to upload as the ``file`` part."""
    retry_class: RetryClass = RetryClass.RECOGNITION
    """Retry policy for this call."""
    timeout: httpx.Timeout | None = None
    """Per-request timeout; ``None`` means the default of the host (`default_timeout`)."""
    include_token: bool = True
    """Append ``api_token`` as the last form field. Must be False for GET (never in a URL)."""
    custom_catalog: bool = False
    """Map 904/905 to `AudDCustomCatalogAccessError`."""

    def __post_init__(self) -> None:
        if self.method == "GET" and (self.include_token or self.source is not None):
            raise ValueError("GET requests carry neither a token nor a file")

    def default_timeout(self) -> httpx.Timeout:
        """The timeout to use: the explicit one, else the host's default."""
        if self.timeout is not None:
            return self.timeout
        return ENTERPRISE_TIMEOUT if self.base == "enterprise" else STANDARD_TIMEOUT


def timeout_from_arg(timeout: TimeoutArg) -> httpx.Timeout | None:
    """Per-call ``timeout=``: a number becomes ``httpx.Timeout(number)`` (all four phases)."""
    if timeout is None or isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return httpx.Timeout(float(timeout))


def form_value(value: Any) -> str:
    """Wire form of a field value: bools as ``true``/``false``, sequences comma-joined."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(form_value(v) for v in value)
    return str(value)


def merge_fields(
    typed: Iterable[tuple[str, Any]],
    extra_parameters: Mapping[str, Any] | None,
    *,
    reserved: Iterable[str] = (),
) -> tuple[tuple[str, str], ...]:
    """Extra parameters first, then typed fields; typed values (not ``None``) always win.

    ``api_token`` and the names in ``reserved`` (the source fields) are never taken from
    ``extra_parameters``.
    """
    typed_pairs = [(k, v) for k, v in typed if v is not None]
    blocked = {"api_token", *reserved, *(k for k, _ in typed_pairs)}
    merged: list[tuple[str, str]] = []
    if extra_parameters is not None:
        if not isinstance(extra_parameters, Mapping):
            raise TypeError("extra_parameters must be a mapping of field name to value")
        for key, value in extra_parameters.items():
            if not isinstance(key, str):
                raise TypeError("extra_parameters keys must be strings")
            if key in blocked or value is None:
                continue
            merged.append((key, form_value(value)))
    merged.extend((k, form_value(v)) for k, v in typed_pairs)
    return tuple(merged)


def resolve_return(return_: Any, return_metadata: Any) -> str | None:
    """Validate ``return_`` (or its alias ``return_metadata``) into the ``return`` field value."""
    if return_ is not None and return_metadata is not None:
        raise TypeError("pass either return_ or return_metadata, not both")
    value = return_ if return_ is not None else return_metadata
    if value is None:
        return None
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",")]
    elif isinstance(value, Iterable):
        names = []
        for item in value:
            if not isinstance(item, str):
                raise TypeError(f"provider names must be strings, got {item!r}")
            names.append(item.strip())
    else:
        raise TypeError("return_ must be a list of provider names or a comma-separated string")
    names = [n for n in names if n]
    unknown = [n for n in names if n not in PROVIDERS]
    if unknown:
        raise ValueError(
            f"unknown provider(s) {', '.join(map(repr, unknown))} in return_; valid: "
            f"{', '.join(PROVIDERS)} (new providers: extra_parameters={{'return': ...}})"
        )
    deduped = list(dict.fromkeys(names))
    return ",".join(deduped) or None


def validate_non_negative_int(name: str, value: Any) -> int | None:
    """``None`` passes; otherwise ``value`` must be an ``int`` (not ``bool``) ``>= 0``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _source_fields(source: object) -> tuple[list[tuple[str, Any]], Source | None]:
    if source is None:
        raise TypeError("source is required")
    url, src = classify_source(source)
    return ([("url", url)] if url is not None else []), src


def build_recognize(
    source: object,
    *,
    return_: Any = None,
    return_metadata: Any = None,
    market: str | None = None,
    timeout: TimeoutArg = None,
    extra_parameters: Mapping[str, Any] | None = None,
) -> RequestSpec:
    """``POST api /`` — standard recognition of a short clip."""
    ret = resolve_return(return_, return_metadata)
    if market is not None and not isinstance(market, str):
        raise TypeError("market must be a string (ISO 3166 region code)")
    url_fields, src = _source_fields(source)
    fields = merge_fields(
        [*url_fields, ("return", ret), ("market", market)],
        extra_parameters,
        reserved=("url", "file"),
    )
    return RequestSpec(
        api_method="recognize",
        fields=fields,
        source=src,
        retry_class=RetryClass.RECOGNITION,
        timeout=timeout_from_arg(timeout),
    )


def build_recognize_enterprise(
    source: object,
    *,
    limit: int | None = None,
    skip: int | None = None,
    every: int | None = None,
    skip_first_seconds: int | None = None,
    use_timecode: bool | None = None,
    accurate_offsets: bool = True,
    return_: Any = None,
    return_metadata: Any = None,
    timeout: TimeoutArg = None,
    extra_parameters: Mapping[str, Any] | None = None,
) -> RequestSpec:
    """``POST enterprise /`` — chunked recognition of a long file."""
    numbers = {
        "limit": validate_non_negative_int("limit", limit),
        "skip": validate_non_negative_int("skip", skip),
        "every": validate_non_negative_int("every", every),
        "skip_first_seconds": validate_non_negative_int("skip_first_seconds", skip_first_seconds),
    }
    for name, flag in (("use_timecode", use_timecode), ("accurate_offsets", accurate_offsets)):
        if flag is not None and not isinstance(flag, bool):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    ret = resolve_return(return_, return_metadata)
    url_fields, src = _source_fields(source)
    fields = merge_fields(
        [
            *url_fields,
            ("return", ret),
            ("skip", numbers["skip"]),
            ("every", numbers["every"]),
            ("limit", numbers["limit"]),
            ("skip_first_seconds", numbers["skip_first_seconds"]),
            ("use_timecode", use_timecode),
            ("accurate_offsets", accurate_offsets),
        ],
        extra_parameters,
        reserved=("url", "file"),
    )
    return RequestSpec(
        api_method="recognizeEnterprise",
        base="enterprise",
        path="/",
        fields=fields,
        source=src,
        retry_class=RetryClass.RECOGNITION,
        timeout=timeout_from_arg(timeout),
    )


def build_custom_catalog_add(audio_id: int, source: object) -> RequestSpec:
    """``POST api /upload/`` — add a song to the account's custom catalog."""
    if isinstance(audio_id, bool) or not isinstance(audio_id, int):
        raise ValueError(f"audio_id must be an integer, got {audio_id!r}")
    url_fields, src = _source_fields(source)
    return RequestSpec(
        api_method="upload",
        path="/upload/",
        fields=merge_fields([("audio_id", audio_id), *url_fields], None),
        source=src,
        retry_class=RetryClass.MUTATING,
        custom_catalog=True,
    )


def build_find_lyrics(q: str) -> RequestSpec:
    """``POST api /findLyrics/`` — lyrics search."""
    if not isinstance(q, str) or not q.strip():
        raise ValueError("q must be a non-empty string")
    return RequestSpec(
        api_method="findLyrics",
        path="/findLyrics/",
        fields=(("q", q),),
        retry_class=RetryClass.RECOGNITION,
    )


def build_raw_request(method: str, params: Mapping[str, Any] | None = None) -> RequestSpec:
    """``POST api /<method>/`` with ``params`` as form fields (``api_token`` always ours)."""
    if not isinstance(method, str) or not method.strip("/ "):
        raise ValueError("method must be a non-empty API method name, e.g. 'getLinks'")
    name = method.strip("/ ")
    if any(ch in name for ch in "?#") or ".." in name:
        raise ValueError(f"invalid API method name {method!r}")
    return RequestSpec(
        api_method=name,
        path=f"/{name}/",
        fields=merge_fields([], params),
        retry_class=RetryClass.RECOGNITION,
    )

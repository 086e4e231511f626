"""Turning ``(status, headers, body)`` into a decoded envelope or the right `AudDError`.

`decode_response` runs for every endpoint, so the same response gives the same exception type
everywhere. ``decode_*`` then turn an `ApiResponse` into the endpoint's models.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audd._core._config import REQUEST_ID_HEADER
from audd._core._errors import api_error_from_body, error_code_of
from audd._core._models import EnterpriseMatch, LyricsResult, RecognitionResult
from audd._core._request import RequestSpec
from audd.errors import AudDSerializationError, AudDServerError

__all__ = [
    "ApiResponse",
    "decode_enterprise",
    "decode_lyrics",
    "decode_null",
    "decode_object",
    "decode_recognition",
    "decode_response",
    "is_error_body",
]


@dataclass(frozen=True)
class ApiResponse:
    """A successful (non-error) JSON response."""

    body: Any
    """The parsed JSON body (usually a dict with ``status`` and ``result``)."""
    http_status: int
    """HTTP status code."""
    request_id: str | None
    """``x-request-id`` header."""
    api_method: str
    """The `RequestSpec.api_method` it answers."""
    text: str = ""
    """The body as text (for error messages about unexpected shapes)."""

    @property
    def result(self) -> Any:
        """``body["result"]`` (``None`` when absent or when the body is not an object)."""
        return self.body.get("result") if isinstance(self.body, dict) else None

    def unexpected(self, what: str) -> AudDSerializationError:
        """An `AudDSerializationError` for a body whose shape is not ``what``."""
        return AudDSerializationError(
            f"{self.api_method}: expected {what} in the response",
            raw_text=self.text,
            http_status=self.http_status,
            request_id=self.request_id,
            request_method=self.api_method,
        )


def is_error_body(body: Any) -> bool:
    """True for an AudD error envelope."""
    return isinstance(body, dict) and (
        body.get("status") == "error"
        or (isinstance(body.get("error"), dict) and "error_code" in body["error"])
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, val in headers.items():
            if key.lower() == name:
                return val
    return value


def decode_response(
    spec: RequestSpec, status_code: int, headers: Mapping[str, str], content: bytes
) -> ApiResponse:
    """The envelope of a response, or raise the `AudDError` it stands for.

    - JSON error envelope → the class of its ``error_code`` (any HTTP status);
      code 51 with a usable ``result`` → `DeprecationWarning`, treated as success.
    - Non-JSON 2xx → `AudDSerializationError` (raw text kept).
    - Non-JSON (or non-envelope JSON) 4xx/5xx → `AudDServerError` with ``error_code=0``.
    """
    request_id = _header(headers, REQUEST_ID_HEADER)
    text = content.decode("utf-8", errors="replace")
    body: Any = None
    parsed = False
    if text.strip():
        try:
            body = json.loads(text)
            parsed = True
        except ValueError:
            pass

    if parsed and isinstance(body, dict) and is_error_body(body):
        if error_code_of(body) == 51 and body.get("result") not in (None, {}, []):
            message = (body.get("error") or {}).get("error_message") or "deprecated parameter"
            warnings.warn(f"AudD #51: {message}", DeprecationWarning, stacklevel=4)
            return ApiResponse(body, status_code, request_id, spec.api_method, text)
        raise api_error_from_body(
            body,
            http_status=status_code,
            request_id=request_id,
            request_method=spec.api_method,
            custom_catalog=spec.custom_catalog,
        )
    if status_code >= 400:
        snippet = " ".join(text.split())[:200]
        raise AudDServerError(
            f"HTTP {status_code}" + (f": {snippet}" if snippet else ""),
            error_code=0,
            http_status=status_code,
            request_id=request_id,
            request_method=spec.api_method,
            raw_response=body if parsed else text,
        )
    if not parsed:
        raise AudDSerializationError(
            f"{spec.api_method}: the response (HTTP {status_code}) is not JSON",
            raw_text=text,
            http_status=status_code,
            request_id=request_id,
            request_method=spec.api_method,
        )
    return ApiResponse(body, status_code, request_id, spec.api_method, text)


def decode_recognition(response: ApiResponse) -> RecognitionResult | None:
    """``recognize``: the match, or ``None`` when the clip matched nothing."""
    if not isinstance(response.body, dict):
        raise response.unexpected("a JSON object")
    result = response.result
    if result is None or result == [] or result == {}:
        return None
    if not isinstance(result, dict):
        raise response.unexpected("an object or null under 'result'")
    return RecognitionResult.model_validate(result)


def decode_enterprise(response: ApiResponse) -> list[EnterpriseMatch]:
    """``recognize_enterprise``: every match of every chunk, each knowing its chunk offset."""
    if not isinstance(response.body, dict):
        raise response.unexpected("a JSON object")
    chunks = response.result
    if chunks is None:
        return []
    if not isinstance(chunks, list):
        raise response.unexpected("a list of chunks under 'result'")
    matches: list[EnterpriseMatch] = []
    for chunk in chunks:
        if not isinstance(chunk, dict):
            matches.append(EnterpriseMatch.model_validate({"chunk_raw": chunk}))
            continue
        offset = chunk.get("offset")
        songs = chunk.get("songs")
        if not isinstance(songs, list):
            songs = [] if songs is None else [songs]
        for song in songs:
            data = dict(song) if isinstance(song, dict) else {"song_raw": song}
            data.setdefault("chunk_offset", offset)
            matches.append(EnterpriseMatch.model_validate(data))
    return matches


def decode_lyrics(response: ApiResponse) -> list[LyricsResult]:
    """``findLyrics``: the hits (an empty list when none)."""
    if not isinstance(response.body, dict):
        raise response.unexpected("a JSON object")
    result = response.result
    if result is None:
        return []
    if not isinstance(result, list):
        raise response.unexpected("a list under 'result'")
    return [
        LyricsResult.model_validate(item if isinstance(item, dict) else {"value_raw": item})
        for item in result
    ]


def decode_object(response: ApiResponse) -> dict[str, Any]:
    """The raw JSON object (``advanced.raw_request``); anything else is a serialization error."""
    if not isinstance(response.body, dict):
        raise response.unexpected("a JSON object")
    return response.body


def decode_null(response: ApiResponse) -> None:
    """Mutations and uploads: success carries ``result: null``; nothing to return."""
    if not isinstance(response.body, dict):
        raise response.unexpected("a JSON object")

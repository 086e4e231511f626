"""Sans-IO logic of the live-stream surface, shared by the sync and async shells.

Argument validation, the longpoll category, ``return`` merging into a callback URL, callback
parsing, the longpoll state machine (response → new events, next ``since_time``, delay or
terminal error) and the queue policy of its channels. No sockets, sleeps, clocks, locks or
randomness: the shells pass those in.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast
from urllib.parse import unquote_plus

import httpx

from audd._core._config import BACKOFF_CAP_SECONDS, LOGGER_NAME
from audd._core._errors import api_error_from_body
from audd._core._options import resolve_base_url
from audd._core._request import RequestSpec, RetryClass, merge_fields, resolve_return
from audd._core._response import ApiResponse
from audd._core._stream_models import (
    Stream,
    StreamCallbackMatch,
    StreamCallbackNotification,
    StreamCallbackSong,
)
from audd.errors import (
    AudDAPIError,
    AudDConnectionError,
    AudDError,
    AudDInvalidRequestError,
    AudDSerializationError,
    AudDServerError,
)

__all__ = [
    "EMPTY_CALLBACK_URL",
    "LONGPOLL_DEFAULT_TIMEOUT",
    "LONGPOLL_QUEUE_SIZE",
    "CallbackBody",
    "ChannelBuffer",
    "ChannelGroup",
    "LongpollState",
    "LongpollStep",
    "build_add_stream",
    "build_delete_stream",
    "build_get_callback_url",
    "build_get_streams",
    "build_set_callback_url",
    "build_set_stream_url",
    "callback_from_dict",
    "decode_streams",
    "derive_longpoll_category",
    "event_key",
    "is_missing_callback_url",
    "longpoll_http_timeout",
    "longpoll_params",
    "longpoll_url",
    "merge_return_into_url",
    "missing_callback_url_error",
    "needs_user_agent",
    "normalize_return_metadata",
    "parse_callback",
    "parse_callback_url",
    "parse_streams",
    "validate_base_url",
    "validate_callbacks",
    "validate_category",
    "validate_longpoll_timeout",
    "validate_queue_size",
    "validate_radio_id",
    "validate_since_time",
    "validate_url",
]

_log = logging.getLogger(LOGGER_NAME)

T = TypeVar("T")

EMPTY_CALLBACK_URL = "https://audd.tech/empty/"
"""Placeholder callback URL that discards POSTs: for accounts that only longpoll."""

LONGPOLL_DEFAULT_TIMEOUT = 50
LONGPOLL_MIN_TIMEOUT = 1
LONGPOLL_MAX_TIMEOUT = 90
LONGPOLL_READ_MARGIN = 15.0
"""Seconds a poll's HTTP read timeout exceeds its hold time, so a held request never times out."""
LONGPOLL_CONNECT_TIMEOUT = 15.0
LONGPOLL_QUEUE_SIZE = 1024
"""Items buffered per channel (matches, notifications) before polling waits for the consumer."""
LONGPOLL_DEDUPE_WINDOW = 4096
"""Most recent event keys remembered to drop redelivered events."""
LONGPOLL_MIN_DELAY = 0.1
"""Floor of every backoff step: bounds the re-poll rate even with ``backoff_factor=0``."""
LONGPOLL_QUICK_FRACTION = 0.5
"""An event-less answer faster than this fraction of the hold time (and 1 s) means the server
is not holding: back off instead of re-polling at once."""

# Error codes in a 200 body that describe a passing condition rather than a wrong request.
_TRANSIENT_API_CODES = frozenset({100, 611, 1000})
_TRANSIENT_HTTP = frozenset({408, 429})

CallbackBody = bytes | bytearray | memoryview | str | Mapping[str, Any]
"""What ``parse_callback`` accepts."""


# --------------------------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------------------------


def validate_radio_id(radio_id: object) -> int:
    """``radio_id`` as an ``int``; ``TypeError`` for anything else (``bool`` included)."""
    if isinstance(radio_id, bool) or not isinstance(radio_id, int):
        raise TypeError(f"radio_id must be an int, got {type(radio_id).__name__}: {radio_id!r}")
    return int(radio_id)


def validate_longpoll_timeout(timeout: object) -> int:
    """The longpoll hold time in whole seconds, 1..90."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if isinstance(timeout, float) and not (math.isfinite(timeout) and timeout.is_integer()):
        raise ValueError(f"timeout must be a whole number of seconds, got {timeout!r}")
    value = int(timeout)
    if not LONGPOLL_MIN_TIMEOUT <= value <= LONGPOLL_MAX_TIMEOUT:
        raise ValueError(
            f"longpoll timeout must be between {LONGPOLL_MIN_TIMEOUT} and "
            f"{LONGPOLL_MAX_TIMEOUT} seconds, got {value}"
        )
    return value


def validate_since_time(since_time: object) -> int | None:
    """``since_time`` (server milliseconds) as a non-negative ``int``, or ``None``."""
    if since_time is None:
        return None
    if isinstance(since_time, bool) or not isinstance(since_time, int):
        raise TypeError(f"since_time must be an int (ms), got {type(since_time).__name__}")
    if since_time < 0:
        raise ValueError(f"since_time must be >= 0, got {since_time}")
    return int(since_time)


def validate_category(category: object) -> str:
    """A non-empty longpoll category string."""
    if not isinstance(category, str):
        raise TypeError(f"category must be a str, got {type(category).__name__}")
    value = category.strip()
    if not value:
        raise ValueError("category must be a non-empty string")
    return value


def validate_callbacks(callbacks: object) -> str | None:
    """``callbacks`` of ``streams.add``: ``None`` (at song end) or ``"before"`` (at song start)."""
    if callbacks is None:
        return None
    if callbacks != "before":
        raise ValueError(f'callbacks must be None or "before", got {callbacks!r}')
    return "before"


def validate_url(url: object, name: str = "url") -> str:
    """A non-empty URL string (stream URLs may be shortcuts such as ``twitch:<channel>``)."""
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a str, got {type(url).__name__}")
    if not url.strip():
        raise ValueError(f"{name} must be a non-empty string")
    return url


def validate_queue_size(queue_size: object) -> int:
    """Capacity of each longpoll channel: a positive ``int``."""
    if isinstance(queue_size, bool) or not isinstance(queue_size, int):
        raise TypeError(f"queue_size must be an int, got {type(queue_size).__name__}")
    if queue_size < 1:
        raise ValueError(f"queue_size must be >= 1, got {queue_size}")
    return queue_size


def validate_base_url(argument: str | None, env_value: str | None, default: str) -> str:
    """Base URL of a tokenless consumer: the argument, else ``AUDD_BASE_URL``, else the default."""
    return resolve_base_url(argument, env_value, default, "base_url")


def needs_user_agent(headers: Mapping[str, str]) -> bool:
    """Whether a client's headers still carry httpx's default User-Agent (ours goes instead)."""
    return str(headers.get("user-agent", "")).startswith("python-httpx/")


def derive_longpoll_category(api_token: str, radio_id: int) -> str:
    """The 9-character longpoll category: ``md5(md5(api_token) + str(radio_id))[:9]``."""
    radio = validate_radio_id(radio_id)
    inner = hashlib.md5(api_token.encode("utf-8")).hexdigest()
    return hashlib.md5(f"{inner}{radio}".encode()).hexdigest()[:9]


# --------------------------------------------------------------------------------------------
# Callback URL
# --------------------------------------------------------------------------------------------


def normalize_return_metadata(value: object) -> str | None:
    """``return_metadata`` as the literal comma list the server reads (``None`` when empty).

    Accepts a list or tuple of provider names, or a comma-separated ``str``.
    """
    if value is not None and not isinstance(value, (str, list, tuple)):
        raise TypeError(
            "return_metadata must be a list, tuple or comma-separated str of provider names, "
            f"got {type(value).__name__}"
        )
    return resolve_return(value, None)


def _query_keys(query: str) -> list[str]:
    return [unquote_plus(part.split("=", 1)[0]) for part in query.split("&") if part]


def merge_return_into_url(url: str, return_metadata: object) -> str:
    """``url`` with ``return=<providers>`` appended to its query, everything else untouched.

    The rest of the URL is kept byte for byte (no re-encoding); the pair goes before any
    ``#fragment``. A URL that already has a ``return`` key plus ``return_metadata`` raises
    `AudDInvalidRequestError` rather than silently overwriting one of them.
    """
    validate_url(url, "callback url")
    value = normalize_return_metadata(return_metadata)
    if value is None:
        return url
    head, hash_mark, fragment = url.partition("#")
    base, question, query = head.partition("?")
    if "return" in _query_keys(query):
        raise AudDInvalidRequestError(
            "the callback URL already has a ?return= parameter and return_metadata was also "
            "given; pass the providers in only one of them",
            request_method="setCallbackUrl",
        )
    pair = f"return={value}"
    if not question:
        new_head = f"{base}?{pair}"
    elif not query or query.endswith("&"):
        new_head = f"{head}{pair}"
    else:
        new_head = f"{head}&{pair}"
    return f"{new_head}{hash_mark}{fragment}"


def parse_callback_url(result: object) -> str | None:
    """The ``result`` of ``getCallbackUrl`` as a URL, or ``None`` (never the string ``"None"``)."""
    if result is None:
        return None
    if isinstance(result, str):
        text = result.strip()
        return text if text and text.lower() not in ("none", "null") else None
    return None


def missing_callback_url_error(cause: AudDAPIError | None = None) -> AudDInvalidRequestError:
    """The longpoll preflight failure: no callback URL, so events would never be delivered."""
    message = (
        "no callback URL is configured for this account, so longpoll would never receive "
        "events. Set one first, e.g. streams.set_callback_url("
        f'"{EMPTY_CALLBACK_URL}") (a placeholder that discards POSTs) if you only longpoll, '
        "or pass skip_callback_check=True if you know one is set."
    )
    return AudDInvalidRequestError(
        message,
        error_code=cause.error_code if cause is not None else 19,
        http_status=cause.http_status if cause is not None else None,
        request_id=cause.request_id if cause is not None else None,
        requested_params=cause.requested_params if cause is not None else None,
        request_method="getCallbackUrl",
        raw_response=cause.raw_response if cause is not None else None,
    )


def decode_streams(response: ApiResponse) -> list[Stream]:
    """The ``getStreams`` answer as models; a ``result`` that is not a list raises."""
    if not isinstance(response.result, list):
        raise response.unexpected("a list of streams")
    return parse_streams(response.result)


def parse_streams(result: object) -> list[Stream]:
    """``getStreams`` ``result`` as models; entries that are not objects are skipped."""
    if not isinstance(result, list):
        raise AudDSerializationError(
            "getStreams result is not a list",
            raw_text=json.dumps(result, default=str),
            request_method="getStreams",
        )
    return [Stream.model_validate(item) for item in result if isinstance(item, dict)]


# --------------------------------------------------------------------------------------------
# Stream management requests
# --------------------------------------------------------------------------------------------


def build_set_callback_url(
    url: str, return_metadata: object = None, extra_parameters: Mapping[str, Any] | None = None
) -> RequestSpec:
    """``POST /setCallbackUrl/``; ``return_metadata`` is merged into the URL's query."""
    merged = merge_return_into_url(url, return_metadata)
    return RequestSpec(
        api_method="setCallbackUrl",
        path="/setCallbackUrl/",
        fields=merge_fields([("url", merged)], extra_parameters),
        retry_class=RetryClass.MUTATING,
    )


def build_get_callback_url() -> RequestSpec:
    """``POST /getCallbackUrl/``."""
    return RequestSpec(
        api_method="getCallbackUrl", path="/getCallbackUrl/", retry_class=RetryClass.READ
    )


def build_add_stream(
    url: str,
    radio_id: int,
    callbacks: str | None = None,
    extra_parameters: Mapping[str, Any] | None = None,
) -> RequestSpec:
    """``POST /addStream/``."""
    fields = merge_fields(
        [
            ("url", validate_url(url)),
            ("radio_id", validate_radio_id(radio_id)),
            ("callbacks", validate_callbacks(callbacks)),
        ],
        extra_parameters,
    )
    return RequestSpec(
        api_method="addStream", path="/addStream/", fields=fields, retry_class=RetryClass.MUTATING
    )


def build_set_stream_url(radio_id: int, url: str) -> RequestSpec:
    """``POST /setStreamUrl/``."""
    fields = merge_fields(
        [("radio_id", validate_radio_id(radio_id)), ("url", validate_url(url))], None
    )
    return RequestSpec(
        api_method="setStreamUrl",
        path="/setStreamUrl/",
        fields=fields,
        retry_class=RetryClass.MUTATING,
    )


def build_delete_stream(radio_id: int) -> RequestSpec:
    """``POST /deleteStream/``."""
    return RequestSpec(
        api_method="deleteStream",
        path="/deleteStream/",
        fields=merge_fields([("radio_id", validate_radio_id(radio_id))], None),
        retry_class=RetryClass.MUTATING,
    )


def build_get_streams() -> RequestSpec:
    """``POST /getStreams/``."""
    return RequestSpec(api_method="getStreams", path="/getStreams/", retry_class=RetryClass.READ)


def is_missing_callback_url(error: AudDAPIError) -> bool:
    """Whether a ``getCallbackUrl`` failure means "no callback URL configured".

    The server answers code 19 then; a blocked account's 19 carries branded text instead.
    """
    return error.error_code == 19 and not error.branded_message


# --------------------------------------------------------------------------------------------
# Callback parsing
# --------------------------------------------------------------------------------------------


def _decode_text(body: bytes | bytearray | memoryview) -> str:
    data = bytes(body)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AudDSerializationError(
            f"callback body is not UTF-8: {exc}",
            raw_text=data.decode("utf-8", errors="replace"),
        ) from exc


def _load_callback(body: object) -> tuple[Any, str]:
    if isinstance(body, Mapping):
        return dict(body), ""
    if isinstance(body, (bytes, bytearray, memoryview)):
        text = _decode_text(body)
    elif isinstance(body, str):
        text = body
    else:
        raise TypeError(
            f"callback body must be bytes, bytearray, str or dict, got {type(body).__name__}"
        )
    try:
        return json.loads(text), text
    except ValueError as exc:
        raise AudDSerializationError(
            f"callback body is not JSON: {exc}", raw_text=text, http_status=None
        ) from exc


def _song(item: object) -> StreamCallbackSong | None:
    if not isinstance(item, dict):
        return None
    try:
        return StreamCallbackSong.model_validate(item)
    except ValueError:
        _log.debug("skipping a malformed song in a stream callback: %r", item)
        return None


_MATCH_MODEL_KEYS = ("song", "alternatives", "raw_response")


def _match_from(body: dict[str, Any], result: dict[str, Any]) -> StreamCallbackMatch | None:
    raw_songs = result.get("results")
    # Older single-song shape: the song's fields sit directly in `result`.
    single = raw_songs is None and ("artist" in result or "title" in result)
    if isinstance(raw_songs, list):
        candidates = raw_songs
    elif isinstance(raw_songs, dict):
        candidates = [raw_songs]
    else:
        candidates = [result] if single else []
    songs = [song for song in (_song(item) for item in candidates) if song is not None]
    if not songs:
        return None
    data: dict[str, Any]
    if single:
        data = {k: result[k] for k in ("radio_id", "timestamp", "play_length") if k in result}
    else:
        data = {k: v for k, v in result.items() if k != "results" and k not in _MATCH_MODEL_KEYS}
    data.update(song=songs[0], alternatives=songs[1:], raw_response=body)
    return StreamCallbackMatch.model_validate(data)


def _notification_from(
    body: dict[str, Any], notification: dict[str, Any]
) -> StreamCallbackNotification:
    data = {k: v for k, v in notification.items() if k != "raw_response"}
    if "time" not in data and "time" in body:
        data["time"] = body["time"]
    data["raw_response"] = body
    return StreamCallbackNotification.model_validate(data)


def callback_from_dict(
    body: dict[str, Any],
) -> tuple[StreamCallbackMatch | None, StreamCallbackNotification | None]:
    """A decoded callback (or longpoll event) body as ``(match, None)`` / ``(None, notif)``.

    Returns ``(None, None)`` when the body is neither shape.
    """
    result = body.get("result")
    if isinstance(result, dict):
        match = _match_from(body, result)
        if match is not None:
            return match, None
    notification = body.get("notification")
    if isinstance(notification, dict):
        return None, _notification_from(body, notification)
    return None, None


def parse_callback(
    body: object,
) -> tuple[StreamCallbackMatch | None, StreamCallbackNotification | None]:
    """Parse a stream callback POST body (bytes, str or dict); no I/O.

    Returns ``(match, None)`` for a recognition or ``(None, notification)`` for a lifecycle
    event. One malformed alternative is skipped; a body that is neither shape raises
    `AudDSerializationError` carrying the raw text.
    """
    data, text = _load_callback(body)
    if isinstance(data, dict):
        match, notification = callback_from_dict(data)
        if match is not None or notification is not None:
            return match, notification
    raw = text or json.dumps(data, default=str)
    raise AudDSerializationError(
        "callback body is neither a recognition result nor a notification", raw_text=raw
    )


# --------------------------------------------------------------------------------------------
# Longpoll
# --------------------------------------------------------------------------------------------


def longpoll_url(base_url: str) -> str:
    """The longpoll endpoint on ``base_url``."""
    return f"{str(base_url).rstrip('/')}/longpoll/"


def longpoll_params(category: str, timeout: int, since_time: int | None) -> dict[str, str]:
    """Query of one poll. There is no token: the category is the only credential."""
    params = {"category": category, "timeout": str(timeout)}
    if since_time is not None:
        params["since_time"] = str(since_time)
    return params


def longpoll_http_timeout(timeout: int) -> httpx.Timeout:
    """HTTP timeouts of one poll: the read timeout is the hold time plus a margin."""
    return httpx.Timeout(
        connect=LONGPOLL_CONNECT_TIMEOUT,
        read=float(timeout) + LONGPOLL_READ_MARGIN,
        write=LONGPOLL_CONNECT_TIMEOUT,
        pool=LONGPOLL_CONNECT_TIMEOUT,
    )


def event_key(body: Mapping[str, Any]) -> str:
    """Identity of one event, for dropping redeliveries.

    The canonical JSON of the event minus the transport fields (``timestamp``, ``category``),
    which a server may restamp when it replays an event; the event itself carries its own time
    (``result.timestamp`` / ``time``).
    """
    payload = {k: v for k, v in body.items() if k not in ("timestamp", "category")}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # An HTTP date needs a clock; the regular backoff applies instead.
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _event_bodies(data: dict[str, Any]) -> tuple[list[dict[str, Any]], int | None, bool]:
    """Event bodies of a 200 response, the newest timestamp among them, and whether the body
    has a recognised shape at all."""
    if isinstance(data.get("events"), list):
        bodies: list[dict[str, Any]] = []
        newest: int | None = None
        for item in data["events"]:
            if not isinstance(item, dict):
                _log.debug("skipping a malformed longpoll event: %r", item)
                continue
            stamp = _int_or_none(item.get("timestamp"))
            if stamp is not None:
                newest = stamp if newest is None else max(newest, stamp)
            inner = item.get("data")
            if isinstance(inner, str):
                try:
                    inner = json.loads(inner)
                except ValueError:
                    inner = None
            # golongpoll's envelope: {"timestamp", "category", "data": <callback body>}.
            body = inner if isinstance(inner, dict) and "result" not in item else item
            if not isinstance(body, dict):
                _log.debug("skipping a malformed longpoll event: %r", item)
                continue
            if "timestamp" not in body and stamp is not None:
                body = {**body, "timestamp": stamp}
            bodies.append(body)
        return bodies, newest, True
    if "result" in data or "notification" in data:
        return [data], None, True
    return [], None, "timeout" in data


@dataclass
class LongpollStep:
    """What one poll produced and what the shell does next."""

    matches: list[StreamCallbackMatch] = field(default_factory=list)
    """New recognitions, in server order."""
    notifications: list[StreamCallbackNotification] = field(default_factory=list)
    """New lifecycle events, in server order."""
    delay: float = 0.0
    """Seconds to wait before the next poll."""
    error: AudDError | None = None
    """A permanent failure: deliver it on ``errors`` and end the subscription."""
    reason: str = "ok"
    """Short description of the outcome, for logs and observability."""


@dataclass
class LongpollState:
    """The longpoll loop's memory: ``since_time``, the dedupe window and the failure streak.

    Each poll: the shell sends ``params()``, then feeds the answer to ``on_response`` (or the
    network failure to ``on_transport_error``) and acts on the returned `LongpollStep`.
    ``rand`` arguments are uniform draws in [0, 1) for the backoff jitter.
    """

    category: str
    timeout: int = LONGPOLL_DEFAULT_TIMEOUT
    since_time: int | None = None
    backoff_factor: float = 0.5
    max_backoff: float = BACKOFF_CAP_SECONDS
    dedupe_window: int = LONGPOLL_DEDUPE_WINDOW
    failures: int = 0
    """Consecutive polls that failed or came back early without anything new."""
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict, repr=False)

    def params(self) -> dict[str, str]:
        """Query of the next poll."""
        return longpoll_params(self.category, self.timeout, self.since_time)

    def backoff(self, rand: float, floor: float | None = None) -> float:
        """Next capped, jittered backoff step; bumps the failure streak."""
        self.failures += 1
        # The exponent is capped so an outage of days cannot overflow the float.
        step = min(self.backoff_factor * 2.0 ** min(self.failures - 1, 32), self.max_backoff)
        delay = min(step * (0.5 + rand), self.max_backoff)
        if floor is not None:
            delay = max(delay, floor)
        return max(delay, min(LONGPOLL_MIN_DELAY, self.max_backoff))

    def _advance(self, stamp: int | None) -> None:
        if (
            stamp is not None
            and stamp >= 0
            and (self.since_time is None or stamp > self.since_time)
        ):
            self.since_time = stamp

    def _is_new(self, body: Mapping[str, Any]) -> bool:
        key = event_key(body)
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        while len(self._seen) > self.dedupe_window:
            self._seen.popitem(last=False)
        return True

    def on_transport_error(self, exc: BaseException, rand: float) -> LongpollStep:
        """A poll that failed at the network level: reconnect after backoff.

        Only a URL the client can never send (bad scheme, malformed URL) is permanent.
        """
        if isinstance(exc, (httpx.UnsupportedProtocol, httpx.InvalidURL)):
            error = AudDConnectionError(f"longpoll cannot connect: {exc}")
            error.__cause__ = exc
            return LongpollStep(error=error, reason=f"network: {type(exc).__name__}")
        return LongpollStep(delay=self.backoff(rand), reason=f"network: {type(exc).__name__}")

    def on_response(
        self,
        status: int,
        headers: Mapping[str, str],
        content: bytes,
        *,
        elapsed: float,
        rand: float,
        request_id: str | None = None,
    ) -> LongpollStep:
        """Classify one HTTP answer into new events, the next ``since_time`` and a delay."""
        if status in _TRANSIENT_HTTP or status >= 500:
            floor = _retry_after(headers) if status in (429, 503) else None
            if floor is not None:
                floor = min(floor, self.max_backoff)
            return LongpollStep(delay=self.backoff(rand, floor), reason=f"http {status}")
        text = content.decode("utf-8", errors="replace")
        try:
            data: Any = json.loads(text) if text.strip() else None
        except ValueError:
            data = None
        if not 200 <= status < 300:
            return LongpollStep(
                error=self._http_error(status, data, text, request_id), reason=f"http {status}"
            )
        if not isinstance(data, dict):
            _log.warning("unexpected longpoll body (HTTP %s): %.200s", status, text)
            return LongpollStep(delay=self.backoff(rand), reason="unknown body")
        if data.get("status") == "error" or isinstance(data.get("error"), dict):
            error = api_error_from_body(
                data, http_status=status, request_id=request_id, request_method="longpoll"
            )
            if error.error_code in _TRANSIENT_API_CODES:
                return LongpollStep(delay=self.backoff(rand), reason=f"api {error.error_code}")
            return LongpollStep(error=error, reason=f"api {error.error_code}")
        bodies, newest, known = _event_bodies(data)
        self._advance(_int_or_none(data.get("timestamp")))
        self._advance(newest)
        if not known:
            _log.warning("unexpected longpoll body: %.200s", text)
            return LongpollStep(delay=self.backoff(rand), reason="unknown body")
        step = LongpollStep(reason="events" if bodies else "no events")
        for body in bodies:
            match, notification = callback_from_dict(body)
            if match is None and notification is None:
                _log.debug("skipping a longpoll event of unknown shape: %.200r", body)
                continue
            if not self._is_new(body):
                continue
            if match is not None:
                step.matches.append(match)
            elif notification is not None:
                step.notifications.append(notification)
        if step.matches or step.notifications:
            self.failures = 0
        elif elapsed < min(1.0, self.timeout * LONGPOLL_QUICK_FRACTION):
            # Nothing new, and the server did not hold the request: not a real longpoll.
            step.delay = self.backoff(rand)
            step.reason += " (early)"
        else:
            self.failures = 0
        return step

    @staticmethod
    def _http_error(status: int, data: object, text: str, request_id: str | None) -> AudDAPIError:
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return api_error_from_body(
                data, http_status=status, request_id=request_id, request_method="longpoll"
            )
        return AudDServerError(
            f"longpoll failed with HTTP {status}",
            error_code=0,
            http_status=status,
            request_id=request_id,
            request_method="longpoll",
            raw_response=text,
        )


# --------------------------------------------------------------------------------------------
# Longpoll channels
# --------------------------------------------------------------------------------------------


class ChannelGroup:
    """What the channels of one subscription share: whether any of them is being read."""

    def __init__(self) -> None:
        self.reading = False


_END: Any = object()


class ChannelBuffer(Generic[T]):
    """The queue policy of one longpoll channel (matches, notifications or errors).

    A full channel makes the poller wait (backpressure) while it is being read, or while no
    channel of the subscription is read yet. A channel nobody reads while another one is read
    (say, notifications when only matches are consumed) keeps only its newest ``maxsize``
    items, so it can neither grow without bound nor stall the subscription.

    Pure bookkeeping: the shells hold the lock or condition around every call and do the
    waiting (``put_must_wait`` / ``take_must_wait``) and the waking.
    """

    END: Any = _END
    """What `take` returns once the channel has ended."""

    def __init__(self, name: str, maxsize: int, group: ChannelGroup) -> None:
        self._name = name
        self._maxsize = maxsize
        self._items: deque[T] = deque()
        self._group = group
        self._state = "idle"  # idle → open → draining (ended, items left) | closed
        self._consumed = False
        self._dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def open(self) -> None:
        """Accept items (the subscription started)."""
        if self._state == "idle":
            self._state = "open"

    def put_must_wait(self) -> bool:
        """Whether the poller must wait before `offer` (full, open, and read or unread by all)."""
        return (
            len(self._items) >= self._maxsize
            and self._state == "open"
            and (self._consumed or not self._group.reading)
        )

    def offer(self, item: T) -> bool:
        """Queue ``item``, dropping the oldest when full; False once the channel is not open."""
        if self._state != "open":
            return False
        if len(self._items) >= self._maxsize:
            self._items.popleft()
            self._dropped += 1
            if self._dropped == 1:
                _log.warning(
                    "longpoll %s are not being consumed; keeping only the newest %d",
                    self._name,
                    self._maxsize,
                )
        self._items.append(item)
        return True

    def finish(self, *, discard: bool) -> None:
        """End the channel: iterators stop at once (``discard``) or after the queued items."""
        if discard:
            self._items.clear()
            self._state = "closed"
        elif self._state in ("idle", "open"):
            self._state = "draining"

    def start_reading(self, not_started: str) -> None:
        """Mark the channel read; ``RuntimeError(not_started)`` before the subscription starts."""
        if self._state == "idle":
            raise RuntimeError(not_started)
        self._consumed = True
        self._group.reading = True

    def take_must_wait(self) -> bool:
        """Whether a reader must wait before `take` (nothing queued, channel still open)."""
        return not self._items and self._state == "open"

    def take(self) -> T:
        """The oldest item, or `END` when the channel has ended for its readers."""
        if not self._items or self._state == "closed":
            return cast(T, _END)
        return self._items.popleft()

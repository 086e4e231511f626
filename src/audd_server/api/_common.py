"""What every endpoint shares: the error envelope, parameter parsing, auth, quotas, request ids.

Handlers are written as `async def handler(call: Call) -> result` and wrapped by `endpoint()`,
which parses the form, turns `ApiError` into the documented envelope and any other exception into
code 1000 (never a traceback), and wraps plain results as `{"status":"success","result":…}`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from audd_server.context import ServerContext
from audd_server.store import Account

log = logging.getLogger("audd_server.api")

DOCS_URL = "https://docs.audd.io"
CONTACT = "api@audd.io"

# Human names the real service uses as the prefix of its error messages.
METHOD_TITLES = {
    "recognize": "Recognition",
    "recognizeWithOffset": "Recognition",
    "setCallbackUrl": "Setting the URL for callbacks",
    "getCallbackUrl": "Getting the URL for callbacks",
    "addStream": "Adding a stream stream",
    "setStreamUrl": "Setting the stream URL",
    "deleteStream": "Deleting the stream",
    "getStreams": "Getting the streams",
    "upload": "Uploading to the custom catalog",
    "findLyrics": "Finding lyrics",
    "longpoll": "Longpoll",
}

MSG_INVALID_TOKEN = (
    "authorization failed: the provided api_token is incorrect, invalid, or inactive. Please "
    "check the status of your account on dashboard.audd.io: it needs to have either a trial or "
    "an active subscription."
)
MSG_NO_TOKEN = (
    "authorization failed: no api_token was passed and the limit of requests without a token "
    "was reached. Get an api_token at dashboard.audd.io."
)
MSG_DISABLED = "authorization failed: the provided api_token is disabled."
MSG_LIMIT = (
    "authorization failed: the limit was reached. (Please check if you have an active "
    "subscription on https://dashboard.audd.io/ or contact us: api@audd.io)"
)
MSG_NO_FILE = (
    "you haven't sent a file via POST or a file URL in the `url` parameter. If you sent the "
    "request by POST, please check the protocol you're using: the URL should start with https:// "
    "(http:// requests get redirected to https and we don't receive any data from you) and that "
    "your Content-Type header equals to `multipart/form-data`."
)
# Code for a missing or malformed parameter (radio_id not an integer, no `q`, …).
INVALID_PARAM = 50


class ApiError(Exception):
    """An AudD error answer. `message` is the part after "<Method title> failed: "."""

    def __init__(
        self, code: int, message: str, *, full_message: bool = False, http_status: int = 200
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.full_message = full_message
        self.http_status = http_status


def mask_token(token: str) -> str:
    """`dbd1…e` → `d***e`: the echo never carries a usable token."""
    return f"{token[0]}***{token[-1]}" if token else ""


def now_ms() -> float:
    return time.perf_counter() * 1000.0


@dataclass
class Call:
    """One API request, parsed."""

    request: Request
    ctx: ServerContext
    method: str
    enterprise: bool
    params: dict[str, str] = field(default_factory=dict)
    file: UploadFile | None = None
    account: Account | None = None
    started_ms: float = field(default_factory=now_ms)

    @property
    def token(self) -> str | None:
        return self.params.get("api_token")

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    def get_int(self, name: str, *, default: int | None = None, minimum: int | None = None) -> int:
        """An integer parameter; ApiError(50) when missing (without default) or malformed."""
        raw = self.get(name)
        if raw is None:
            if default is None:
                raise ApiError(INVALID_PARAM, f"the `{name}` parameter is required.")
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(INVALID_PARAM, f"the `{name}` parameter must be an integer.") from None
        if minimum is not None and value < minimum:
            raise ApiError(INVALID_PARAM, f"the `{name}` parameter must be >= {minimum}.")
        return value

    def get_bool(self, name: str, default: bool = False) -> bool:
        raw = self.get(name)
        if raw is None:
            return default
        return raw.lower() in ("true", "1", "yes", "on")

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise ApiError(INVALID_PARAM, f"the `{name}` parameter is required.")
        return value

    def echo(self) -> dict[str, str]:
        """Request parameters as echoed in error bodies, token masked, file parts left out."""
        out: dict[str, str] = {}
        for key, value in self.params.items():
            out[key] = mask_token(value) if key == "api_token" else value
        return out

    # -- auth and metering -----------------------------------------------------------------
    def authenticate(self) -> Account:
        token = self.token
        if token is None or not token.strip():
            raise ApiError(901, MSG_NO_TOKEN)
        account = self.ctx.accounts.by_token(token.strip())
        if account is None:
            raise ApiError(900, MSG_INVALID_TOKEN)
        if account.disabled:
            raise ApiError(903, MSG_DISABLED)
        self.account = account
        return account

    def check_quota(self, requests: int = 1) -> None:
        assert self.account is not None
        if not self.ctx.accounts.has_quota(self.account, requests):
            raise ApiError(902, MSG_LIMIT)

    def charge(self, requests: int = 1) -> None:
        assert self.account is not None
        if not self.ctx.accounts.charge(self.account, requests):
            raise ApiError(902, MSG_LIMIT)


def error_body(call: Call, err: ApiError) -> dict[str, Any]:
    title = METHOD_TITLES.get(call.method, call.method)
    message = err.message if err.full_message else f"{title} failed: {err.message}"
    error = {"error_code": err.code, "error_message": message}
    if call.enterprise:
        return {
            "status": "error",
            "error": error,
            "requested_params": call.echo(),
            "see api documentation": DOCS_URL,
            "contact us": CONTACT,
            "execution_time": execution_time(call),
        }
    return {
        "status": "error",
        "error": error,
        "request_params": call.echo(),
        "request_api_method": call.method,
        "request_http_method": call.request.method if call.request.method == "GET" else "POST",
        "see api documentation": DOCS_URL,
        "contact us": CONTACT,
    }


def execution_time(call: Call) -> str:
    return f"{now_ms() - call.started_ms:.6f}ms"


def json_response(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


# Multipart limits: one file part, a handful of fields. File parts are spooled to disk by
# Starlette (SpooledTemporaryFile, 1 MB in memory), so uploads of any size cost O(1) memory.
MAX_FIELDS = 100
MAX_FIELD_BYTES = 1024 * 1024


async def parse_params(call: Call) -> None:
    """Query parameters, then form fields (form wins); the `file` part kept as an UploadFile."""
    request = call.request
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            try:
                form = await request.form(
                    max_files=4, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
                )
            except MultiPartException as exc:
                raise ApiError(701, f"the request body could not be read: {exc}") from exc
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    if key in ("file", "audio") and call.file is None:
                        call.file = value
                    else:
                        await value.close()
                else:
                    params[key] = value
    call.params = params


Handler = Callable[[Call], Awaitable[Any]]


# Multipart framing and form fields on top of the file itself.
BODY_SLACK = 256 * 1024


def endpoint(
    method: str, *, enterprise: bool = False, max_upload: Callable[[Call], int] | None = None
) -> Callable[[Handler], Any]:
    """Wrap a handler into a Starlette endpoint with AudD envelopes.

    `max_upload(call)`: a declared Content-Length above it (plus framing slack) is refused with
    code 400 before the body is read.
    """

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            ctx: ServerContext = request.app.state.ctx
            call = Call(request=request, ctx=ctx, method=method, enterprise=enterprise)
            try:
                if max_upload is not None:
                    declared = request.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_upload(call) + BODY_SLACK:
                        call.params = dict(request.query_params)
                        limit_mb = max_upload(call) / (1024 * 1024)
                        raise ApiError(
                            400,
                            f"the audio file is too large: the maximum is {limit_mb:g} MB for "
                            "this endpoint. For longer audio, use the enterprise endpoint.",
                        )
                await parse_params(call)
                result = await handler(call)
                if isinstance(result, Response):
                    return result
                return json_response({"status": "success", "result": result})
            except ApiError as err:
                return json_response(error_body(call, err), err.http_status)
            except ClientDisconnect:
                return Response(status_code=499)
            except Exception:
                log.exception("internal error in %s", method)
                internal = ApiError(1000, "Internal error.")
                return json_response(error_body(call, internal))
            finally:
                if call.file is not None:
                    await call.file.close()

        run.__name__ = handler.__name__
        run.__doc__ = handler.__doc__
        return run

    return wrap


def internal_error_response(scope: Scope) -> JSONResponse:
    """Code 1000 envelope for a failure outside an endpoint wrapper (routing, longpoll, song
    pages): never a traceback."""
    method = str(scope.get("method", "GET"))
    return JSONResponse(
        {
            "status": "error",
            "error": {"error_code": 1000, "error_message": "Internal error."},
            "request_params": {},
            "request_api_method": str(scope.get("path", "/")).strip("/") or "recognize",
            "request_http_method": method if method == "GET" else "POST",
            "see api documentation": DOCS_URL,
            "contact us": CONTACT,
        }
    )


class RequestIdMiddleware:
    """Adds `x-request-id` to every response (a fresh id; the incoming one is not trusted),
    404/405 pages and longpoll answers included. Also the last-resort catch-all: an exception
    escaping the app before a response started becomes the code 1000 envelope (with its id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if started:  # too late for an envelope: let the server close the connection
                raise
            log.exception("internal error in %s %s", scope.get("method"), scope.get("path"))
            await internal_error_response(scope)(scope, receive, send_with_id)

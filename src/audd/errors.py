"""Every exception the SDK raises on purpose, in one tree.

::

    AudDError
    ├── AudDAPIError                      the server answered with an error (error_code set)
    │   ├── AudDAuthenticationError       900, 901, 903
    │   ├── AudDQuotaError                902
    │   ├── AudDSubscriptionError         904, 905
    │   │   └── AudDCustomCatalogAccessError   904/905 from custom_catalog.add
    │   ├── AudDInvalidRequestError       50, 51, 600, 601, 602, 700, 701, 702, 906
    │   ├── AudDInvalidAudioError         300, 400, 500
    │   ├── AudDStreamLimitError          610
    │   ├── AudDRateLimitError            611
    │   ├── AudDNotReleasedError          907
    │   ├── AudDBlockedError              19, 31337
    │   ├── AudDNeedsUpdateError          20
    │   └── AudDServerError               100, 1000, any other code; 0 = non-JSON HTTP error
    ├── AudDConnectionError               network failure (chains the httpx exception)
    │   └── AudDTimeoutError              connect/read/write/pool timeout
    └── AudDSerializationError            a 2xx body that is not the expected JSON

Argument mistakes raise the builtin ``ValueError`` / ``TypeError`` before any request is sent.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AudDAPIError",
    "AudDAuthenticationError",
    "AudDBlockedError",
    "AudDConnectionError",
    "AudDCustomCatalogAccessError",
    "AudDError",
    "AudDInvalidAudioError",
    "AudDInvalidRequestError",
    "AudDNeedsUpdateError",
    "AudDNotReleasedError",
    "AudDQuotaError",
    "AudDRateLimitError",
    "AudDSerializationError",
    "AudDServerError",
    "AudDStreamLimitError",
    "AudDSubscriptionError",
    "AudDTimeoutError",
]


class AudDError(Exception):
    """Base class of every error the SDK raises on purpose."""


class AudDAPIError(AudDError):
    """The server answered with an error envelope (or a non-JSON HTTP error).

    Attributes:
        error_code: AudD error code (``0`` for a non-JSON HTTP error body).
        message: the server's ``error_message`` (or a description of the HTTP error).
        http_status: HTTP status of the response.
        request_id: value of the ``x-request-id`` response header, if any.
        requested_params: the server's echo of the request parameters (token masked), read from
            ``request_params`` or, on the enterprise host, ``requested_params``.
        request_method: the API method the SDK called (``recognize``, ``addStream``...).
        branded_message: ``"artist — title"`` branded text some codes (19, 31337, 903) carry.
        raw_response: the parsed JSON body, or the raw text when the body was not JSON.
    """

    def __init__(
        self,
        message: str,
        *,
        error_code: int = 0,
        http_status: int | None = None,
        request_id: str | None = None,
        requested_params: dict[str, Any] | None = None,
        request_method: str | None = None,
        branded_message: str | None = None,
        raw_response: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.http_status = http_status
        self.request_id = request_id
        self.requested_params: dict[str, Any] = dict(requested_params or {})
        self.request_method = request_method
        self.branded_message = branded_message
        self.raw_response = raw_response

    def __str__(self) -> str:
        text = f"[#{self.error_code}] {self.message}"
        if self.request_id:
            text += f" (request_id={self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(error_code={self.error_code!r}, message={self.message!r}, "
            f"http_status={self.http_status!r}, request_id={self.request_id!r})"
        )


class AudDAuthenticationError(AudDAPIError):
    """The token is wrong, missing or disabled (900, 901, 903)."""


class AudDQuotaError(AudDAPIError):
    """A request or stream-slot limit was reached (902)."""


class AudDSubscriptionError(AudDAPIError):
    """The feature is not in the plan, or the subscription expired (904, 905)."""


class AudDCustomCatalogAccessError(AudDSubscriptionError):
    """The account has no custom-catalog access (904/905 from ``custom_catalog.add``).

    Contact api@audd.io to enable it.
    """

    @property
    def server_message(self) -> str:
        """The server's own ``error_message`` (the older official SDK's attribute)."""
        return self.message


class AudDInvalidRequestError(AudDAPIError):
    """The request is malformed: missing source, bad URL, bad parameter (50, 51, 6xx, 70x, 906)."""


class AudDInvalidAudioError(AudDAPIError):
    """The audio could not be used: too short, silent, too large, not audio (300, 400, 500)."""


class AudDStreamLimitError(AudDAPIError):
    """Too many streams for the account (610)."""


class AudDRateLimitError(AudDAPIError):
    """Too many requests (611)."""


class AudDNotReleasedError(AudDAPIError):
    """The feature is not released yet (907)."""


class AudDBlockedError(AudDAPIError):
    """The request was blocked (19, 31337); see ``branded_message``."""


class AudDNeedsUpdateError(AudDAPIError):
    """The server asks for a newer client (20)."""


class AudDServerError(AudDAPIError):
    """Server-side failure (100, 1000, unknown codes) or a non-JSON HTTP error (code 0)."""


class AudDConnectionError(AudDError):
    """The request did not complete at the network level; ``__cause__`` is the httpx error."""

    @property
    def original(self) -> BaseException | None:
        """The underlying httpx exception (``__cause__``; the older official SDK's attribute)."""
        return self.__cause__


class AudDTimeoutError(AudDConnectionError):
    """A connect, read, write or pool timeout."""


class AudDSerializationError(AudDError):
    """A successful HTTP response whose body is not the JSON the SDK expected.

    Attributes:
        raw_text: the body as text.
        http_status: HTTP status of the response.
        request_id: value of the ``x-request-id`` response header, if any.
        request_method: the API method the SDK called.
    """

    def __init__(
        self,
        message: str,
        *,
        raw_text: str = "",
        http_status: int | None = None,
        request_id: str | None = None,
        request_method: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.raw_text = raw_text
        self.raw_response = raw_text
        self.http_status = http_status
        self.request_id = request_id
        self.request_method = request_method

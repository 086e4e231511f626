"""Every SDK constant in one place: hosts, environment variable names, timeouts, retry defaults."""

from __future__ import annotations

import httpx

DEFAULT_BASE_URL = "https://api.audd.io"
"""Standard host: recognition, streams, custom catalog, lyrics."""
DEFAULT_ENTERPRISE_BASE_URL = "https://enterprise.audd.io"
"""Enterprise host (long files)."""

ENV_API_TOKEN = "AUDD_API_TOKEN"
ENV_BASE_URL = "AUDD_BASE_URL"
ENV_ENTERPRISE_BASE_URL = "AUDD_ENTERPRISE_BASE_URL"

DASHBOARD_URL = "https://dashboard.audd.io"

DEFAULT_MAX_RETRIES = 3
"""Total attempts per call (1 = no retries)."""
DEFAULT_BACKOFF_FACTOR = 0.5
BACKOFF_CAP_SECONDS = 30.0
"""Upper bound of one backoff step and of an honoured ``Retry-After``."""

STANDARD_TIMEOUT = httpx.Timeout(connect=30.0, read=60.0, write=60.0, pool=30.0)
ENTERPRISE_TIMEOUT = httpx.Timeout(connect=30.0, read=3600.0, write=3600.0, pool=30.0)

UPLOAD_CHUNK_SIZE = 256 * 1024
"""Bytes read from a file (or sliced from a buffer) per multipart chunk."""
UPLOAD_FILENAME_FALLBACK = "upload.bin"

PROVIDERS: tuple[str, ...] = ("apple_music", "spotify", "deezer", "napster", "musicbrainz")
"""Metadata providers accepted by ``return_``."""
STREAMING_PROVIDERS: tuple[str, ...] = ("apple_music", "spotify", "deezer", "napster", "youtube")
"""Providers ``streaming_url()`` resolves, in ``streaming_urls()`` order (youtube: lis.tn only)."""
RAW_SUFFIX = "_raw"
"""Suffix of the ``model_extra`` key that keeps a value which could not be coerced."""

REQUEST_ID_HEADER = "x-request-id"

ENTERPRISE_LIMIT_WARNING = (
    "recognize_enterprise() without limit= can process many hours of audio, billed per 12 "
    "seconds; set limit= (always in development)."
)

LOGGER_NAME = "audd"

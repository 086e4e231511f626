"""The public API is `audd.__all__`, pinned here; every name in it is importable and typed."""

from __future__ import annotations

import inspect
from pathlib import Path

import audd
import audd.errors
import audd.events
import audd.models

EXPECTED_ALL = {
    # clients
    "AudD",
    "AsyncAudD",
    "LongpollConsumer",
    "AsyncLongpollConsumer",
    # observability
    "AudDEvent",
    # errors
    "AudDError",
    "AudDAPIError",
    "AudDAuthenticationError",
    "AudDQuotaError",
    "AudDSubscriptionError",
    "AudDCustomCatalogAccessError",
    "AudDInvalidRequestError",
    "AudDInvalidAudioError",
    "AudDStreamLimitError",
    "AudDRateLimitError",
    "AudDNotReleasedError",
    "AudDBlockedError",
    "AudDNeedsUpdateError",
    "AudDServerError",
    "AudDConnectionError",
    "AudDTimeoutError",
    "AudDSerializationError",
    # models
    "RecognitionResult",
    "EnterpriseMatch",
    "LyricsResult",
    "AppleMusic",
    "Spotify",
    "Deezer",
    "Napster",
    "MusicBrainzEntry",
    "Stream",
    "StreamCallbackMatch",
    "StreamCallbackSong",
    "StreamCallbackNotification",
    # metadata
    "__version__",
    # aliases keeping code written for the older official SDK working
    "AppleMusicMetadata",
    "SpotifyMetadata",
    "DeezerMetadata",
    "NapsterMetadata",
    "StreamingProvider",
}


def test_all_is_pinned() -> None:
    assert set(audd.__all__) == EXPECTED_ALL
    assert len(audd.__all__) == len(set(audd.__all__))


def test_every_public_name_is_importable() -> None:
    for name in audd.__all__:
        assert getattr(audd, name) is not None, name


def test_submodule_exports_are_consistent() -> None:
    for module in (audd.errors, audd.models, audd.events):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert set(audd.errors.__all__) <= set(audd.__all__)
    assert {"AudDEvent"} <= set(audd.__all__)


def test_error_tree() -> None:
    api_errors = [
        "AudDAuthenticationError", "AudDQuotaError", "AudDSubscriptionError",
        "AudDInvalidRequestError", "AudDInvalidAudioError", "AudDStreamLimitError",
        "AudDRateLimitError", "AudDNotReleasedError", "AudDBlockedError",
        "AudDNeedsUpdateError", "AudDServerError",
    ]  # fmt: skip
    for name in api_errors:
        assert issubclass(getattr(audd, name), audd.AudDAPIError), name
    assert issubclass(audd.AudDCustomCatalogAccessError, audd.AudDSubscriptionError)
    assert issubclass(audd.AudDAPIError, audd.AudDError)
    assert issubclass(audd.AudDTimeoutError, audd.AudDConnectionError)
    assert issubclass(audd.AudDConnectionError, audd.AudDError)
    assert issubclass(audd.AudDSerializationError, audd.AudDError)
    assert issubclass(audd.AudDError, Exception)
    doc = inspect.getdoc(audd.errors) or ""
    for name in audd.errors.__all__:
        assert name in doc, f"{name} missing from the errors module docstring tree"


def test_package_is_typed() -> None:
    assert (Path(audd.__file__).parent / "py.typed").is_file()


def test_version_is_a_string() -> None:
    assert isinstance(audd.__version__, str)
    assert audd.__version__.count(".") >= 2


def test_event_fields() -> None:
    fields = [f.name for f in audd.AudDEvent.__dataclass_fields__.values()]
    assert fields == [
        "kind", "method", "url", "request_id", "http_status", "elapsed_ms", "error_code", "extras",
    ]  # fmt: skip


def test_version_matches_pyproject() -> None:
    import re

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    match = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE)
    assert match is not None
    assert audd.__version__ == match.group(1)


def test_namespaces_and_their_methods_are_concretely_typed() -> None:
    # An earlier client typed its namespaces ``Any``: no completion, no checking.
    import typing

    from audd._async._namespaces import AsyncAdvanced, AsyncCustomCatalog
    from audd._async._streams import AsyncStreams
    from audd._sync._namespaces import Advanced, CustomCatalog
    from audd._sync._streams import Streams

    expected: dict[type, dict[str, type]] = {
        audd.AudD: {"streams": Streams, "custom_catalog": CustomCatalog, "advanced": Advanced},
        audd.AsyncAudD: {
            "streams": AsyncStreams,
            "custom_catalog": AsyncCustomCatalog,
            "advanced": AsyncAdvanced,
        },
    }
    for client_cls, namespaces in expected.items():
        hints = typing.get_type_hints(client_cls)
        for attribute, namespace_cls in namespaces.items():
            assert hints[attribute] is namespace_cls, (client_cls, attribute)
            for name, method in inspect.getmembers(namespace_cls, inspect.isfunction):
                if name.startswith("_"):
                    continue
                returns = method.__annotations__.get("return")
                assert returns not in (None, "Any", typing.Any), f"{namespace_cls.__name__}.{name}"

"""The sync and async streams surfaces match: namespaces, subscriptions and consumers."""

from __future__ import annotations

import inspect

import pytest

from audd import AsyncAudD, AudD
from audd._async._longpoll import AsyncLongpollConsumer, AsyncLongpollSubscription
from audd._async._streams import AsyncStreams
from audd._sync._longpoll import LongpollConsumer, LongpollSubscription
from audd._sync._streams import Streams

WORDING = [
    ("AsyncLongpoll", "Longpoll"),
    ("AsyncStreams", "Streams"),
    ("AsyncAudD", "AudD"),
    ("httpx.AsyncClient", "httpx.Client"),
    ("Awaitable[Any]", "Any"),
    ("aclose", "close"),
    ("async with", "with"),
    ("async for", "for"),
    ("await ", ""),
]

# Described in each twin's own words: what the sync one cannot await, the asyncio example.
OWN_WORDS = {"handle_callback", "longpoll"}

PAIRS = [
    (Streams, AsyncStreams),
    (LongpollSubscription, AsyncLongpollSubscription),
    (LongpollConsumer, AsyncLongpollConsumer),
]


def sync_wording(text: str | None) -> str:
    text = inspect.cleandoc(text or "")
    for old, new in WORDING:
        text = text.replace(old, new)
    return text


def public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


@pytest.mark.parametrize(("sync", "asyn"), PAIRS, ids=lambda c: c.__name__)
def test_same_public_names(sync: type, asyn: type) -> None:
    assert public(sync) == {"close" if n == "aclose" else n for n in public(asyn)}


@pytest.mark.parametrize(("sync", "asyn"), PAIRS, ids=lambda c: c.__name__)
def test_same_parameters(sync: type, asyn: type) -> None:
    for name in public(asyn) | {"__init__"}:
        async_attr = getattr(asyn, name)
        sync_attr = getattr(sync, "close" if name == "aclose" else name)
        if isinstance(async_attr, property) or not callable(async_attr):
            continue
        s_params = inspect.signature(sync_attr).parameters
        a_params = inspect.signature(async_attr).parameters
        assert list(s_params) == list(a_params), name
        for pname, sparam in s_params.items():
            aparam = a_params[pname]
            assert (sparam.kind, sparam.default) == (aparam.kind, aparam.default), (name, pname)
            if pname not in ("httpx_client", "sleep"):
                assert sync_wording(str(aparam.annotation)) == str(sparam.annotation), name


def test_streams_docstrings_match_modulo_async_wording() -> None:
    for name in public(AsyncStreams) - OWN_WORDS:
        assert sync_wording(getattr(AsyncStreams, name).__doc__) == sync_wording(
            getattr(Streams, name).__doc__
        ), name
    assert sync_wording(AsyncStreams.__doc__) == sync_wording(Streams.__doc__)


def test_async_namespace_methods_that_do_io_are_coroutines() -> None:
    io_methods = {
        "set_callback_url",
        "get_callback_url",
        "add",
        "set_url",
        "delete",
        "list",
        "handle_callback",
        "longpoll",
    }
    for name in io_methods:
        assert inspect.iscoroutinefunction(getattr(AsyncStreams, name)), name
        assert not inspect.iscoroutinefunction(getattr(Streams, name)), name
    for name in ("parse_callback", "derive_longpoll_category"):
        assert not inspect.iscoroutinefunction(getattr(AsyncStreams, name)), name


def test_clients_expose_the_streams_namespaces() -> None:
    sync, asyn = AudD("t"), AsyncAudD("t")
    try:
        assert isinstance(sync.streams, Streams)
        assert isinstance(asyn.streams, AsyncStreams)
    finally:
        sync.close()


def test_public_package_exports() -> None:
    import audd

    for name in ("Stream", "StreamCallbackMatch", "StreamCallbackNotification"):
        assert name in audd.__all__
    assert audd.LongpollConsumer is LongpollConsumer
    assert audd.AsyncLongpollConsumer is AsyncLongpollConsumer

"""The sync and async streams surfaces match: namespaces, subscriptions and consumers."""

from __future__ import annotations

import inspect

import pytest

from audd import AsyncAudD, AudD
from audd._async._longpoll import AsyncLongpollConsumer, AsyncLongpollSubscription
from audd._async._streams import AsyncStreams
from audd._sync._longpoll import LongpollConsumer, LongpollSubscription
from audd._sync._streams import Streams

# What each twin says in its own words, async text → sync text; compared exactly like the rest.
OWN_WORDS = [
    (
        "work too: their body is awaited\n(``await request.body()``, ``await request.read()``).",
        "need ``AsyncAudD``'s ``handle_callback``.",
    ),
    (
        "Leaving the block cancels the poll in flight, which closes that poll's connection only:\n"
        "the client's pool, owned or injected, stays usable.",
        "Leaving the block shuts down the socket of the poll in flight. Without an injected "
        "client\nthe subscription has a connection pool of its own, so that always works; with "
        "an injected\n"
        "``httpx.Client``, a poll that reused a pooled connection opened by another call is\n"
        "detached instead (its answer, due within the poll ``timeout``, is discarded).",
    ),
]

WORDING = [
    *OWN_WORDS,
    ("AsyncLongpoll", "Longpoll"),
    ("AsyncStreams", "Streams"),
    ("AsyncAudD", "AudD"),
    ("httpx.AsyncClient", "httpx.Client"),
    ("Awaitable[Any]", "Any"),
    ("an async context manager", "a context manager"),
    ("an asyncio task", "a background thread"),
    ("Async iterable", "Iterable"),
    ("__aenter__", "__enter__"),
    ("__aexit__", "__exit__"),
    ("aclose", "close"),
    ("async with", "with"),
    ("async for", "for"),
    ("await ", ""),
]

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


@pytest.mark.parametrize(("sync", "asyn"), PAIRS, ids=lambda c: c.__name__)
def test_docstrings_match_modulo_async_wording(sync: type, asyn: type) -> None:
    assert sync_wording(asyn.__doc__) == sync_wording(sync.__doc__), asyn.__name__
    for name in public(asyn):
        sync_name = "close" if name == "aclose" else name
        async_doc = getattr(asyn, name).__doc__
        sync_doc = getattr(sync, sync_name).__doc__
        assert async_doc, f"{asyn.__name__}.{name} has no docstring"
        assert sync_wording(async_doc) == sync_wording(sync_doc), f"{asyn.__name__}.{name}"


def test_own_words_are_used() -> None:
    # A pair that matches no async docstring would compare nothing: keep the table honest.
    docs = [asyn.__doc__ for _, asyn in PAIRS]
    docs += [getattr(asyn, name).__doc__ for _, asyn in PAIRS for name in public(asyn)]
    text = "\n".join(inspect.cleandoc(doc or "") for doc in docs)
    for old, _ in OWN_WORDS:
        assert old in text, old


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

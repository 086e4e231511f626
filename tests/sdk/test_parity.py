"""AudD and AsyncAudD (and each namespace pair) expose the same surface: names, parameters,
docstrings — modulo ``await`` and async wording."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from audd import AsyncAudD, AudD

# Async wording → sync wording; everything else must match exactly. Sentences first.
WORDING = [
    ("work too: their body is awaited\n(``await request.body()``, ``await request.read()``).",
     "need ``AsyncAudD``'s ``handle_callback``."),
    ("AsyncAudD", "AudD"),
    ("AsyncClient", "Client"),
    ("AsyncCustomCatalog", "CustomCatalog"),
    ("AsyncAdvanced", "Advanced"),
    ("AsyncStreams", "Streams"),
    ("AsyncLongpoll", "Longpoll"),
    ("Asyncio AudD client. Safe to share across asyncio tasks.",
     "Synchronous AudD client. Safe to share across threads."),
    ("an asyncio task", "a background thread"),
    ("await ", ""),
    ("aclose", "close"),
    ("async with", "with"),
    ("async for", "for"),
    ("asyncio task", "thread"),
    ("Awaitable", ""),
]  # fmt: skip

RENAMED = {"aclose": "close"}


def _sync_wording(text: str | None) -> str:
    text = inspect.cleandoc(text or "")
    for old, new in WORDING:
        text = text.replace(old, new)
    return text


def _public(obj: Any) -> set[str]:
    return {name for name in dir(obj) if not name.startswith("_")}


@pytest.fixture
def pair() -> Any:
    sync, asyn = AudD("t"), AsyncAudD("t")
    yield sync, asyn
    sync.close()


def _namespace_pairs(sync: AudD, asyn: AsyncAudD) -> list[tuple[str, Any, Any]]:
    pairs = [("client", sync, asyn)]
    for name in ("custom_catalog", "advanced", "streams"):
        pairs.append((name, getattr(sync, name), getattr(asyn, name)))
    return pairs


def test_same_public_names(pair: Any) -> None:
    for label, sync, asyn in _namespace_pairs(*pair):
        async_names = {RENAMED.get(n, n) for n in _public(asyn)}
        assert _public(sync) == async_names, label


def test_same_parameters_and_docstrings(pair: Any) -> None:
    for label, sync, asyn in _namespace_pairs(*pair):
        assert _sync_wording(type(asyn).__doc__) == _sync_wording(type(sync).__doc__), label
        for name in _public(asyn):
            async_attr = getattr(asyn, name)
            sync_attr = getattr(sync, RENAMED.get(name, name))
            if not callable(async_attr) or inspect.isclass(async_attr):
                continue
            where = f"{label}.{name}"
            sync_sig = inspect.signature(sync_attr)
            async_sig = inspect.signature(async_attr)
            assert list(sync_sig.parameters) == list(async_sig.parameters), where
            for pname, sparam in sync_sig.parameters.items():
                aparam = async_sig.parameters[pname]
                assert (sparam.kind, sparam.default) == (aparam.kind, aparam.default), where
                assert _sync_wording(str(aparam.annotation)) == str(sparam.annotation), where
            assert _sync_wording(async_attr.__doc__) == _sync_wording(sync_attr.__doc__), where


def test_async_methods_are_coroutines_where_sync_ones_do_io(pair: Any) -> None:
    for label, sync, asyn in _namespace_pairs(*pair):
        for name in _public(asyn):
            async_attr = getattr(asyn, name)
            sync_attr = getattr(sync, RENAMED.get(name, name))
            if not callable(async_attr) or inspect.isclass(async_attr):
                continue
            if inspect.iscoroutinefunction(sync_attr):
                pytest.fail(f"{label}.{name}: sync twin is a coroutine")
            if name == "set_api_token":
                assert not inspect.iscoroutinefunction(async_attr)


def test_constructor_parity() -> None:
    sync_sig = inspect.signature(AudD.__init__)
    async_sig = inspect.signature(AsyncAudD.__init__)
    assert list(sync_sig.parameters) == list(async_sig.parameters)
    for name, param in sync_sig.parameters.items():
        assert param.default == async_sig.parameters[name].default
    assert _sync_wording(AsyncAudD.__init__.__doc__) == _sync_wording(AudD.__init__.__doc__)


def test_context_manager_pairs() -> None:
    assert hasattr(AudD, "__enter__")
    assert hasattr(AudD, "__exit__")
    assert inspect.iscoroutinefunction(AsyncAudD.__aenter__)
    assert inspect.iscoroutinefunction(AsyncAudD.__aexit__)

"""Persistence: SQLite (WAL) for accounts, catalog metadata, streams and the longpoll event log."""

from audd_server.store.accounts import PLANS, TEST_TOKEN, Account, AccountStore, Plan
from audd_server.store.catalog import PROVIDERS, CatalogStore, Track, parse_return
from audd_server.store.db import Database
from audd_server.store.events import EventLog
from audd_server.store.streams import Stream, StreamStore, longpoll_category

__all__ = [
    "PLANS",
    "PROVIDERS",
    "TEST_TOKEN",
    "Account",
    "AccountStore",
    "CatalogStore",
    "Database",
    "EventLog",
    "Plan",
    "Stream",
    "StreamStore",
    "Track",
    "longpoll_category",
    "parse_return",
]

"""Accounts: api tokens, plans (which endpoints a token may use), quotas and usage metering."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import time
from dataclasses import dataclass

from audd_server.store.db import Database

TEST_TOKEN = "test"


@dataclass(frozen=True)
class Plan:
    """What a plan grants. `daily_limit=None` means unmetered."""

    name: str
    standard: bool
    enterprise: bool
    enterprise_url: bool
    custom_catalog: bool
    stream_slots: int
    daily_limit: int | None
    description: str


PLANS: dict[str, Plan] = {
    p.name: p
    for p in (
        Plan(
            "free", True, False, False, False, 0, 10,
            "standard recognition and lyrics only, 10 requests a day (like the `test` token)",
        ),
        Plan(
            "standard", True, True, True, False, 0, 10_000,
            "standard + enterprise (file and URL), 10000 requests a day (enterprise counts "
            "each 12 s chunk)",
        ),
        Plan(
            "enterprise", True, True, True, True, 10, None,
            "everything: standard, enterprise, custom catalog, 10 stream slots, no quota",
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Account:
    id: int
    token: str
    plan: str
    standard: bool
    enterprise: bool
    enterprise_url: bool
    custom_catalog: bool
    stream_slots: int
    daily_limit: int | None
    disabled: bool
    callback_url: str | None


def _today() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")


class AccountStore:
    """CRUD over `accounts` and `usage`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def _row(row: sqlite3.Row) -> Account:
        return Account(
            id=int(row["id"]),
            token=str(row["token"]),
            plan=str(row["plan"]),
            standard=bool(row["standard"]),
            enterprise=bool(row["enterprise"]),
            enterprise_url=bool(row["enterprise_url"]),
            custom_catalog=bool(row["custom_catalog"]),
            stream_slots=int(row["stream_slots"]),
            daily_limit=None if row["daily_limit"] is None else int(row["daily_limit"]),
            disabled=bool(row["disabled"]),
            callback_url=row["callback_url"],
        )

    def ensure_test_token(self) -> None:
        """Create the `test` token (free plan) unless it exists."""
        if self.by_token(TEST_TOKEN) is None:
            self.create(plan="free", token=TEST_TOKEN)

    def create(
        self,
        *,
        plan: str = "standard",
        token: str | None = None,
        enterprise: bool | None = None,
        custom_catalog: bool | None = None,
        stream_slots: int | None = None,
        daily_limit: int | str | None = "plan",
    ) -> Account:
        """Create a token; overrides default to the plan's values. Raises ValueError on a
        duplicate token or an unknown plan."""
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}; choose one of {', '.join(PLANS)}")
        p = PLANS[plan]
        token = token or secrets.token_hex(16)
        if not token.strip():
            raise ValueError("token must not be blank")
        if self.by_token(token) is not None:
            raise ValueError(f"token {token!r} already exists")
        ent = p.enterprise if enterprise is None else enterprise
        limit = p.daily_limit if daily_limit == "plan" else daily_limit
        with self._db.transaction() as conn:
            conn.execute(
                "INSERT INTO accounts(token, plan, standard, enterprise, enterprise_url, "
                "custom_catalog, stream_slots, daily_limit, created) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    token,
                    plan,
                    int(p.standard),
                    int(ent),
                    int(p.enterprise_url and ent),
                    int(p.custom_catalog if custom_catalog is None else custom_catalog),
                    p.stream_slots if stream_slots is None else stream_slots,
                    limit,
                    time.time(),
                ),
            )
        acc = self.by_token(token)
        assert acc is not None
        return acc

    def by_token(self, token: str) -> Account | None:
        row = self._db.query_one("SELECT * FROM accounts WHERE token = ?", (token,))
        return None if row is None else self._row(row)

    def by_id(self, account_id: int) -> Account | None:
        row = self._db.query_one("SELECT * FROM accounts WHERE id = ?", (account_id,))
        return None if row is None else self._row(row)

    def list(self) -> list[Account]:
        return [self._row(r) for r in self._db.query("SELECT * FROM accounts ORDER BY id")]

    def set_disabled(self, token: str, disabled: bool) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE accounts SET disabled = ? WHERE token = ?", (int(disabled), token)
            )
        return cur.rowcount > 0

    def delete(self, token: str) -> bool:
        with self._db.transaction() as conn:
            cur = conn.execute("DELETE FROM accounts WHERE token = ?", (token,))
        return cur.rowcount > 0

    def set_callback_url(self, account_id: int, url: str | None) -> None:
        with self._db.transaction() as conn:
            conn.execute("UPDATE accounts SET callback_url = ? WHERE id = ?", (url, account_id))

    def usage_today(self, account_id: int) -> int:
        row = self._db.query_one(
            "SELECT requests FROM usage WHERE account_id = ? AND day = ?", (account_id, _today())
        )
        return 0 if row is None else int(row["requests"])

    def charge(self, account: Account, requests: int = 1) -> bool:
        """Meter `requests`; False (nothing charged) if that would exceed the daily limit."""
        day = _today()
        with self._db.transaction() as conn:
            row = conn.execute(
                "SELECT requests FROM usage WHERE account_id = ? AND day = ?", (account.id, day)
            ).fetchone()
            used = 0 if row is None else int(row["requests"])
            if account.daily_limit is not None and used + requests > account.daily_limit:
                return False
            conn.execute(
                "INSERT INTO usage(account_id, day, requests) VALUES (?, ?, ?) "
                "ON CONFLICT(account_id, day) DO UPDATE "
                "SET requests = requests + excluded.requests",
                (account.id, day, requests),
            )
        return True

    def has_quota(self, account: Account, requests: int = 1) -> bool:
        if account.daily_limit is None:
            return True
        return self.usage_today(account.id) + requests <= account.daily_limit

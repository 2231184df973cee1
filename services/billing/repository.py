"""SQL of the billing schema (psycopg 3). The connection's search_path is `billing`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from glue.db import one_row
from services.billing.ledger import Entry, GenerationLedger, Kind
from services.billing.subscriptions import AccountRecord, Status

ACCOUNT_COLUMNS = (
    "user_id, plan, period_start, current_period_end, last_paid_plan, provider_subscription_id,"
    " provider_event_created, announced_plan, announced_status, created_at, provider_customer_id,"
    " cancel_at_period_end"
)


def _account(row: tuple | None) -> AccountRecord | None:
    return AccountRecord(*row) if row is not None else None


async def get_account(conn: psycopg.AsyncConnection, user_id: str) -> AccountRecord | None:
    cursor = await conn.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = %s", (user_id,))
    return _account(await cursor.fetchone())


async def get_accounts(conn: psycopg.AsyncConnection, user_ids: list[str]) -> dict[str, AccountRecord]:
    """The accounts of those users that have one, by user id."""
    cursor = await conn.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = ANY(%s)", (user_ids,))
    return {row[0]: AccountRecord(*row) for row in await cursor.fetchall()}


async def lock_account(conn: psycopg.AsyncConnection, user_id: str) -> AccountRecord | None:
    cursor = await conn.execute(f"SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE user_id = %s FOR UPDATE", (user_id,))
    return _account(await cursor.fetchone())


async def insert_free_account(conn: psycopg.AsyncConnection, user_id: str, now: datetime) -> bool:
    """Creates the account on the free plan unless it exists; True when created."""
    cursor = await conn.execute(
        "INSERT INTO accounts (user_id, plan, period_start, announced_plan, announced_status, created_at,"
        " updated_at) VALUES (%s, 'free', %s, 'free', %s, %s, %s) ON CONFLICT (user_id) DO NOTHING",
        (user_id, now, Status.NONE.value, now, now),
    )
    return cursor.rowcount == 1


async def update_subscription(
    conn: psycopg.AsyncConnection,
    user_id: str,
    *,
    plan: str,
    period_start: datetime,
    current_period_end: datetime | None,
    last_paid_plan: str | None,
    provider_subscription_id: str | None,
    provider_event_created: int | None,
    now: datetime,
    cancel_at_period_end: bool = False,
) -> None:
    await conn.execute(
        "UPDATE accounts SET plan = %s, period_start = %s, current_period_end = %s, last_paid_plan = %s,"
        " provider_subscription_id = %s, provider_event_created = %s, cancel_at_period_end = %s, updated_at = %s"
        " WHERE user_id = %s",
        (
            plan,
            period_start,
            current_period_end,
            last_paid_plan,
            provider_subscription_id,
            provider_event_created,
            cancel_at_period_end,
            now,
            user_id,
        ),
    )


async def set_customer(conn: psycopg.AsyncConnection, user_id: str, customer_id: str) -> None:
    await conn.execute("UPDATE accounts SET provider_customer_id = %s WHERE user_id = %s", (customer_id, user_id))


async def insert_subscription_history(
    conn: psycopg.AsyncConnection,
    user_id: str,
    plan: str,
    period_start: datetime,
    current_period_end: datetime | None,
    actor: str,
    provider_subscription_id: str | None,
    cancel_at_period_end: bool = False,
) -> None:
    await conn.execute(
        "INSERT INTO subscriptions (user_id, plan, period_start, current_period_end, actor,"
        " provider_subscription_id, cancel_at_period_end) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (user_id, plan, period_start, current_period_end, actor, provider_subscription_id, cancel_at_period_end),
    )


async def set_announced(conn: psycopg.AsyncConnection, user_id: str, plan: str, status: str) -> int:
    """Records the announcement; answers its version (PlanChanged.version, +1 per announcement)."""
    cursor = await conn.execute(
        "UPDATE accounts SET announced_plan = %s, announced_status = %s, announced_version = announced_version + 1"
        " WHERE user_id = %s RETURNING announced_version",
        (plan, status, user_id),
    )
    return (await one_row(cursor))[0]


async def balance(conn: psycopg.AsyncConnection, user_id: str) -> int:
    cursor = await conn.execute("SELECT COALESCE(SUM(amount), 0)::bigint FROM ledger WHERE user_id = %s", (user_id,))
    return (await one_row(cursor))[0]


async def balance_and_grant(conn: psycopg.AsyncConnection, user_id: str, grant_key: str) -> tuple[int, bool]:
    """The balance, and whether the period `grant_key` was granted — one round trip for reads."""
    cursor = await conn.execute(
        "SELECT COALESCE((SELECT SUM(amount) FROM ledger WHERE user_id = %s), 0)::bigint,"
        " EXISTS (SELECT 1 FROM ledger WHERE user_id = %s AND kind = 'grant' AND grant_key = %s)",
        (user_id, user_id, grant_key),
    )
    total, granted = await one_row(cursor)
    return total, granted


async def has_grant(conn: psycopg.AsyncConnection, user_id: str, grant_key: str) -> bool:
    cursor = await conn.execute(
        "SELECT 1 FROM ledger WHERE user_id = %s AND kind = 'grant' AND grant_key = %s", (user_id, grant_key)
    )
    return await cursor.fetchone() is not None


async def insert_grant(conn: psycopg.AsyncConnection, user_id: str, amount: int, grant_key: str, note: str) -> None:
    await conn.execute(
        "INSERT INTO ledger (user_id, kind, amount, grant_key, note) VALUES (%s, 'grant', %s, %s, %s)",
        (user_id, amount, grant_key, note),
    )


async def generation_ledger(conn: psycopg.AsyncConnection, generation_id: str) -> tuple[GenerationLedger, str | None]:
    """The generation's rows and the account they belong to (None when there are none)."""
    cursor = await conn.execute(
        "SELECT kind, amount, user_id FROM ledger WHERE generation_id = %s ORDER BY id", (generation_id,)
    )
    rows = await cursor.fetchall()
    ledger = GenerationLedger.of([Entry(Kind(kind), amount) for kind, amount, _ in rows])
    return ledger, (rows[0][2] if rows else None)


async def reservation_owner(conn: psycopg.AsyncConnection, generation_id: str) -> str | None:
    cursor = await conn.execute(
        "SELECT user_id FROM ledger WHERE generation_id = %s ORDER BY id LIMIT 1", (generation_id,)
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def append(
    conn: psycopg.AsyncConnection,
    user_id: str,
    generation_id: str,
    entry: Entry,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Appends a generation's row and keeps open_reservations in step with it."""
    await conn.execute(
        "INSERT INTO ledger (user_id, kind, amount, generation_id, note) VALUES (%s, %s, %s, %s, %s)",
        (user_id, entry.kind.value, entry.amount, generation_id, note),
    )
    if entry.kind is Kind.RESERVE:
        await conn.execute(
            "INSERT INTO open_reservations (generation_id, user_id, reserved_at) VALUES (%s, %s, %s)",
            (generation_id, user_id, now),
        )
    else:
        await conn.execute("DELETE FROM open_reservations WHERE generation_id = %s", (generation_id,))


async def stale_reservations(conn: psycopg.AsyncConnection, older_than: datetime, limit: int) -> list[str]:
    cursor = await conn.execute(
        "SELECT generation_id FROM open_reservations WHERE reserved_at < %s ORDER BY reserved_at LIMIT %s",
        (older_than, limit),
    )
    return [row[0] for row in await cursor.fetchall()]


async def unannounced_lapses(conn: psycopg.AsyncConnection, now: datetime, limit: int) -> list[str]:
    cursor = await conn.execute(
        "SELECT user_id FROM accounts WHERE plan <> 'free' AND current_period_end IS NOT NULL"
        " AND current_period_end <= %s AND announced_status <> %s ORDER BY current_period_end LIMIT %s",
        (now, Status.LAPSED.value, limit),
    )
    return [row[0] for row in await cursor.fetchall()]


async def account_by_subscription(conn: psycopg.AsyncConnection, subscription_id: str) -> str | None:
    cursor = await conn.execute("SELECT user_id FROM accounts WHERE provider_subscription_id = %s", (subscription_id,))
    row = await cursor.fetchone()
    return row[0] if row else None


async def record_provider_event(
    conn: psycopg.AsyncConnection, event_id: str, event_type: str, created: int, outcome: str
) -> bool:
    """True the first time an event id is seen (in this transaction's view)."""
    cursor = await conn.execute(
        "INSERT INTO provider_events (event_id, event_type, created, outcome) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (event_id) DO NOTHING",
        (event_id, event_type, created, outcome),
    )
    return cursor.rowcount == 1


async def set_provider_event_outcome(conn: psycopg.AsyncConnection, event_id: str, outcome: str) -> None:
    await conn.execute("UPDATE provider_events SET outcome = %s WHERE event_id = %s", (outcome, event_id))


# --- receipts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    """A credit grant (kind "grant": amount, grant_key) or a plan change (kind "plan": plan,
    current_period_end, actor, cancel_at_period_end) of one account."""

    created_at: datetime
    kind: str
    amount: int
    grant_key: str | None
    plan: str | None
    current_period_end: datetime | None
    actor: str | None
    cancel_at_period_end: bool


async def history(conn: psycopg.AsyncConnection, user_id: str, limit: int) -> list[HistoryRow]:
    """The account's grants and plan changes, newest first (a change before the grant it caused)."""
    cursor = await conn.execute(
        "SELECT created_at, kind, amount, grant_key, plan, current_period_end, actor, cancel, id FROM ("
        "  SELECT created_at, 'grant' AS kind, amount, grant_key, NULL::text AS plan,"
        "         NULL::timestamptz AS current_period_end, NULL::text AS actor, false AS cancel, id, 0 AS rank"
        "  FROM ledger WHERE user_id = %s AND kind = 'grant'"
        "  UNION ALL"
        "  SELECT created_at, 'plan', 0, NULL, plan, current_period_end, actor, cancel_at_period_end, id, 1"
        "  FROM subscriptions WHERE user_id = %s"
        ") AS history ORDER BY created_at DESC, rank ASC, id DESC LIMIT %s",
        (user_id, user_id, limit),
    )
    return [HistoryRow(*row[:8]) for row in await cursor.fetchall()]


# --- the stand-in payment provider ----------------------------------------------------------------


@dataclass(frozen=True)
class StandInSessionRow:
    session_id: str
    user_id: str
    kind: str
    plan: str
    return_url: str
    cancel_url: str
    status: str


STANDIN_COLUMNS = "session_id, user_id, kind, plan, return_url, cancel_url, status"


async def insert_standin_session(conn: psycopg.AsyncConnection, session: StandInSessionRow, now: datetime) -> None:
    await conn.execute(
        "INSERT INTO standin_sessions (session_id, user_id, kind, plan, return_url, cancel_url, status, created_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            session.session_id,
            session.user_id,
            session.kind,
            session.plan,
            session.return_url,
            session.cancel_url,
            session.status,
            now,
        ),
    )


async def standin_session(conn: psycopg.AsyncConnection, session_id: str) -> StandInSessionRow | None:
    cursor = await conn.execute(f"SELECT {STANDIN_COLUMNS} FROM standin_sessions WHERE session_id = %s", (session_id,))
    row = await cursor.fetchone()
    return StandInSessionRow(*row) if row else None


async def complete_standin_session(conn: psycopg.AsyncConnection, session_id: str, now: datetime) -> bool:
    """Open → completed; False when it was completed already (a second click, a replay)."""
    cursor = await conn.execute(
        "UPDATE standin_sessions SET status = 'completed', completed_at = %s WHERE session_id = %s AND status = 'open'",
        (now, session_id),
    )
    return cursor.rowcount == 1


async def record_team_seats(
    conn: psycopg.AsyncConnection, team_id: str, version: int, owner_ids: list[str], seats: int
) -> None:
    """Keeps the newest membership of a team: an older or repeated event changes nothing."""
    await conn.execute(
        "INSERT INTO team_seats (team_id, version, owner_ids, seats) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (team_id) DO UPDATE SET version = EXCLUDED.version, owner_ids = EXCLUDED.owner_ids,"
        " seats = EXCLUDED.seats WHERE team_seats.version < EXCLUDED.version",
        (team_id, version, owner_ids, seats),
    )


async def seats_of(conn: psycopg.AsyncConnection, user_id: str) -> int:
    """The members of every team the user owns (a member of two of them counts twice: a seat each)."""
    cursor = await conn.execute(
        "SELECT COALESCE(SUM(seats), 0)::int FROM team_seats WHERE owner_ids @> ARRAY[%s]::text[]", (user_id,)
    )
    row = await cursor.fetchone()
    return int(row[0]) if row else 0

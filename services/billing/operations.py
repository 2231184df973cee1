"""The billing use cases, each one Postgres transaction: accounts, credits, plan changes,
provider webhooks and the periodic sweep. Decisions are made by the pure modules (ledger,
subscriptions, webhooks); this module locks, reads, decides and appends.

Every operation that changes a user's credits or plan first locks the user's account row
(SELECT ... FOR UPDATE): operations of one user run one at a time, so the balance a reservation
is checked against cannot change underneath it, and concurrent reservations never overdraw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import psycopg.errors
from psycopg_pool import AsyncConnectionPool

from atelier.billing.v1 import billing_pb2, events_pb2
from glue.events import enqueue_event
from services.billing import metrics
from services.billing import repository as repo
from services.billing.catalogue import FREE, Catalogue
from services.billing.events import PLAN_CHANGED
from services.billing.ledger import (
    AlreadyCommitted,
    Entry,
    GenerationLedger,
    Kind,
    NoReservation,
    OutOfCredits,
    decide_commit,
    decide_expire,
    decide_refund,
    decide_release,
    decide_reserve,
    top_up,
)
from services.billing.subscriptions import AccountRecord, InForce, Status, in_force, needs_announcement
from services.billing.webhooks import (
    DEFAULT_TOLERANCE_S,
    HANDLED_EVENTS,
    CheckoutCompleted,
    Ignored,
    Intent,
    InvoicePaid,
    ProviderEvent,
    SignatureError,
    SubscriptionChange,
    interpret,
    parse_event,
    verify_signature,
)

log = logging.getLogger(__name__)

MAX_ID = 200
STATUS_TO_PROTO = {
    Status.NONE: billing_pb2.SUBSCRIPTION_STATUS_NONE,
    Status.ACTIVE: billing_pb2.SUBSCRIPTION_STATUS_ACTIVE,
    Status.LAPSED: billing_pb2.SUBSCRIPTION_STATUS_LAPSED,
}
# Attempts of a transaction that lost a race on a unique index (two accounts reserving one
# generation id at once); the next attempt sees the winner's row and answers from it.
UNIQUE_RACE_ATTEMPTS = 3


class InvalidArgument(ValueError):
    pass


class Conflict(Exception):
    """The request contradicts what is recorded (FAILED_PRECONDITION)."""


class NotFound(Exception):
    pass


class NotEntitled(Exception):
    """The plan in force lacks an entitlement the request needs (PERMISSION_DENIED)."""


@dataclass(frozen=True)
class AccountView:
    account: AccountRecord
    state: InForce
    balance: int
    # Seats of a per-seat plan (members of the teams the account owns); 0 for other plans.
    seats: int = 0

    @property
    def max_concurrent_generations(self) -> int:
        return self.state.plan.concurrency_for(self.seats)


def _require_id(value: str, field: str) -> str:
    if not value or not value.strip():
        raise InvalidArgument(f"{field}: is required")
    if len(value) > MAX_ID:
        raise InvalidArgument(f"{field}: at most {MAX_ID} characters")
    return value


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Billing:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        catalogue: Catalogue,
        *,
        webhook_secret: str | None = None,
        webhook_tolerance_s: int = DEFAULT_TOLERANCE_S,
        reservation_ttl_s: float = 24 * 3600,
        clock: Callable[[], datetime] = _utc_now,
        price_plans: Mapping[str, str] | None = None,
    ):
        self._pool = pool
        self.catalogue = catalogue
        self._webhook_secret = webhook_secret
        self._webhook_tolerance_s = webhook_tolerance_s
        self._reservation_ttl = timedelta(seconds=reservation_ttl_s)
        self._clock = clock
        # Stripe Price id -> plan: what a subscription is on, whatever its metadata says.
        self._price_plans = dict(price_plans or {})

    # --- accounts -----------------------------------------------------------------------------

    async def _lock(self, conn: psycopg.AsyncConnection, user_id: str, now: datetime) -> AccountRecord:
        """The account row, locked; created on the free plan when the user is new."""
        if await repo.insert_free_account(conn, user_id, now):
            await repo.insert_subscription_history(conn, user_id, FREE, now, None, "billing:account-created", None)
        account = await repo.lock_account(conn, user_id)
        assert account is not None  # inserted above or already there; accounts are never deleted
        return account

    async def _refresh(
        self, conn: psycopg.AsyncConnection, account: AccountRecord, now: datetime, note: str = ""
    ) -> AccountView:
        """Under the account lock: grants the current period's credits once, and publishes
        PlanChanged when the plan in force differs from the last one announced (a lapse is
        announced by the first read or sweep that sees it)."""
        state = in_force(account, self.catalogue, now)
        seats = await self._seats(conn, account.user_id, state)
        if not await repo.has_grant(conn, account.user_id, state.allowance_key):
            current = await repo.balance(conn, account.user_id)
            amount = top_up(current, state.plan.credits_for(seats))
            await repo.insert_grant(
                conn,
                account.user_id,
                amount,
                state.allowance_key,
                note or f"{state.plan.name} credits for {state.allowance_key}",
            )
        if needs_announcement(account, state):
            version = await repo.set_announced(conn, account.user_id, state.plan.name, state.status.value)
            await enqueue_event(
                conn,
                PLAN_CHANGED,
                events_pb2.PlanChanged(
                    user_id=account.user_id,
                    plan=state.plan.name,
                    entitlements=list(state.entitlements),
                    status=STATUS_TO_PROTO[state.status],
                    version=version,
                ),
            )
            metrics.PLAN_CHANGES.labels(state.status.value).inc()
            log.info(
                "plan changed",
                extra={
                    "user_id": account.user_id,
                    "plan": state.plan.name,
                    "status": state.status.value,
                    "lapsed_plan": state.lapsed_plan,
                },
            )
        return AccountView(account, state, await repo.balance(conn, account.user_id), seats)

    @staticmethod
    async def _seats(conn: psycopg.AsyncConnection, user_id: str, state: InForce) -> int:
        return await repo.seats_of(conn, user_id) if state.plan.per_seat else 0

    async def record_team_seats(self, team_id: str, version: int, owner_ids: list[str], seats: int) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await repo.record_team_seats(conn, team_id, version, owner_ids, seats)

    async def get_account(self, user_id: str) -> AccountView:
        _require_id(user_id, "user_id")
        now = self._clock()
        async with self._pool.connection() as conn:
            account = await repo.get_account(conn, user_id)
            if account is not None:
                state = in_force(account, self.catalogue, now)
                balance, granted = await repo.balance_and_grant(conn, user_id, state.allowance_key)
                if granted and not needs_announcement(account, state):
                    # the common case: two reads (three on a per-seat plan), no lock
                    return AccountView(account, state, balance, await self._seats(conn, user_id, state))
        async with self._pool.connection() as conn, conn.transaction():
            account = await self._lock(conn, user_id, now)
            return await self._refresh(conn, account, now)

    # --- credits ------------------------------------------------------------------------------

    async def reserve(
        self, user_id: str, generation_id: str, amount: int, required: Collection[str] = ()
    ) -> tuple[int, bool, AccountView]:
        """(balance after, created, the account as the reservation saw it). Raises NotEntitled,
        writing nothing, when the plan in force lacks one of `required`, and ledger.OutOfCredits
        when the balance is short."""
        _require_id(user_id, "user_id")
        _require_id(generation_id, "generation_id")
        try:
            balance, created, view = await self._retry_unique_race(
                self._reserve, user_id, generation_id, amount, frozenset(required)
            )
        except (OutOfCredits, NotEntitled):
            metrics.RESERVATIONS.labels("refused").inc()
            raise
        metrics.RESERVATIONS.labels("created" if created else "repeated").inc()
        return balance, created, view

    async def _reserve(
        self, user_id: str, generation_id: str, amount: int, required: frozenset[str]
    ) -> tuple[int, bool, AccountView]:
        now = self._clock()
        async with self._pool.connection() as conn, conn.transaction():
            view = await self._refresh(conn, await self._lock(conn, user_id, now), now)
            if missing := sorted(required - set(view.state.entitlements)):
                raise NotEntitled(f"the {view.state.plan.name} plan in force lacks {', '.join(missing)}")
            ledger, owner = await repo.generation_ledger(conn, generation_id)
            if owner is not None and owner != user_id:
                raise Conflict("generation_id: already reserved by another account")
            try:
                decision = decide_reserve(ledger, amount, view.balance, view.state.renews_on)
            except ValueError as error:
                raise InvalidArgument(str(error)) from error
            if decision.entry is None:
                return view.balance, False, view
            await repo.append(conn, user_id, generation_id, decision.entry, now=now)
            balance = view.balance + decision.entry.amount
            return balance, True, AccountView(view.account, view.state, balance, view.seats)

    async def release(self, generation_id: str) -> int:
        """Returns a reservation whose generation was never accepted; the balance after."""
        _require_id(generation_id, "generation_id")

        def decide(ledger: GenerationLedger) -> Entry | None:
            try:
                return decide_release(ledger)
            except NoReservation as error:
                raise NotFound(str(error)) from error
            except AlreadyCommitted as error:
                raise Conflict(str(error)) from error

        async with self._pool.connection() as conn:
            owner_hint = await repo.reservation_owner(conn, generation_id)
        if owner_hint is None:
            raise NotFound("no reservation for this generation")
        entry, balance = await self._retry_unique_race(self._settle, generation_id, owner_hint, decide, "")
        if entry is not None and entry.amount:
            metrics.REFUNDS.labels("released").inc()
        elif entry is None:
            metrics.DUPLICATES.labels("release").inc()
        return balance

    async def commit(self, generation_id: str, owner_id: str, image_count: int) -> Entry | None:
        """ImagesReady: charges the generation once. Returns the row appended, if any."""
        _require_id(generation_id, "generation_id")
        _require_id(owner_id, "owner_id")
        found: dict[str, str] = {}

        def decide(ledger: GenerationLedger) -> Entry | None:
            if ledger.reservation is None:
                found["kind"] = "unreserved"
            else:
                found["kind"] = "after_expiry" if ledger.expired else "reserved"
            return decide_commit(ledger, image_count)

        entry, _ = await self._retry_unique_race(self._settle, generation_id, owner_id, decide, "images ready")
        if entry is None:
            metrics.DUPLICATES.labels("images_ready").inc()
        else:
            metrics.COMMITS.labels(found["kind"]).inc()
        return entry

    async def refund(self, generation_id: str, owner_id: str, reason: str = "") -> Entry | None:
        """GenerationFailed: returns the reservation once (or records the outcome first)."""
        _require_id(generation_id, "generation_id")
        _require_id(owner_id, "owner_id")
        entry, _ = await self._retry_unique_race(
            self._settle, generation_id, owner_id, decide_refund, f"generation failed: {reason}"[:500]
        )
        if entry is None:
            metrics.DUPLICATES.labels("generation_failed").inc()
        elif entry.amount:
            metrics.REFUNDS.labels("failed").inc()
        return entry

    async def _settle(
        self, generation_id: str, owner_id: str, decide: Callable[[GenerationLedger], Entry | None], note: str
    ) -> tuple[Entry | None, int]:
        now = self._clock()
        async with self._pool.connection() as conn, conn.transaction():
            # The account the reservation belongs to; the event's owner when there is none yet.
            user_id = await repo.reservation_owner(conn, generation_id) or owner_id
            account = await self._lock(conn, user_id, now)
            await self._refresh(conn, account, now)
            ledger, _ = await repo.generation_ledger(conn, generation_id)  # read again under the lock
            entry = decide(ledger)
            if entry is not None:
                await repo.append(conn, user_id, generation_id, entry, note, now=now)
            return entry, await repo.balance(conn, user_id)

    async def _retry_unique_race(self, operation, *args):
        for attempt in range(1, UNIQUE_RACE_ATTEMPTS + 1):
            try:
                return await operation(*args)
            except psycopg.errors.UniqueViolation:
                if attempt == UNIQUE_RACE_ATTEMPTS:
                    raise
                log.info("lost a unique race; reading the winner's row", extra={"attempt": attempt})
        raise AssertionError("unreachable")

    # --- plans --------------------------------------------------------------------------------

    async def change_plan(self, user_id: str, plan: str, period_end: datetime | None, actor: str) -> AccountView:
        """Operator: put the user on `plan` until `period_end` (None: until changed again; a past
        end lapses the plan at once). Publishes PlanChanged when the plan in force changes."""
        _require_id(user_id, "user_id")
        if plan not in self.catalogue:
            raise InvalidArgument(f"plan: {plan!r} is not one of {self.catalogue.names}")
        now = self._clock()
        async with self._pool.connection() as conn, conn.transaction():
            account = await self._lock(conn, user_id, now)
            return await self._change(
                conn,
                account,
                plan,
                period_end,
                actor or "operator",
                now,
                account.provider_subscription_id,
                account.provider_event_created,
            )

    async def _change(
        self,
        conn: psycopg.AsyncConnection,
        account: AccountRecord,
        plan: str,
        period_end: datetime | None,
        actor: str,
        now: datetime,
        provider_subscription_id: str | None,
        provider_event_created: int | None,
        cancel_at_period_end: bool = False,
    ) -> AccountView:
        if plan == FREE:
            # Moving to free ends a paid plan now (it reads as LAPSED); free itself never ends.
            was_paid = account.plan != FREE
            end = min(account.current_period_end or now, now) if was_paid else account.current_period_end
            last_paid = account.plan if was_paid else account.last_paid_plan
        else:
            end, last_paid = period_end, plan
        period_start = account.period_start if plan == account.plan else now
        await repo.update_subscription(
            conn,
            account.user_id,
            plan=plan,
            period_start=period_start,
            current_period_end=end,
            last_paid_plan=last_paid,
            provider_subscription_id=provider_subscription_id,
            provider_event_created=provider_event_created,
            now=now,
            cancel_at_period_end=cancel_at_period_end and plan != FREE,
        )
        await repo.insert_subscription_history(
            conn,
            account.user_id,
            plan,
            period_start,
            end,
            actor,
            provider_subscription_id,
            cancel_at_period_end and plan != FREE,
        )
        log.info(
            "subscription set",
            extra={
                "user_id": account.user_id,
                "plan": plan,
                "actor": actor,
                "current_period_end": end.isoformat() if end else None,
            },
        )
        updated = await repo.lock_account(conn, account.user_id)
        assert updated is not None
        return await self._refresh(conn, updated, now, note=f"{plan} credits ({actor})")

    # --- provider webhooks --------------------------------------------------------------------

    async def handle_webhook(self, payload: bytes, signature: str) -> tuple[bool, str]:
        """(processed, event type). Raises SignatureError (unauthenticated) or InvalidWebhook."""
        if not self._webhook_secret:
            metrics.WEBHOOKS.labels("unauthenticated").inc()
            raise SignatureError("provider webhooks are not configured (ATELIER_BILLING_WEBHOOK_SECRET is unset)")
        now = self._clock()
        try:
            verify_signature(payload, signature, self._webhook_secret, now.timestamp(), self._webhook_tolerance_s)
        except SignatureError:
            metrics.WEBHOOKS.labels("unauthenticated").inc()
            raise
        try:
            event = parse_event(payload)
            intent = interpret(event, self.catalogue, self._price_plans) if event.type in HANDLED_EVENTS else None
        except ValueError:
            metrics.WEBHOOKS.labels("invalid").inc()
            raise
        if intent is None:
            metrics.WEBHOOKS.labels("ignored").inc()
            log.info("webhook event type not handled", extra={"event_id": event.id, "event_type": event.type})
            return False, event.type
        outcome = await self._retry_unique_race(self._apply_webhook, event, intent)
        metrics.WEBHOOKS.labels("applied" if outcome == "applied" else outcome.split(":")[0]).inc()
        log.info("webhook", extra={"event_id": event.id, "event_type": event.type, "outcome": outcome})
        return outcome == "applied", event.type

    async def _apply_webhook(self, event: ProviderEvent, intent: Intent) -> str:
        now = self._clock()
        async with self._pool.connection() as conn, conn.transaction():
            # A concurrent delivery of the same event waits here on the primary key until the
            # first one commits, then finds it recorded.
            if not await repo.record_provider_event(conn, event.id, event.type, event.created, "received"):
                return "replayed"
            if isinstance(intent, Ignored):
                outcome = f"ignored: {intent.reason}"
            elif isinstance(intent, SubscriptionChange):
                outcome = await self._apply_subscription(conn, event, intent, now)
            elif isinstance(intent, CheckoutCompleted):
                account = await self._lock(conn, intent.user_id, now)
                await repo.set_customer(conn, account.user_id, intent.customer_id)
                outcome = "applied"
            else:
                outcome = await self._apply_invoice(conn, event, intent, now)
            await repo.set_provider_event_outcome(conn, event.id, outcome[:500])
            return outcome

    async def _apply_subscription(
        self, conn: psycopg.AsyncConnection, event: ProviderEvent, change: SubscriptionChange, now: datetime
    ) -> str:
        account = await self._lock(conn, change.user_id, now)
        if account.provider_event_created is not None and event.created < account.provider_event_created:
            return "ignored: older than the last provider event applied"
        if change.ended and account.provider_subscription_id not in (None, change.subscription_id):
            return "ignored: an earlier subscription ended; the account has another"
        end = min(change.period_end, now) if change.ended else change.period_end
        same = account.provider_subscription_id == change.subscription_id and account.plan == change.plan
        if not change.ended and same and account.current_period_end and account.current_period_end > end:
            end = account.current_period_end  # a period never moves back (deliveries come in any order)
        if change.customer_id and change.customer_id != account.provider_customer_id:
            await repo.set_customer(conn, account.user_id, change.customer_id)
        await self._change(
            conn,
            account,
            change.plan,
            end,
            f"stripe:{event.id}",
            now,
            change.subscription_id,
            event.created,
            cancel_at_period_end=change.cancel_at_period_end,
        )
        return "applied"

    async def _apply_invoice(
        self, conn: psycopg.AsyncConnection, event: ProviderEvent, invoice: InvoicePaid, now: datetime
    ) -> str:
        user_id = invoice.user_id or await repo.account_by_subscription(conn, invoice.subscription_id)
        if user_id is None:
            return "ignored: invoice of a subscription no account has"
        account = await self._lock(conn, user_id, now)
        plan = invoice.plan or (account.plan if account.plan != FREE else account.last_paid_plan)
        if plan is None or plan == FREE:
            return "ignored: no paid plan for this invoice"
        end = invoice.period_end
        if account.plan == plan and account.current_period_end and account.current_period_end > end:
            end = account.current_period_end
        await self._change(
            conn,
            account,
            plan,
            end,
            f"stripe:{event.id} invoice {invoice.invoice_id}",
            now,
            invoice.subscription_id,
            account.provider_event_created,
            cancel_at_period_end=account.cancel_at_period_end,
        )
        return "applied"

    # --- the sweep ----------------------------------------------------------------------------

    async def sweep(self, limit: int = 200) -> tuple[int, int]:
        """Expires reservations older than the TTL and announces lapses nobody has read yet.
        Returns (reservations expired, lapses announced)."""
        now = self._clock()
        async with self._pool.connection() as conn:
            stale = await repo.stale_reservations(conn, now - self._reservation_ttl, limit)
            lapsed = await repo.unannounced_lapses(conn, now, limit)
        expired = 0
        for generation_id in stale:
            owner = None
            async with self._pool.connection() as conn:
                owner = await repo.reservation_owner(conn, generation_id)
            if owner is None:
                continue
            entry, _ = await self._settle(generation_id, owner, decide_expire, "reservation expired")
            if entry is not None:
                expired += 1
                metrics.REFUNDS.labels("expired").inc()
                log.warning(
                    "reservation expired",
                    extra={"generation_id": generation_id, "user_id": owner, "credits": entry.amount},
                )
        for user_id in lapsed:
            async with self._pool.connection() as conn, conn.transaction():
                account = await repo.lock_account(conn, user_id)
                if account is not None:
                    await self._refresh(conn, account, now)
        return expired, len(lapsed)


def account_to_proto(view: AccountView) -> billing_pb2.Account:
    state = view.state
    account = billing_pb2.Account(
        user_id=view.account.user_id,
        plan=state.plan.name,
        entitlements=list(state.entitlements),
        credits=view.balance,
        status=STATUS_TO_PROTO[state.status],
        lapsed_plan=state.lapsed_plan,
        max_concurrent_generations=view.max_concurrent_generations,
        cancel_at_period_end=state.cancel_at_period_end,
        has_provider_subscription=state.status is Status.ACTIVE and bool(view.account.provider_subscription_id),
    )
    if state.current_period_end is not None:
        account.current_period_end.FromDatetime(state.current_period_end)
    return account


__all__ = [
    "AccountView",
    "Billing",
    "Conflict",
    "InvalidArgument",
    "Kind",
    "NotEntitled",
    "NotFound",
    "account_to_proto",
]

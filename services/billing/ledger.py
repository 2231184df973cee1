"""The credit ledger's arithmetic: pure decisions, no I/O.

The ledger is append-only. Every row has a signed amount and the balance is their sum. The rows
of one generation tell its whole story:

    reserve  -N   when the generation is accepted (at most one per generation)
    commit    0   ImagesReady: the reservation becomes a charge (nothing moves)
    refund   +N   GenerationFailed: the reservation comes back
    release  +N   ReleaseCredits: the generation was never accepted
    expire   +N   a reservation neither committed nor refunded after the TTL (24 h) comes back

Commit, refund and release are the generation's *outcome*: at most one, and the first one wins,
so an event delivered twice, or a contradictory event after the outcome, changes nothing. An
expiry is not an outcome: it only returns credits held too long. What comes after it:
  - ImagesReady → commit of -N: the images were delivered, so they are charged again (the
    balance may go negative; it is recovered from the next grant);
  - GenerationFailed / ReleaseCredits → an outcome of 0: the credits are already back.
Events that arrive before any reservation are recorded too, so the reservation that comes later
does not charge a generation whose outcome is known:
  - GenerationFailed first → refund of 0 (a tombstone); a later ReserveCredits charges nothing;
  - ImagesReady first → commit of -images (one credit per image): delivered images are paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Kind(StrEnum):
    GRANT = "grant"
    RESERVE = "reserve"
    COMMIT = "commit"
    REFUND = "refund"
    RELEASE = "release"
    EXPIRE = "expire"


OUTCOMES = frozenset({Kind.COMMIT, Kind.REFUND, Kind.RELEASE})
CREDITS_PER_IMAGE = 1
MAX_RESERVATION = 10_000


@dataclass(frozen=True)
class Entry:
    kind: Kind
    amount: int


class OutOfCredits(Exception):
    def __init__(self, needed: int, balance: int, renews_on: date):
        self.needed = needed
        self.balance = balance
        self.renews_on = renews_on
        super().__init__(out_of_credits_message(needed, balance, renews_on))


class NoReservation(Exception):
    """ReleaseCredits for a generation that has no reservation."""


class AlreadyCommitted(Exception):
    """ReleaseCredits for a generation whose images were delivered and charged."""


def out_of_credits_message(needed: int, balance: int, renews_on: date) -> str:
    def credits(n: int) -> str:
        return f"{n} credit" if n == 1 else f"{n} credits"

    return (
        f"Out of credits: this generation needs {credits(needed)} and you have {max(balance, 0)}. "
        f"Credits renew on {renews_on.isoformat()} or upgrade your plan."
    )


def balance(amounts: list[int]) -> int:
    return sum(amounts)


def top_up(current_balance: int, allowance: int) -> int:
    """A period's grant: brings the balance up to the plan's monthly credits. Unused credits do
    not roll over on top of the allowance, and credits above it are never taken away."""
    return max(0, allowance - current_balance)


@dataclass(frozen=True)
class GenerationLedger:
    """The rows of one generation, in any order."""

    entries: tuple[Entry, ...] = ()

    @classmethod
    def of(cls, entries: list[Entry] | tuple[Entry, ...]) -> GenerationLedger:
        return cls(tuple(entries))

    def _first(self, kinds: frozenset[Kind] | set[Kind]) -> Entry | None:
        return next((e for e in self.entries if e.kind in kinds), None)

    @property
    def reservation(self) -> Entry | None:
        return self._first({Kind.RESERVE})

    @property
    def reserved(self) -> int:
        """Credits the reservation took (a positive figure); 0 without one."""
        reservation = self.reservation
        return -reservation.amount if reservation else 0

    @property
    def outcome(self) -> Entry | None:
        return self._first(OUTCOMES)

    @property
    def expired(self) -> bool:
        return self._first({Kind.EXPIRE}) is not None

    @property
    def is_open(self) -> bool:
        """Holds credits now: reserved, with no outcome and not expired."""
        return self.reservation is not None and self.outcome is None and not self.expired


@dataclass(frozen=True)
class ReserveDecision:
    entry: Entry | None
    created: bool


def decide_reserve(ledger: GenerationLedger, amount: int, current_balance: int, renews_on: date) -> ReserveDecision:
    if not 1 <= amount <= MAX_RESERVATION:
        raise ValueError(f"amount: must be between 1 and {MAX_RESERVATION}")
    if ledger.reservation is not None or ledger.outcome is not None:
        # The first reservation stands; an outcome recorded first (failed, or images already
        # charged) means there is nothing left to hold.
        return ReserveDecision(None, created=False)
    if current_balance < amount:
        raise OutOfCredits(amount, current_balance, renews_on)
    return ReserveDecision(Entry(Kind.RESERVE, -amount), created=True)


def decide_commit(ledger: GenerationLedger, image_count: int) -> Entry | None:
    if ledger.outcome is not None:
        return None
    if ledger.reservation is None:
        return Entry(Kind.COMMIT, -image_count * CREDITS_PER_IMAGE)
    if ledger.expired:
        return Entry(Kind.COMMIT, -ledger.reserved)
    return Entry(Kind.COMMIT, 0)


def decide_refund(ledger: GenerationLedger) -> Entry | None:
    if ledger.outcome is not None:
        return None
    if ledger.reservation is None or ledger.expired:
        return Entry(Kind.REFUND, 0)
    return Entry(Kind.REFUND, ledger.reserved)


def decide_release(ledger: GenerationLedger) -> Entry | None:
    if ledger.reservation is None:
        raise NoReservation("no reservation for this generation")
    outcome = ledger.outcome
    if outcome is not None:
        if outcome.kind is Kind.COMMIT:
            raise AlreadyCommitted("this generation's images were delivered; its credits are committed")
        return None
    if ledger.expired:
        return Entry(Kind.RELEASE, 0)
    return Entry(Kind.RELEASE, ledger.reserved)


def decide_expire(ledger: GenerationLedger) -> Entry | None:
    if not ledger.is_open:
        return None
    return Entry(Kind.EXPIRE, ledger.reserved)

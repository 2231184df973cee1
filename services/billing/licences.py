"""The licence terms a user's plan puts on their public images (ARCHITECTURE.md P7, consent): may
they be part of a training-data export, under which version of the catalogue's terms.

Computed at read time from the account row and the clock, like the plan in force
(services/billing/subscriptions.py), and never written: asking about a user creates no account.
Consent is never widened by a lapse: an account whose paid plan ended is on the free plan, but
consents only if the plan it paid for did too (a subscriber who kept their work out of training
does not hand it over by not renewing).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from services.billing import repository as repo
from services.billing.catalogue import Catalogue
from services.billing.subscriptions import AccountRecord, Status, in_force

MAX_USERS = 1000


class TooManyUsers(ValueError):
    """More users in one call than a batch may hold."""


@dataclass(frozen=True)
class LicenceTerms:
    user_id: str
    plan: str
    training_use: bool
    terms_version: str


def licence_terms(user_id: str, account: AccountRecord | None, catalogue: Catalogue, now: datetime) -> LicenceTerms:
    """The terms of the plan in force; an unknown user (no account yet) is on the free plan's."""
    if account is None:
        plan, consents = catalogue.free, catalogue.free.training_use
    else:
        state = in_force(account, catalogue, now)
        plan, consents = state.plan, state.plan.training_use
        if state.status == Status.LAPSED:
            lapsed = state.lapsed_plan
            consents = consents and lapsed in catalogue and catalogue.get(lapsed).training_use
    return LicenceTerms(user_id, plan.name, consents, catalogue.terms_version)


class LicenceTermsReader:
    def __init__(self, pool: AsyncConnectionPool, catalogue: Catalogue, clock: Callable[[], datetime]):
        self._pool = pool
        self._catalogue = catalogue
        self._clock = clock

    async def batch(self, user_ids: Sequence[str]) -> list[LicenceTerms]:
        """One answer per distinct user id (empty ids left out), in the order first asked."""
        wanted = list(dict.fromkeys(user_id for user_id in user_ids if user_id))
        if len(wanted) > MAX_USERS:
            raise TooManyUsers(f"user_ids: at most {MAX_USERS} per call, got {len(wanted)}")
        now = self._clock()
        async with self._pool.connection() as conn:
            accounts = await repo.get_accounts(conn, wanted)
        return [licence_terms(user_id, accounts.get(user_id), self._catalogue, now) for user_id in wanted]

"""What the HTTP layer needs from the outside world, built by main() (or by tests) and handed to
create_app, which keeps it on app.state. A route reaches it through the request: the generations
routes ask each for the client it uses (`generation_client(request)`, `visibility_client`,
`billing_client`, `progress_feed`, `accounts_of`, defined beside each client), so they import only
those; `deps_of` hands over the whole set."""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request

from services.gateway.auth.accounts import Accounts
from services.gateway.clients.billing import BillingClient
from services.gateway.clients.feed import FeedClient
from services.gateway.clients.generation import GenerationClient, ProgressFeed
from services.gateway.clients.visibility import VisibilityClient
from services.gateway.ratelimit.store import RateLimits

# A readiness check returns when its dependency is usable and raises (with a reason) when not.
ReadinessCheck = Callable[[], Awaitable[None]]


class ObjectReader(Protocol):
    async def get(self, key: str) -> bytes: ...


class StudioOptionsKeeper(Protocol):
    """Each account's studio options (studio_options_store.StudioOptionsStore)."""

    async def get(self, user_id: uuid.UUID) -> dict[str, Any] | None: ...

    async def put(self, user_id: uuid.UUID, options: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class GatewayDeps:
    accounts: Accounts
    generations: GenerationClient
    billing: BillingClient
    visibility: VisibilityClient
    feed: FeedClient
    progress: ProgressFeed
    objects: ObjectReader
    # What every page needs (the static app, sign-in, sessions): when one fails, /readyz answers 503
    # and the pod leaves the Service.
    readiness_checks: Mapping[str, ReadinessCheck]
    # What only some routes need: /readyz reports them as degraded but stays ready, and those routes
    # answer 503 problem+json themselves, so one service's outage never takes the whole site down.
    route_checks: Mapping[str, ReadinessCheck] = field(default_factory=dict)
    # None: no rate limits at all (tests of other things that build the app by hand).
    rate_limits: RateLimits | None = None
    # The WebhooksClient (services/gateway/clients/webhooks.py); None: webhooks are not offered
    # (their routes answer 503). Typed loosely so that a generation's path, which reads this
    # module, does not import the webhooks client (tools/codepaths.py).
    webhooks: object | None = None
    # The TeamsClient (services/gateway/clients/teams.py); None: the team routes answer 503. Typed
    # loosely for the same reason as webhooks.
    teams: object | None = None
    # The CustomModelsClient (services/gateway/clients/custom_models.py); None: the model routes
    # answer 503. Typed loosely for the same reason as webhooks.
    custom_models: object | None = None
    # None: the studio options routes answer 503 (tests of other things that build the app by hand).
    studio_options: StudioOptionsKeeper | None = None


def deps_of(request: Request) -> GatewayDeps:
    return request.app.state.deps

"""Prometheus metrics of the billing service (served on ATELIER_METRICS_PORT)."""

from prometheus_client import Counter

RESERVATIONS = Counter(
    "atelier_billing_reservations_total",
    "ReserveCredits calls by outcome: created, repeated (idempotent replay), refused (out of credits)",
    ["outcome"],
)
COMMITS = Counter(
    "atelier_billing_commits_total",
    "Generations charged on ImagesReady: reserved (reservation converted), unreserved (no reservation),"
    " after_expiry (charged again after the reservation expired)",
    ["kind"],
)
REFUNDS = Counter(
    "atelier_billing_refunds_total",
    "Credits returned to accounts by reason: failed (GenerationFailed), released (ReleaseCredits),"
    " expired (reservation older than the TTL)",
    ["reason"],
)
DUPLICATES = Counter(
    "atelier_billing_duplicate_events_total",
    "Events and calls that changed nothing because their outcome was already recorded",
    ["kind"],
)
PLAN_CHANGES = Counter("atelier_billing_plan_changes_total", "PlanChanged events enqueued", ["status"])
WEBHOOKS = Counter(
    "atelier_billing_webhooks_total",
    "Provider webhooks by outcome: applied, replayed, ignored, unauthenticated, invalid",
    ["outcome"],
)

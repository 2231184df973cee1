"""Prometheus metrics of the visibility service (scraped from ATELIER_METRICS_PORT)."""

from prometheus_client import Counter, Histogram

AUTHORIZE_CALLS = Counter("atelier_visibility_authorize_calls_total", "Authorize calls answered")
AUTHORIZE_IMAGES = Counter("atelier_visibility_authorize_images_total", "Images asked about in Authorize calls")
AUTHORIZE_DENIED = Counter(
    "atelier_visibility_authorize_denied_total",
    "Images Authorize denied (private to someone else, deleted, unknown or malformed ids)",
)
AUTHORIZE_SECONDS = Histogram(
    "atelier_visibility_authorize_seconds",
    "Time to answer one Authorize call, in the handler",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
CHANGES = Counter(
    "atelier_visibility_changes_total", "Visibility changes committed (each bumps a version)", ["visibility"]
)
REFUSALS = Counter("atelier_visibility_refusals_total", "Visibility changes refused, by reason", ["reason"])
BILLING_UNAVAILABLE = Counter(
    "atelier_visibility_billing_unavailable_total", "Changes refused because billing could not be asked (fail closed)"
)
REGISTERED = Counter("atelier_visibility_images_registered_total", "Images registered, by path", ["path"])

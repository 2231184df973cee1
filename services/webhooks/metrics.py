"""Prometheus metrics of the webhooks service (scraped from ATELIER_METRICS_PORT)."""

from prometheus_client import Counter, Histogram

ATTEMPTS = Counter(
    "atelier_webhook_attempts_total", "Delivery attempts, by what followed: delivered, retrying, failed", ["result"]
)
ATTEMPT_SECONDS = Histogram(
    "atelier_webhook_attempt_seconds",
    "Time one delivery attempt took (resolution, connection, answer)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DELIVERIES_CREATED = Counter(
    "atelier_webhook_deliveries_created_total", "Deliveries written for endpoints, by event type", ["event_type"]
)

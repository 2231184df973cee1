"""Prometheus metrics of the feed (scraped from ATELIER_METRICS_PORT)."""

from prometheus_client import Counter, Histogram

EVENTS_APPLIED = Counter("atelier_feed_events_applied_total", "Events folded into the projection", ["subject"])
CANDIDATES_DENIED = Counter(
    "atelier_feed_candidates_denied_total",
    "Items the read model proposed that the visibility authority denied (a stale projection shows here)",
    ["listing"],
)
AUTHORITY_FAILURES = Counter(
    "atelier_feed_authority_failures_total", "Authorize calls that failed; the request failed closed with UNAVAILABLE"
)
LIST_SECONDS = Histogram("atelier_feed_list_seconds", "Time to assemble one authorised page", ["listing"])
PROMPT_LOOKUP_FAILURES = Counter(
    "atelier_feed_prompt_lookup_failures_total",
    "BatchGetImages calls for the prompts of images made public that failed; their events are retried",
)

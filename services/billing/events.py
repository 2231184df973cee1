"""The billing service's events: what it publishes is its contract (contracts/billing.py); what it
consumes is the generation service's (contracts/generation.py) and the visibility service's team
memberships (contracts/visibility.py: seats of per-seat plans), read through durable consumers named
here."""

from contracts.billing import PLAN_CHANGED, STREAM_SPEC

__all__ = [
    "GENERATION_FAILED_DURABLE",
    "IMAGES_READY_DURABLE",
    "PLAN_CHANGED",
    "STREAM_SPEC",
    "TEAM_MEMBERSHIP_DURABLE",
]

IMAGES_READY_DURABLE = "billing-images-ready"
GENERATION_FAILED_DURABLE = "billing-generation-failed"
TEAM_MEMBERSHIP_DURABLE = "billing-team-membership"

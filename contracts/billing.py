"""The billing domain's events. Owner: the billing service, which alone creates the stream."""

from contracts.streams import StreamSpec

STREAM = "BILLING"
PLAN_CHANGED = "atelier.billing.plan_changed"

STREAM_SPEC = StreamSpec(STREAM, ("atelier.billing.>",))

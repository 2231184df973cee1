"""The visibility domain's events. Owner: the visibility service, which alone creates the stream.
Consumers: the feed (VisibilityChanged, versioned per image); billing (TeamMembershipChanged, versioned
per team: seats)."""

from contracts.streams import StreamSpec

STREAM = "VISIBILITY"
VISIBILITY_CHANGED = "atelier.visibility.changed"
TEAM_MEMBERSHIP_CHANGED = "atelier.visibility.team_membership_changed"

STREAM_SPEC = StreamSpec(STREAM, ("atelier.visibility.>",))

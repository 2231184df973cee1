"""The visibility domain's events. Owner: the visibility service, which alone creates the stream.
Consumer: the feed (VisibilityChanged, versioned per image)."""

from contracts.streams import StreamSpec

STREAM = "VISIBILITY"
VISIBILITY_CHANGED = "atelier.visibility.changed"

STREAM_SPEC = StreamSpec(STREAM, ("atelier.visibility.>",))

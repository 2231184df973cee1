"""Identifiers as they arrive in requests and events: text that may spell a UUID, or not."""

from uuid import UUID


def parse_uuid(value: str) -> UUID | None:
    """The UUID `value` spells, or None when it spells none: a malformed id names nothing, and
    each caller says what that means to it (not found, denied, a poison event)."""
    try:
        return UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def canonical_uuid(value: str) -> str | None:
    """The canonical spelling of the UUID `value` spells (as the services store it), or None."""
    parsed = parse_uuid(value)
    return str(parsed) if parsed is not None else None

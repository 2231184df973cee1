"""Ids the API is given (paths, bodies) as the services know them: a UUID in its canonical form, or
None for anything else, which every route answers exactly like an id that does not exist."""

import uuid


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def canonical_uuid(value: str) -> str | None:
    parsed = parse_uuid(value)
    return str(parsed) if parsed is not None else None

"""Ids the API is given (paths, bodies) as the services know them: a UUID in its canonical form, or
None for anything else, which every route answers exactly like an id that does not exist."""

from glue.ids import parse_uuid

__all__ = ["canonical_uuid", "parse_uuid"]


def canonical_uuid(value: str) -> str | None:
    parsed = parse_uuid(value)
    return str(parsed) if parsed is not None else None

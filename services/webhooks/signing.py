"""The signature of a delivery: `Atelier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over
`<t>.` followed by the raw body, keyed by the endpoint's signing secret. The timestamp is signed
with the body, so a receiver that refuses timestamps older than a few minutes cannot be fed an
old delivery again; a fresh one is taken at every attempt."""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Atelier-Signature"
SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance_s: float = 300.0) -> bool:
    """What a receiver does (the docs' snippet is this function): the timestamp is recent and one
    v1 signature matches, compared in constant time."""
    fields = [item.partition("=") for item in header.split(",")]
    timestamps = [value for key, _, value in fields if key == "t"]
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return any(key == "v1" and hmac.compare_digest(value, expected) for key, _, value in fields)

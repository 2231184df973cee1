"""The delivery signature: HMAC-SHA256 over `<t>.<body>`, checked as the docs' snippet does."""

from __future__ import annotations

import hashlib
import hmac

from services.webhooks import signing

BODY = b'{"id":"e","type":"generation.completed"}'


def test_the_header_is_hmac_sha256_over_timestamp_dot_body():
    header = signing.header_value("whsec_k", 1700000000, BODY)
    expected = hmac.new(b"whsec_k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_genuine_signature():
    header = signing.header_value("whsec_k", 1700000000, BODY)
    assert signing.verify("whsec_k", header, BODY, now=1700000100)


def test_verify_refuses_another_key_a_changed_body_an_old_timestamp_or_garbage():
    header = signing.header_value("whsec_k", 1700000000, BODY)
    assert not signing.verify("whsec_other", header, BODY, now=1700000000)
    assert not signing.verify("whsec_k", header, BODY + b" ", now=1700000000)
    assert not signing.verify("whsec_k", header, BODY, now=1700000000 + 301)
    moved = header.replace("t=1700000000", "t=1700000200")  # a replay with a new timestamp
    assert not signing.verify("whsec_k", moved, BODY, now=1700000200)
    assert not signing.verify("whsec_k", "v1=abc", BODY, now=1700000000)


def test_secrets_are_long_random_and_recognisable():
    first, second = signing.new_signing_secret(), signing.new_signing_secret()
    assert first != second and first.startswith("whsec_") and len(first) > 40

"""Tokens a service hands out and must get back unaltered (paging cursors): the payload and an
HMAC-SHA256 of it under the service's secret, both base64url, joined by a dot.

Why signed: a cursor says where a listing resumes; a client that could write its own would walk
the keyset at will (probing timestamps and ids) instead of following the pages it was given.
The purpose is mixed into the MAC, so a token signed for one use is refused for another.
"""

import base64
import binascii
import hashlib
import hmac


class TamperedToken(ValueError):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


class TokenSigner:
    def __init__(self, secret: str, purpose: str):
        if not secret:
            raise ValueError("a token signer needs a secret")
        self._key = secret.encode()
        self._purpose = purpose.encode() + b"\x00"

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, self._purpose + payload, hashlib.sha256).digest()

    def sign(self, payload: bytes) -> str:
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, token: str) -> bytes:
        """The payload of a token this signer issued; TamperedToken for anything else."""
        body, dot, mac = token.partition(".")
        if not dot:
            raise TamperedToken("not signed")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (ValueError, UnicodeEncodeError, binascii.Error) as error:
            raise TamperedToken("not base64url") from error
        if not hmac.compare_digest(given, self._mac(payload)):
            raise TamperedToken("signature does not match")
        return payload

"""Short-lived signed user tokens: who a call between services is made for.

The gateway, the only process that authenticates people (sessions, API keys), signs a JWT
(EdDSA, Ed25519) `{sub: user id, aud: "atelier-internal", iat, exp, jti}` valid for at most
MAX_LIFETIME_S; every other service holds only the public key and verifies it. A token travels
in the gRPC metadata key METADATA_KEY; a service that calls another for the same user forwards
the token it received (glue.on_behalf).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

METADATA_KEY = "atelier-user-token"
AUDIENCE = "atelier-internal"
ALGORITHM = "EdDSA"
MAX_LIFETIME_S = 60
DEFAULT_LIFETIME_S = 30
# Clocks of two pods differ a little; a token is still refused well within a minute of expiring.
CLOCK_SKEW_S = 5


class UserTokenKeyMissing(SystemExit):
    pass


class InvalidUserToken(Exception):
    """Forged, expired, for another audience or malformed; the text says which, for the caller."""


def new_key_pair() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a fresh Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def _read(path: Path | None, variable: str) -> bytes:
    if path is None:
        raise UserTokenKeyMissing(
            f"no user-token key: set {variable} (a PEM path; `./atelierctl up` makes it under .atelier-data/pki)"
        )
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UserTokenKeyMissing(f"user-token key unreadable ({variable}): {error}") from error


class UserTokenSigner:
    """The gateway's: mints a token for a user it has authenticated."""

    def __init__(self, private_pem: bytes, lifetime_s: int = DEFAULT_LIFETIME_S):
        try:
            key = serialization.load_pem_private_key(private_pem, password=None)
        except ValueError as error:
            raise UserTokenKeyMissing(f"the user-token signing key is unreadable: {error}") from error
        if not isinstance(key, Ed25519PrivateKey):
            raise UserTokenKeyMissing("the user-token signing key is not an Ed25519 key")
        if not 0 < lifetime_s <= MAX_LIFETIME_S:
            raise ValueError(f"a user token lives 1 to {MAX_LIFETIME_S} s, not {lifetime_s}")
        self._key = key
        self._lifetime_s = lifetime_s

    @classmethod
    def from_file(cls, path: Path | None) -> UserTokenSigner:
        return cls(_read(path, "ATELIER_USER_TOKEN_SIGNING_KEY"))

    def sign(self, user_id: str, now: float | None = None) -> str:
        if not user_id:
            raise ValueError("a user token names a user: an anonymous call carries none")
        issued = int(time.time() if now is None else now)
        claims = {
            "sub": user_id,
            "aud": AUDIENCE,
            "iat": issued,
            "exp": issued + self._lifetime_s,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def metadata(self, user_id: str) -> tuple[tuple[str, str], ...]:
        """The outgoing metadata of a call made for `user_id`; none for an anonymous one ("")."""
        return ((METADATA_KEY, self.sign(user_id)),) if user_id else ()


@dataclass(frozen=True)
class VerifiedUser:
    user_id: str
    token: str  # as received, to forward to the next service


class UserTokenVerifier:
    """Every service's: holds the public key only."""

    def __init__(self, public_pem: bytes):
        try:
            key = serialization.load_pem_public_key(public_pem)
        except ValueError as error:
            raise UserTokenKeyMissing(f"the user-token public key is unreadable: {error}") from error
        if not isinstance(key, Ed25519PublicKey):
            raise UserTokenKeyMissing("the user-token public key is not an Ed25519 key")
        self._key = key

    @classmethod
    def from_file(cls, path: Path | None) -> UserTokenVerifier:
        return cls(_read(path, "ATELIER_USER_TOKEN_PUBLIC_KEY"))

    def verify(self, token: str) -> VerifiedUser:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                leeway=CLOCK_SKEW_S,
                options={"require": ["sub", "aud", "iat", "exp"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidUserToken("user token expired") from error
        except jwt.InvalidTokenError as error:
            raise InvalidUserToken(f"user token refused: {error}") from error
        # A token that claims to live longer than any the gateway signs was not signed by it.
        if claims["exp"] - claims["iat"] > MAX_LIFETIME_S or not isinstance(claims["sub"], str) or not claims["sub"]:
            raise InvalidUserToken("user token refused: not one the gateway signs")
        return VerifiedUser(claims["sub"], token)

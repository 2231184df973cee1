"""User tokens (glue.user_token) and the on-behalf rule (glue.on_behalf.check), offline: the same
check the servers run, against the tokens the gateway signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import stat
import time

import grpc
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from contracts import identities
from glue.on_behalf import ActsFor, UserPolicy, acts_for, check
from glue.user_token import (
    AUDIENCE,
    MAX_LIFETIME_S,
    InvalidUserToken,
    UserTokenKeyMissing,
    UserTokenSigner,
    UserTokenVerifier,
    VerifiedUser,
    new_key_pair,
)
from tools.devstack.pki import ensure_pki, kube_secrets

PRIVATE, PUBLIC = new_key_pair()
SIGNER = UserTokenSigner(PRIVATE)
VERIFIER = UserTokenVerifier(PUBLIC)
OWNER = acts_for("owner_id")
VIEWER = acts_for("viewer_id", anonymous=True, unattended={identities.GENERATION_WORKER})


def test_a_signed_token_names_its_user() -> None:
    assert VERIFIER.verify(SIGNER.sign("alice")).user_id == "alice"


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(InvalidUserToken, match="expired"):
        VERIFIER.verify(SIGNER.sign("alice", now=time.time() - 120))


def test_a_token_signed_by_another_key_is_refused() -> None:
    forged = UserTokenSigner(new_key_pair()[0]).sign("alice")
    with pytest.raises(InvalidUserToken):
        VERIFIER.verify(forged)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "alice", "aud": "elsewhere"},  # another audience
        {"sub": "alice", "aud": AUDIENCE, "exp": int(time.time()) + 3600},  # lives longer than any the gateway signs
        {"sub": "", "aud": AUDIENCE},  # nobody
    ],
)
def test_tokens_the_gateway_never_signs_are_refused(claims: dict) -> None:
    now = int(time.time())
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    own = UserTokenVerifier(public)
    token = jwt.encode({"iat": now, "exp": now + 30, **claims}, key, algorithm="EdDSA")
    with pytest.raises(InvalidUserToken):
        own.verify(token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_an_unsigned_or_symmetric_token_is_refused() -> None:
    now = int(time.time())
    claims = {"sub": "alice", "aud": AUDIENCE, "iat": now, "exp": now + 30}
    # The classic confusion: HMAC keyed with the public key, which every service holds.
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    symmetric = f"{signing_input}.{_b64(hmac.new(PUBLIC, signing_input.encode(), hashlib.sha256).digest())}"
    for token in (jwt.encode(claims, None, algorithm="none"), symmetric):
        with pytest.raises(InvalidUserToken):
            VERIFIER.verify(token)


def test_tokens_live_a_minute_at_most_and_name_someone() -> None:
    with pytest.raises(ValueError):
        UserTokenSigner(PRIVATE, lifetime_s=MAX_LIFETIME_S + 1)
    with pytest.raises(ValueError):
        SIGNER.sign("")
    assert SIGNER.metadata("") == ()


def outcome(rule: ActsFor, named: str, tokens: list[str], caller: str = identities.GATEWAY):
    return check(rule, named, tokens, caller, VERIFIER)


def test_the_named_user_must_be_the_tokens() -> None:
    token = SIGNER.sign("alice")
    assert outcome(OWNER, "alice", [token]) == VerifiedUser("alice", token)
    code, message = outcome(OWNER, "bob", [SIGNER.sign("alice")])
    assert code is grpc.StatusCode.PERMISSION_DENIED and "owner_id" in message
    # A token is checked even where an anonymous call would pass: it may not read as nobody.
    assert outcome(VIEWER, "", [SIGNER.sign("alice")])[0] is grpc.StatusCode.PERMISSION_DENIED


def test_a_missing_or_bad_token_is_unauthenticated() -> None:
    assert outcome(OWNER, "alice", [])[0] is grpc.StatusCode.UNAUTHENTICATED
    assert outcome(OWNER, "", [])[0] is grpc.StatusCode.UNAUTHENTICATED  # nobody is no owner
    assert outcome(OWNER, "alice", ["not-a-token"])[0] is grpc.StatusCode.UNAUTHENTICATED
    assert outcome(OWNER, "alice", [SIGNER.sign("alice")] * 2)[0] is grpc.StatusCode.UNAUTHENTICATED
    expired = SIGNER.sign("alice", now=time.time() - 120)
    assert outcome(VIEWER, "alice", [expired], identities.GENERATION_WORKER)[0] is grpc.StatusCode.UNAUTHENTICATED


def test_anonymous_viewers_and_unattended_callers_need_no_token() -> None:
    assert outcome(VIEWER, "", []) is None
    assert outcome(VIEWER, "alice", [])[0] is grpc.StatusCode.UNAUTHENTICATED
    assert outcome(VIEWER, "alice", [], identities.GENERATION_WORKER) is None


def test_every_service_declares_each_method_and_real_user_fields() -> None:
    from services.billing.wiring import USERS as BILLING
    from services.feed.wiring import USERS as FEED
    from services.generation.wiring import USERS as GENERATION
    from services.visibility.wiring import USERS as VISIBILITY

    acting = {method for policy in (BILLING, FEED, GENERATION, VISIBILITY) for method in policy.rules}
    assert "/atelier.generation.v1.GenerationService/BatchGetImages" in acting
    assert "/atelier.billing.v1.BillingService/ReserveCredits" in acting
    assert "/atelier.billing.v1.BillingService/ChangePlan" not in acting


def test_a_policy_must_name_every_method_and_a_string_field() -> None:
    from atelier.billing.v1 import billing_pb2

    service = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]
    everything = {method.name: None for method in service.methods}
    with pytest.raises(ValueError, match="missing"):
        UserPolicy.for_service(service, {"GetAccount": acts_for("user_id")})
    with pytest.raises(ValueError, match="not a user field"):
        UserPolicy.for_service(service, {**everything, "GetAccount": acts_for("no_such_field")})


def test_the_dev_pki_gives_the_signing_key_to_the_gateway_alone(tmp_path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    assert stat.S_IMODE(pki.user_token_key_path.stat().st_mode) == 0o600
    signer = UserTokenSigner.from_file(pki.user_token_key_path)
    assert UserTokenVerifier.from_file(pki.user_token_public_path).verify(signer.sign("alice")).user_id == "alice"
    for identity in identities.ALL:
        env = pki.env(identity)
        assert env["ATELIER_USER_TOKEN_PUBLIC_KEY"] == str(pki.user_token_public_path)
        assert ("ATELIER_USER_TOKEN_SIGNING_KEY" in env) == (identity == identities.GATEWAY), identity
    before = pki.user_token_key_path.read_bytes()
    ensure_pki(tmp_path / "pki")
    assert pki.user_token_key_path.read_bytes() == before

    documents = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all(kube_secrets(pki))}
    assert documents["atelier-user-token-signer"]["kind"] == "Secret"
    assert base64.b64decode(documents["atelier-user-token-signer"]["data"]["user-token.key"]) == before
    assert documents["atelier-user-token"]["kind"] == "ConfigMap"  # public: config, not a Secret
    public = base64.b64decode(documents["atelier-user-token"]["binaryData"]["user-token.pub"])
    assert public == pki.user_token_public_path.read_bytes()
    others = [doc for name, doc in documents.items() if name != "atelier-user-token-signer"]
    assert all(before not in base64.b64decode(value) for doc in others for value in doc.get("data", {}).values())


def test_a_process_without_its_key_stops_naming_the_variable(tmp_path) -> None:
    with pytest.raises(UserTokenKeyMissing, match="ATELIER_USER_TOKEN_PUBLIC_KEY"):
        UserTokenVerifier.from_file(None)
    with pytest.raises(UserTokenKeyMissing, match="ATELIER_USER_TOKEN_SIGNING_KEY"):
        UserTokenSigner.from_file(tmp_path / "missing.key")
    with pytest.raises(UserTokenKeyMissing):  # a public key is no signing key
        UserTokenSigner(PUBLIC)
    with pytest.raises(UserTokenKeyMissing):
        UserTokenVerifier(PRIVATE)

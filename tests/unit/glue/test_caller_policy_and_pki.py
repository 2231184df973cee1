"""The caller policies each service declares, and the dev stack's PKI that names the callers."""

import stat

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from atelier.billing.v1 import billing_pb2
from contracts import identities
from glue.service_identity import CallerPolicy
from services.billing.wiring import CALLERS as BILLING
from services.feed.wiring import CALLERS as FEED
from services.generation.wiring import CALLERS as GENERATION
from services.visibility.wiring import CALLERS as VISIBILITY
from tools.devstack.pki import ensure_pki

BILLING_SERVICE = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]


def test_a_policy_must_name_every_method_of_its_service():
    callers = {method.name: {identities.GATEWAY} for method in BILLING_SERVICE.methods}
    del callers["ChangePlan"]
    with pytest.raises(ValueError, match="missing \\['ChangePlan'\\]"):
        CallerPolicy.for_service(identities.ALL, BILLING_SERVICE, callers)


def test_a_policy_names_only_known_identities():
    callers = {method.name: {"somebody"} for method in BILLING_SERVICE.methods}
    with pytest.raises(ValueError, match="unknown identities"):
        CallerPolicy.for_service(identities.ALL, BILLING_SERVICE, callers)


def test_unknown_callers_are_unauthenticated_and_known_ones_denied_what_they_need_not():
    change_plan = "/atelier.billing.v1.BillingService/ChangePlan"
    assert BILLING.check(change_plan, None)[0] is grpc.StatusCode.UNAUTHENTICATED
    assert BILLING.check(change_plan, "stranger")[0] is grpc.StatusCode.UNAUTHENTICATED
    assert BILLING.check(change_plan, identities.GATEWAY)[0] is grpc.StatusCode.PERMISSION_DENIED
    assert BILLING.check(change_plan, identities.OPERATOR) is None
    assert BILLING.check("/atelier.billing.v1.BillingService/Unheard", identities.OPERATOR)[0] is (
        grpc.StatusCode.PERMISSION_DENIED
    )


@pytest.mark.parametrize(
    ("policy", "method", "callers"),
    [
        (BILLING, "/atelier.billing.v1.BillingService/ChangePlan", {identities.OPERATOR}),
        (BILLING, "/atelier.billing.v1.BillingService/ReserveCredits", {identities.GENERATION_API}),
        (BILLING, "/atelier.billing.v1.BillingService/ReleaseCredits", {identities.GENERATION_API}),
        # The feed reads prompts of images made public; BatchGetImages shows it only what is public now.
        (GENERATION, "/atelier.generation.v1.GenerationService/BatchGetImages", {identities.GATEWAY, identities.FEED}),
        (GENERATION, "/atelier.generation.v1.GenerationService/GetGeneration", {identities.GATEWAY}),
        (VISIBILITY, "/atelier.visibility.v1.VisibilityService/SetVisibility", {identities.GATEWAY}),
        (VISIBILITY, "/atelier.visibility.v1.VisibilityService/RegisterImages", {identities.GENERATION_WORKER}),
        # Undoing a deletion: only the generation service, for a deletion still in its undo window.
        (VISIBILITY, "/atelier.visibility.v1.VisibilityService/RestoreImages", {identities.GENERATION_API}),
        (GENERATION, "/atelier.generation.v1.GenerationService/RestoreGeneration", {identities.GATEWAY}),
        (
            VISIBILITY,
            "/atelier.visibility.v1.VisibilityService/Authorize",
            {identities.GATEWAY, identities.FEED, identities.GENERATION_API, identities.GENERATION_WORKER},
        ),
        (FEED, "/atelier.feed.v1.FeedService/ResolveReport", {identities.OPERATOR}),
        (FEED, "/atelier.feed.v1.FeedService/ListReports", {identities.OPERATOR}),
    ],
)
def test_the_services_allow_sensitive_methods_only_to_the_callers_that_need_them(policy, method, callers):
    assert policy.allowed[method] == callers


def test_the_dev_pki_names_each_identity_and_keeps_it_private_and_stable(tmp_path):
    pki = ensure_pki(tmp_path / "pki")
    certificate = x509.load_pem_x509_certificate(pki.cert_path(identities.BILLING).read_bytes())
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == identities.BILLING
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == [identities.BILLING]
    assert names.get_values_for_type(x509.UniformResourceIdentifier) == ["spiffe://atelier/billing"]
    ca = x509.load_pem_x509_certificate(pki.ca_path.read_bytes())
    certificate.verify_directly_issued_by(ca)
    for identity in identities.ALL:
        assert stat.S_IMODE(pki.key_path(identity).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "pki" / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(pki.root.stat().st_mode) == 0o700

    before = pki.cert_path(identities.GATEWAY).read_bytes()
    ensure_pki(tmp_path / "pki")
    assert pki.cert_path(identities.GATEWAY).read_bytes() == before

"""Service identity on the real services: only callers holding a certificate of the platform's CA
get through TLS, and each method answers only the identities allowed to call it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier.visibility.v1 import visibility_pb2
from contracts import identities
from glue.service_identity import secure_channel
from tests.support.identity import as_user, identity_files
from tools.devstack import free_port
from tools.devstack.pki import ensure_pki

SERVICES = {
    identities.BILLING: billing_pb2.DESCRIPTOR.services_by_name["BillingService"],
    identities.VISIBILITY: visibility_pb2.DESCRIPTOR.services_by_name["VisibilityService"],
    identities.FEED: feed_pb2.DESCRIPTOR.services_by_name["FeedService"],
    identities.GENERATION_API: generation_pb2.DESCRIPTOR.services_by_name["GenerationService"],
}


@pytest.fixture(scope="module")
def platform(module_stack):
    """Billing, visibility, the feed and the generation API, once for the module: its tests only call
    them under one identity or another."""
    module_stack.start_feed()
    return module_stack


def empty_call(channel: grpc.aio.Channel, service, method) -> grpc.aio.UnaryUnaryMultiCallable:
    from google.protobuf import message_factory

    request_type = message_factory.GetMessageClass(method.input_type)
    response_type = message_factory.GetMessageClass(method.output_type)
    call = channel.unary_unary(
        f"/{service.full_name}/{method.name}",
        request_serializer=request_type.SerializeToString,
        response_deserializer=response_type.FromString,
    )
    return call(request_type(), timeout=10)


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_a_client_without_credentials_can_call_no_internal_method(platform):
    reached = []
    for server, service in SERVICES.items():
        async with grpc.aio.insecure_channel(platform.address_of(server)) as bare:
            for method in service.methods:
                if await code_of(empty_call(bare, service, method)) is not grpc.StatusCode.UNAVAILABLE:
                    reached.append(f"{service.name}.{method.name}")
    assert reached == []


async def test_a_certificate_from_another_ca_is_refused_at_the_handshake(platform):
    foreign = ensure_pki(Path(tempfile.mkdtemp(prefix="atelier-foreign-pki-")))
    # The stranger even trusts the right CA and claims the gateway's name: its own key is not
    # signed by the platform's CA, so the server refuses it.
    files = identity_files(foreign, identities.GATEWAY)
    files = type(files)(platform.pki.ca_path, files.cert, files.key)
    async with secure_channel(platform.billing_addr, identities.BILLING, files) as channel:
        reply = billing_pb2_grpc.BillingServiceStub(channel).ListPlans(billing_pb2.ListPlansRequest(), timeout=10)
        assert await code_of(reply) is grpc.StatusCode.UNAVAILABLE


async def test_a_certificate_of_the_platform_ca_naming_no_known_identity_is_unauthenticated(platform):
    ensure_pki(platform.pki.root, ["stranger"])  # same CA, a name no policy knows
    async with platform.channel(identities.BILLING, caller="stranger") as channel:
        reply = billing_pb2_grpc.BillingServiceStub(channel).ListPlans(billing_pb2.ListPlansRequest(), timeout=10)
        assert await code_of(reply) is grpc.StatusCode.UNAUTHENTICATED


async def test_each_identity_calls_only_what_it_needs(platform):
    change = billing_pb2.ChangePlanRequest(user_id="alice", plan="plus", actor="operator:test")
    reserve = billing_pb2.ReserveCreditsRequest(user_id="alice", generation_id="g", amount=1)
    generations = generation_pb2.ListGenerationsRequest(owner_id="alice")

    async def billing_as(caller: str, method: str, request) -> grpc.StatusCode:
        async with platform.channel(identities.BILLING, caller=caller) as channel:
            return await code_of(getattr(billing_pb2_grpc.BillingServiceStub(channel), method)(request, timeout=10))

    async def generation_as(caller: str) -> grpc.StatusCode:
        async with platform.channel(identities.GENERATION_API, caller=caller) as channel:
            stub = generation_pb2_grpc.GenerationServiceStub(channel)
            return await code_of(stub.ListGenerations(generations, timeout=10, metadata=as_user("alice", platform.pki)))

    async def moderation_as(caller: str) -> grpc.StatusCode:
        async with platform.channel(identities.FEED, caller=caller) as channel:
            return await code_of(feed_pb2_grpc.FeedServiceStub(channel).ListReports(feed_pb2.ListReportsRequest()))

    denied = grpc.StatusCode.PERMISSION_DENIED
    assert await billing_as(identities.FEED, "ChangePlan", change) is denied
    assert await billing_as(identities.GATEWAY, "ChangePlan", change) is denied
    assert await billing_as(identities.GATEWAY, "ReserveCredits", reserve) is denied
    assert await generation_as(identities.FEED) is denied
    assert await moderation_as(identities.GATEWAY) is denied

    assert await billing_as(identities.OPERATOR, "ChangePlan", change) is grpc.StatusCode.OK
    assert await generation_as(identities.GATEWAY) is grpc.StatusCode.OK
    assert await moderation_as(identities.OPERATOR) is grpc.StatusCode.OK


async def test_probes_reach_health_alone_on_the_plaintext_health_port(stack):
    health_port = free_port()
    stack.start_billing(ATELIER_HEALTH_LISTEN=f"127.0.0.1:{health_port}")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{health_port}") as probe:
        reply = await health_pb2_grpc.HealthStub(probe).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        plans = billing_pb2_grpc.BillingServiceStub(probe).ListPlans(billing_pb2.ListPlansRequest(), timeout=10)
        assert await code_of(plans) is grpc.StatusCode.UNAUTHENTICATED


async def test_reflection_answers_platform_callers_only(platform):
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    ask = reflection_pb2.ServerReflectionRequest(list_services="")
    async with platform.channel(identities.BILLING, caller=identities.FEED) as channel:
        replies = [r async for r in reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([ask]))]
    names = {service.name for service in replies[0].list_services_response.service}
    assert "atelier.billing.v1.BillingService" in names

    ensure_pki(platform.pki.root, ["stranger"])
    async with platform.channel(identities.BILLING, caller="stranger") as channel:
        call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([ask]))
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            _ = [r async for r in call]
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED

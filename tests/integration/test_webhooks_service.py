"""The webhooks service as a real process against real Postgres and NATS JetStream, delivering to
a real HTTP receiver on 127.0.0.1: the platform's events as the generation and visibility services
publish them, signed deliveries to their owner's endpoints only, retries with back-off, giving up,
the delivery log, and SSRF refusals at registration and at delivery."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import grpc
import nats
import psycopg
import pytest

from atelier.common.v1.visibility_pb2 import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from atelier.webhooks.v1 import webhooks_pb2 as pb
from atelier.webhooks.v1 import webhooks_pb2_grpc
from contracts import generation, identities, visibility
from glue.events import make_envelope
from services.webhooks import signing
from services.webhooks.events import GENERATION_FAILED_DURABLE, IMAGES_READY_DURABLE, VISIBILITY_CHANGED_DURABLE
from tests.support.events import provision_streams
from tests.support.services import Infra, ServiceStack
from tests.support.waiting import consumers_caught_up, eventually
from tests.support.webhook_receiver import Receiver, webhook_receiver
from tools.devstack.pki import ensure_pki

pytestmark = pytest.mark.integration

ALICE, BOB = "user-alice", "user-bob"
GENERATION_DURABLES = (IMAGES_READY_DURABLE, GENERATION_FAILED_DURABLE)


@pytest.fixture
def stack(postgres_url, own_nats, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(Infra.without_media(postgres_url, own_nats.url), tmp_path / "logs")
    try:
        yield services
    finally:
        services.stop_all()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
async def start_webhooks(stack) -> AsyncIterator:
    await provision_streams(stack.infra.nats_url, generation.STREAM_SPEC, visibility.STREAM_SPEC)
    opened = []

    async def start(**env: str) -> webhooks_pb2_grpc.WebhooksServiceStub:
        stack.start_webhooks(**env)
        channel = stack.channel(identities.WEBHOOKS)
        opened.append(channel)
        return webhooks_pb2_grpc.WebhooksServiceStub(channel)

    yield start
    for channel in opened:
        await channel.close()


async def publish(stack: ServiceStack, subject: str, event) -> str:
    envelope = make_envelope(event, {})
    nc = await nats.connect(stack.infra.nats_url)
    try:
        await nc.jetstream().publish(subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.event_id})
    finally:
        await nc.close()
    return envelope.event_id


def images_ready(owner: str, visibility=VISIBILITY_PUBLIC) -> generation_events.ImagesReady:
    return generation_events.ImagesReady(
        generation_id=str(uuid.uuid4()),
        owner_id=owner,
        prompt="a private-looking prompt about a red circle" if visibility == VISIBILITY_PUBLIC else "",
        visibility=visibility,
        images=[generation_events.ReadyImage(image_id=str(uuid.uuid4()), object_key="abc/def.png", seed=987654321)],
    )


async def register(client, owner: str, url: str, events=(), api_key_id: str = "") -> pb.CreateEndpointResponse:
    return await client.CreateEndpoint(
        pb.CreateEndpointRequest(owner_id=owner, url=url, events=list(events), api_key_id=api_key_id)
    )


async def delivered_once(stack: ServiceStack, stream: str, durable: str) -> None:
    """Until the durable consumer has been handed its first message (handled or not)."""
    nc = await nats.connect(stack.infra.nats_url)
    try:
        js = nc.jetstream()

        async def handed_out() -> bool:
            try:
                return (await js.consumer_info(stream, durable)).delivered.consumer_seq >= 1
            except nats.js.errors.NotFoundError:
                return False

        await eventually(handed_out, f"{durable} handed its first message", timeout=60)
    finally:
        await nc.close()


async def deliveries(client, owner: str, endpoint_id: str) -> list[pb.Delivery]:
    reply = await client.ListDeliveries(pb.ListDeliveriesRequest(owner_id=owner, endpoint_id=endpoint_id))
    return list(reply.deliveries)


async def settled(client, owner: str, endpoint_id: str, count: int) -> list[pb.Delivery]:
    async def done():
        found = await deliveries(client, owner, endpoint_id)
        return found if len(found) == count and all(d.status != "pending" for d in found) else None

    return await eventually(done, f"{count} deliveries settled", timeout=60)


async def test_each_owners_events_reach_only_their_endpoints_signed_with_ids_and_no_prompt(
    start_webhooks, stack, receiver
):
    client = await start_webhooks()
    alice = await register(client, ALICE, receiver.url("/alice"))
    bob = await register(client, BOB, receiver.url("/bob"), events=["generation.failed"])
    alice_only_visibility = await register(client, ALICE, receiver.url("/alice-vis"), ["image.visibility_changed"])

    ready = images_ready(ALICE)
    ready_envelope = make_envelope(ready, {})
    ready_id = ready_envelope.event_id
    nc = await nats.connect(stack.infra.nats_url)
    # JetStream delivers at least once: the same event twice (no Nats-Msg-Id, so not deduplicated).
    for _ in range(2):
        await nc.jetstream().publish(generation.IMAGES_READY, ready_envelope.SerializeToString())
    await nc.close()
    changed = visibility_events.VisibilityChanged(
        image_id=ready.images[0].image_id, owner_id=ALICE, visibility=VISIBILITY_PRIVATE, version=2
    )
    changed_id = await publish(stack, visibility.VISIBILITY_CHANGED, changed)
    failed = generation_events.GenerationFailed(generation_id=str(uuid.uuid4()), owner_id=BOB, reason="Try again.")
    failed_id = await publish(stack, generation.GENERATION_FAILED, failed)
    # Another user's completion: Bob's endpoint did not ask for it, and Alice's must never see it.
    await publish(stack, generation.IMAGES_READY, images_ready(BOB))

    await consumers_caught_up(stack.infra.nats_url, generation.STREAM, *GENERATION_DURABLES)
    await consumers_caught_up(stack.infra.nats_url, visibility.STREAM, VISIBILITY_CHANGED_DURABLE)
    alice_log = await settled(client, ALICE, alice.endpoint.endpoint_id, 2)  # the repeat added none
    await settled(client, BOB, bob.endpoint.endpoint_id, 1)
    await settled(client, ALICE, alice_only_visibility.endpoint.endpoint_id, 1)
    assert {d.status for d in alice_log} == {"delivered"}

    by_path = {path: receiver.on(path) for path in ("/alice", "/bob", "/alice-vis")}
    assert [r.json["type"] for r in by_path["/bob"]] == ["generation.failed"]
    assert by_path["/bob"][0].json["data"] == {
        "generation_id": failed.generation_id,
        "status": "failed",
        "reason": "Try again.",
    }
    assert by_path["/bob"][0].json["id"] == failed_id
    assert [r.json["type"] for r in by_path["/alice-vis"]] == ["image.visibility_changed"]
    assert sorted(r.json["type"] for r in by_path["/alice"]) == ["generation.completed", "image.visibility_changed"]
    completed = next(r for r in by_path["/alice"] if r.json["id"] == ready_id)
    assert completed.json["data"] == {
        "generation_id": ready.generation_id,
        "status": "succeeded",
        "visibility": "public",
        "image_ids": [ready.images[0].image_id],
    }
    made_private = next(r for r in by_path["/alice"] if r.json["id"] == changed_id)
    assert made_private.json["data"] == {"image_id": changed.image_id, "visibility": "private", "version": 2}

    for owner_secret, path in ((alice.signing_secret, "/alice"), (bob.signing_secret, "/bob")):
        for received in by_path[path]:
            assert signing.verify(owner_secret, received.headers["Atelier-Signature"], received.body, time.time())
            assert not signing.verify(
                bob.signing_secret if path == "/alice" else alice.signing_secret,
                received.headers["Atelier-Signature"],
                received.body,
                time.time(),
            )
            # Ids and statuses only: no prompt, object key or seed, whatever the event carried.
            for private in (b"prompt", b"red circle", b"abc/def.png", b"987654321", b"seed"):
                assert private not in received.body
    # Every body names its owner's own generation or image, never another user's.
    own = {ready.generation_id, changed.image_id}
    for received in by_path["/alice"] + by_path["/alice-vis"]:
        data = received.json["data"]
        assert data.get("generation_id", data.get("image_id")) in own
    # The log shows what was sent, exactly.
    logged = next(d for d in alice_log if d.event_id == ready_id)
    assert logged.body.encode() == completed.body and [a.response_status for a in logged.attempts] == [200]


async def test_a_failing_endpoint_is_retried_with_growing_gaps_until_it_answers(start_webhooks, stack, receiver):
    client = await start_webhooks(ATELIER_WEBHOOK_RETRY_BASE_S="0.5", ATELIER_WEBHOOK_MAX_ATTEMPTS="6")
    endpoint = await register(client, ALICE, receiver.url("/flaky"))
    receiver.answer("/flaky", 500, 502, 503)
    event_id = await publish(stack, generation.IMAGES_READY, images_ready(ALICE))

    (delivery,) = await settled(client, ALICE, endpoint.endpoint.endpoint_id, 1)
    assert delivery.status == "delivered" and delivery.event_id == event_id
    assert [(a.attempt, a.response_status) for a in delivery.attempts] == [(1, 500), (2, 502), (3, 503), (4, 200)]
    assert [a.error for a in delivery.attempts] == [
        "the endpoint answered 500",
        "the endpoint answered 502",
        "the endpoint answered 503",
        "",
    ]
    arrivals = [r.at for r in receiver.on("/flaky")]
    assert len(arrivals) == 4
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    # base * 2**(n-1), up to a quarter more (jitter), plus the time to take it and send it.
    for gap, expected in zip(gaps, [0.5, 1.0, 2.0]):
        assert expected <= gap < expected * 1.25 + 1.0, gaps
    # The same event every time, each attempt signed afresh.
    assert len({r.body for r in receiver.on("/flaky")}) == 1
    assert [r.headers["Atelier-Delivery-Attempt"] for r in receiver.on("/flaky")] == ["1", "2", "3", "4"]


async def test_after_the_last_attempt_the_log_shows_the_delivery_failed(start_webhooks, stack, receiver):
    client = await start_webhooks(ATELIER_WEBHOOK_RETRY_BASE_S="0.2", ATELIER_WEBHOOK_MAX_ATTEMPTS="3")
    endpoint = await register(client, ALICE, receiver.url("/down"))
    receiver.answer("/down", *([500] * 10))
    await publish(stack, generation.IMAGES_READY, images_ready(ALICE))

    (delivery,) = await settled(client, ALICE, endpoint.endpoint.endpoint_id, 1)
    assert delivery.status == "failed" and not delivery.HasField("next_attempt_at")
    assert [a.response_status for a in delivery.attempts] == [500, 500, 500]
    time.sleep(1.5)  # the behaviour itself: nothing more is sent once it gave up
    assert len(receiver.on("/down")) == 3


async def test_private_and_loopback_destinations_are_refused_in_production_settings(start_webhooks, stack, receiver):
    client = await start_webhooks(
        ATELIER_WEBHOOK_ALLOW_PRIVATE_ENDPOINTS="false", ATELIER_WEBHOOK_ALLOW_PLAIN_HTTP="false"
    )
    refused = {
        receiver.url("/x"): "must start with https://",
        f"https://127.0.0.1:{receiver.port}/x": "never sent to",
        f"https://localhost:{receiver.port}/x": "never sent to",
        "https://169.254.169.254/latest/meta-data": "never sent to",
        "https://10.0.0.7/hook": "never sent to",
        "https://[::1]/hook": "never sent to",
        "https://[::ffff:127.0.0.1]/hook": "never sent to",
        "https://user:pw@example.com/hook": "user name or password",
        "https://nothing.invalid/hook": "does not resolve",
    }
    for url, why in refused.items():
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await register(client, ALICE, url)
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and why in error.value.details(), url
    assert not (await client.ListEndpoints(pb.ListEndpointsRequest(owner_id=ALICE))).endpoints

    # A name that resolved to a public address when it was registered and to a loopback one now
    # (DNS rebinding), as the row it left: refused again at delivery, nothing sent.
    with psycopg.connect(stack.infra.database_url, autocommit=True) as conn:
        (endpoint_id,) = conn.execute(
            "INSERT INTO webhooks.endpoints (endpoint_id, owner_id, url, events, signing_secret)"
            " VALUES (gen_random_uuid(), %s, %s, %s, 'whsec_x') RETURNING endpoint_id",
            (ALICE, f"https://localhost:{receiver.port}/rebound", ["generation.completed"]),
        ).fetchone()
    await publish(stack, generation.IMAGES_READY, images_ready(ALICE))
    async with stack.channel(identities.WEBHOOKS) as channel:
        client = webhooks_pb2_grpc.WebhooksServiceStub(channel)

        async def first_attempt():
            found = await deliveries(client, ALICE, str(endpoint_id))
            return found[0].attempts if found and found[0].attempts else None

        (attempt,) = await eventually(first_attempt, "the rebound delivery attempted", timeout=60)
    assert attempt.response_status == 0 and "never sent to" in attempt.error
    assert receiver.received == []


async def test_endpoints_belong_to_their_owner(start_webhooks, stack, receiver):
    client = await start_webhooks(ATELIER_WEBHOOK_MAX_ENDPOINTS_PER_ACCOUNT="2")
    first = await register(client, ALICE, receiver.url("/1"), ["generation.completed"])
    assert first.signing_secret.startswith("whsec_")
    assert list(first.endpoint.events) == ["generation.completed"]
    await register(client, ALICE, receiver.url("/2"))
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await register(client, ALICE, receiver.url("/3"))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 2" in error.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await register(client, BOB, receiver.url("/b"), ["generation.exploded"])
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "generation.exploded" in error.value.details()

    listed = (await client.ListEndpoints(pb.ListEndpointsRequest(owner_id=ALICE))).endpoints
    assert len(listed) == 2 and all(e.owner_id == ALICE for e in listed)
    assert not (await client.ListEndpoints(pb.ListEndpointsRequest(owner_id=BOB))).endpoints
    # Another user's endpoint, an unknown and a malformed id: the same NOT_FOUND.
    for owner, endpoint_id in ((BOB, first.endpoint.endpoint_id), (ALICE, str(uuid.uuid4())), (ALICE, "nope")):
        for call in (
            client.DeleteEndpoint(pb.DeleteEndpointRequest(owner_id=owner, endpoint_id=endpoint_id)),
            client.ListDeliveries(pb.ListDeliveriesRequest(owner_id=owner, endpoint_id=endpoint_id)),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await call
            assert (error.value.code(), error.value.details()) == (
                grpc.StatusCode.NOT_FOUND,
                "webhook endpoint not found",
            )
    await client.DeleteEndpoint(pb.DeleteEndpointRequest(owner_id=ALICE, endpoint_id=first.endpoint.endpoint_id))
    assert len((await client.ListEndpoints(pb.ListEndpointsRequest(owner_id=ALICE))).endpoints) == 1

    # Only the gateway may call, and only for the user its token names.
    async with stack.channel(identities.WEBHOOKS, caller=identities.FEED) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await webhooks_pb2_grpc.WebhooksServiceStub(channel).ListEndpoints(pb.ListEndpointsRequest(owner_id=ALICE))
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    async with stack.channel(identities.WEBHOOKS, caller=identities.GATEWAY) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await webhooks_pb2_grpc.WebhooksServiceStub(channel).ListEndpoints(pb.ListEndpointsRequest(owner_id=ALICE))
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_https_goes_to_the_checked_address_and_checks_the_certificate_against_the_urls_host(
    start_webhooks, stack
):
    # Certificates of the test CA for `localhost` and for another name; both also name 127.0.0.1,
    # so only a check against the URL's host (SNI), not the address connected to, tells them apart.
    pki = ensure_pki(stack.pki.root, ["localhost", "not-localhost"])
    client = await start_webhooks(ATELIER_WEBHOOK_CA_BUNDLE=str(pki.ca_path), ATELIER_WEBHOOK_ALLOW_PLAIN_HTTP="false")
    with (
        webhook_receiver((pki.cert_path("localhost"), pki.key_path("localhost"))) as good,
        webhook_receiver((pki.cert_path("not-localhost"), pki.key_path("not-localhost"))) as wrong,
    ):
        trusted = await register(client, ALICE, good.url("/tls", host="localhost"))
        mismatched = await register(client, ALICE, wrong.url("/tls", host="localhost"))
        await publish(stack, generation.IMAGES_READY, images_ready(ALICE))

        (delivered,) = await settled(client, ALICE, trusted.endpoint.endpoint_id, 1)
        assert delivered.status == "delivered"
        (received,) = good.on("/tls")
        assert received.headers["Host"] == f"localhost:{good.port}"
        assert signing.verify(trusted.signing_secret, received.headers["Atelier-Signature"], received.body, time.time())

        async def first_attempt():
            found = await deliveries(client, ALICE, mismatched.endpoint.endpoint_id)
            return found[0].attempts if found and found[0].attempts else None

        (attempt,) = await eventually(first_attempt, "the mismatched delivery attempted", timeout=60)
        assert attempt.response_status == 0 and "certificate" in attempt.error.lower(), attempt.error
        assert wrong.received == []


async def test_a_pending_retry_survives_the_service_being_killed(start_webhooks, stack, receiver):
    settings = {"ATELIER_WEBHOOK_RETRY_BASE_S": "2", "ATELIER_WEBHOOK_MAX_ATTEMPTS": "5"}
    client = await start_webhooks(**settings)
    endpoint = await register(client, ALICE, receiver.url("/restart"))
    receiver.answer("/restart", 500, 503)
    event_id = await publish(stack, generation.IMAGES_READY, images_ready(ALICE))

    async def first_attempt_logged():
        found = await deliveries(client, ALICE, endpoint.endpoint.endpoint_id)
        return found and len(found[0].attempts) == 1

    await eventually(first_attempt_logged, "the first attempt logged", timeout=60)
    stack.kill("webhooks")  # SIGKILL while the retry waits: it lives in Postgres, not in the process

    client = await start_webhooks(**settings)
    (delivery,) = await settled(client, ALICE, endpoint.endpoint.endpoint_id, 1)
    assert delivery.status == "delivered" and delivery.event_id == event_id
    assert [a.response_status for a in delivery.attempts] == [500, 503, 200]
    assert len({r.body for r in receiver.on("/restart")}) == 1 and len(receiver.on("/restart")) == 3


async def test_an_endpoint_tied_to_a_key_gets_that_keys_events_only_and_never_another_owners(
    start_webhooks, stack, receiver
):
    client = await start_webhooks()
    key_a, key_b = str(uuid.uuid4()), str(uuid.uuid4())
    hooks = {
        "/all": await register(client, ALICE, receiver.url("/all")),
        "/a": await register(client, ALICE, receiver.url("/a"), api_key_id=key_a),
        "/b": await register(client, ALICE, receiver.url("/b"), api_key_id=key_b),
        # Bob names Alice's key (the gateway refuses that): an owner's events still reach only the owner.
        "/bob": await register(client, BOB, receiver.url("/bob"), api_key_id=key_a),
    }
    assert hooks["/a"].endpoint.api_key_id == key_a and hooks["/all"].endpoint.api_key_id == ""

    ready_a = images_ready(ALICE)
    ready_a.api_key_id = key_a
    # The image's visibility change overtakes its ImagesReady (another stream): it waits for the image's key.
    changed = visibility_events.VisibilityChanged(
        image_id=ready_a.images[0].image_id, owner_id=ALICE, visibility=VISIBILITY_PRIVATE, version=2
    )
    changed_id = await publish(stack, visibility.VISIBILITY_CHANGED, changed)
    await delivered_once(stack, visibility.STREAM, VISIBILITY_CHANGED_DURABLE)
    completed_id = await publish(stack, generation.IMAGES_READY, ready_a)
    failed = generation_events.GenerationFailed(
        generation_id=str(uuid.uuid4()), owner_id=ALICE, reason="Try again.", api_key_id=key_b
    )
    failed_id = await publish(stack, generation.GENERATION_FAILED, failed)
    from_the_web_id = await publish(stack, generation.IMAGES_READY, images_ready(ALICE))

    await consumers_caught_up(stack.infra.nats_url, generation.STREAM, *GENERATION_DURABLES)
    await consumers_caught_up(stack.infra.nats_url, visibility.STREAM, VISIBILITY_CHANGED_DURABLE)
    for path, count in (("/all", 4), ("/a", 2), ("/b", 1)):
        await settled(client, ALICE, hooks[path].endpoint.endpoint_id, count)
    assert not await deliveries(client, BOB, hooks["/bob"].endpoint.endpoint_id)
    received = {path: {r.json["id"] for r in receiver.on(path)} for path in hooks}
    assert received == {
        "/all": {changed_id, completed_id, failed_id, from_the_web_id},
        "/a": {completed_id, changed_id},
        "/b": {failed_id},
        "/bob": set(),
    }
    assert all(b"api_key" not in r.body for r in receiver.received)

    # The gateway revokes key A: its endpoints go, Alice's others and Bob's stay.
    reply = await client.DeleteKeyEndpoints(pb.DeleteKeyEndpointsRequest(owner_id=ALICE, api_key_id=key_a))
    assert reply.deleted == 1
    left = (await client.ListEndpoints(pb.ListEndpointsRequest(owner_id=ALICE))).endpoints
    assert {e.url for e in left} == {receiver.url("/all"), receiver.url("/b")}
    assert len((await client.ListEndpoints(pb.ListEndpointsRequest(owner_id=BOB))).endpoints) == 1

"""The gateway's tests run against fakes (tests/integration/gateway/fakes.py); each fake is held here
to the real service: one scenario, run against the fake and against the real process, must get the
same answers (status codes, messages, fields) for the calls the gateway makes. A fake that drifts
from its service would let the gateway's tests pass against behaviour that no longer exists."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import grpc
import nats
import pytest
from minio.error import S3Error

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1.visibility_pb2 import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC
from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier.visibility.v1 import visibility_pb2 as pb
from atelier.visibility.v1 import visibility_pb2_grpc
from atelier.webhooks.v1 import webhooks_pb2, webhooks_pb2_grpc
from contracts import generation as generation_contract
from contracts import visibility as visibility_contract
from glue.events import ensure_streams, make_envelope
from glue.settings import ObjectStoreSettings
from glue.storage import ObjectStore
from services.visibility.policy import NEEDS_PLAN, NOT_FOUND, PLAN_LAPSED
from tests.integration.gateway.fakes import (
    FakeBillingService,
    FakeGenerationService,
    FakeVisibilityService,
    InMemoryObjects,
)
from tests.integration.gateway.feed_fake import FakeFeedService
from tests.integration.gateway.webhooks_fake import FakeWebhooksService
from tests.support.generation import change_plan, submit_request
from tests.support.identity import add_port_as, channel_as, routing_channel
from tests.support.services import Infra, ServiceStack
from tests.support.waiting import consumers_caught_up
from tools.devstack import free_port

pytestmark = pytest.mark.integration

PRIVATE, PUBLIC = VISIBILITY_PRIVATE, VISIBILITY_PUBLIC
QUEUED = generation_pb2.GENERATION_STATUS_QUEUED

Register = Callable[[str, int], Awaitable[list[str]]]


@pytest.fixture
def media_free_stack(postgres_url, own_nats, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(Infra.without_media(postgres_url, own_nats.url), tmp_path / "logs")
    try:
        yield services
    finally:
        services.stop_all()


async def serve(address: str, billing: FakeBillingService, visibility: FakeVisibilityService | None) -> grpc.aio.Server:
    server = grpc.aio.server()
    billing_pb2_grpc.add_BillingServiceServicer_to_server(billing, server)
    if visibility is not None:
        visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(visibility, server)
    assert add_port_as(server, address, "visibility" if visibility is not None else "billing") != 0
    await server.start()
    return server


@dataclass
class Authority:
    """A visibility service (fake or real) whose billing answers are the billing fake's: the plan
    of each user is set on `billing`, as the gateway's tests do."""

    billing: FakeBillingService
    stub: visibility_pb2_grpc.VisibilityServiceStub
    register: Register


@pytest.fixture(params=["fake", "real"])
async def authority(request) -> AsyncIterator[Authority]:
    billing = FakeBillingService()
    if request.param == "fake":
        visibility = FakeVisibilityService(billing)
        address = f"127.0.0.1:{free_port()}"
        server = await serve(address, billing, visibility)

        async def register(owner: str, count: int) -> list[str]:
            ids = [str(uuid.uuid4()) for _ in range(count)]
            visibility.register(owner, ids, VISIBILITY_PUBLIC)
            return ids

    else:
        stack: ServiceStack = request.getfixturevalue("media_free_stack")
        server = await serve(stack.billing_addr, billing, None)
        stack.start_visibility()
        address = stack.visibility_addr

    async with routing_channel("visibility", address) as channel:
        stub = visibility_pb2_grpc.VisibilityServiceStub(channel)
        if request.param == "real":

            async def register(owner: str, count: int) -> list[str]:
                ids = [str(uuid.uuid4()) for _ in range(count)]
                await stub.RegisterImages(
                    pb.RegisterImagesRequest(
                        owner_id=owner,
                        generation_id=str(uuid.uuid4()),
                        image_ids=ids,
                        visibility=VISIBILITY_PUBLIC,
                        made_with_privacy_entitlement=billing.account(owner).plan != "free",
                    )
                )
                return ids

        try:
            yield Authority(billing, stub, register)
        finally:
            await server.stop(0)


async def refusal(call: Awaitable) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), caught.value.details()


def fields(image: pb.ImageVisibility) -> tuple:
    return image.image_id, image.owner_id, image.visibility, image.version, image.deleted


async def test_visibility_authorize_and_changes_answer_like_the_real_authority(authority: Authority) -> None:
    vis, billing = authority.stub, authority.billing
    billing.set_plan("alice", "plus")
    mine, other = await authority.register("alice", 2)
    unknown = str(uuid.uuid4())

    async def allowed(viewer: str, *ids: str) -> list[str]:
        reply = await vis.Authorize(pb.AuthorizeRequest(viewer_id=viewer, image_ids=list(ids)))
        return list(reply.allowed_image_ids)

    assert await allowed("bob", mine, other, unknown) == [mine, other]

    changed = await vis.SetVisibility(pb.SetVisibilityRequest(actor_id="alice", image_id=mine, visibility=PRIVATE))
    assert fields(changed.image) == (mine, "alice", PRIVATE, 2, False)
    assert await allowed("bob", mine, other) == [other]
    assert await allowed("", mine, other) == [other]
    assert await allowed("alice", mine, other) == [mine, other]

    same = await vis.SetVisibility(pb.SetVisibilityRequest(actor_id="alice", image_id=other, visibility=PUBLIC))
    assert fields(same.image) == (other, "alice", PUBLIC, 1, False)
    for actor, image_id in (("bob", mine), ("alice", unknown)):
        request = pb.SetVisibilityRequest(actor_id=actor, image_id=image_id, visibility=PUBLIC)
        assert await refusal(vis.SetVisibility(request)) == (grpc.StatusCode.NOT_FOUND, NOT_FOUND)

    owned = await vis.BatchGetVisibility(pb.BatchGetVisibilityRequest(owner_id="alice", image_ids=[mine, unknown]))
    assert [fields(i) for i in owned.images] == [(mine, "alice", PRIVATE, 2, False)]
    assert not (await vis.BatchGetVisibility(pb.BatchGetVisibilityRequest(owner_id="bob", image_ids=[mine]))).images

    batch = await vis.BatchSetVisibility(
        pb.BatchSetVisibilityRequest(actor_id="alice", image_ids=[mine, other, unknown], visibility=PUBLIC)
    )
    assert sorted(fields(i) for i in batch.updated) == sorted(
        [(mine, "alice", PUBLIC, 3, False), (other, "alice", PUBLIC, 1, False)]
    )
    assert [(r.image_id, r.reason) for r in batch.refused] == [(unknown, NOT_FOUND)]

    billing.lapse("alice")
    request = pb.SetVisibilityRequest(actor_id="alice", image_id=mine, visibility=PRIVATE)
    assert await refusal(vis.SetVisibility(request)) == (grpc.StatusCode.PERMISSION_DENIED, PLAN_LAPSED)

    (free,) = await authority.register("carol", 1)
    request = pb.SetVisibilityRequest(actor_id="carol", image_id=free, visibility=PRIVATE)
    assert await refusal(vis.SetVisibility(request)) == (grpc.StatusCode.PERMISSION_DENIED, NEEDS_PLAN)


@pytest.fixture(params=["fake", "real"])
async def billing(request) -> AsyncIterator[billing_pb2_grpc.BillingServiceStub]:
    if request.param == "fake":
        address = f"127.0.0.1:{free_port()}"
        server = await serve(address, FakeBillingService(), None)
    else:
        stack: ServiceStack = request.getfixturevalue("media_free_stack")
        stack.start_billing()
        address, server = stack.billing_addr, None
    async with routing_channel("billing", address) as channel:
        yield billing_pb2_grpc.BillingServiceStub(channel)
    if server is not None:
        await server.stop(0)


def plan_fields(plan: billing_pb2.Plan) -> tuple:
    return (
        plan.name,
        plan.display_name,
        sorted(plan.entitlements),
        plan.monthly_credits,
        plan.max_concurrent_generations,
        plan.monthly_price_cents,
        plan.currency,
    )


async def test_billing_accounts_and_plans_answer_like_the_real_billing(billing) -> None:
    account = (await billing.GetAccount(billing_pb2.GetAccountRequest(user_id="newcomer"))).account
    assert (
        account.user_id,
        account.plan,
        sorted(account.entitlements),
        account.credits,
        account.status,
        account.lapsed_plan,
        account.max_concurrent_generations,
    ) == ("newcomer", "free", [], 25, billing_pb2.SUBSCRIPTION_STATUS_NONE, "", 1)

    plans = (await billing.ListPlans(billing_pb2.ListPlansRequest())).plans
    paid = ["custom_models", "delete_generation", "download_png", "edit", "upscale"]
    assert [plan_fields(p) for p in plans] == [
        ("free", "Free", [], 25, 1, 0, "usd"),
        ("basic", "Basic", paid, 400, 2, 800, "usd"),
        ("plus", "Plus", sorted([*paid, "private_generation"]), 1000, 4, 2000, "usd"),
        ("pro", "Pro", sorted([*paid, "private_generation"]), 3000, 8, 6000, "usd"),
        ("team", "Team", sorted([*paid, "private_generation", "teams"]), 10000, 8, 15000, "usd"),
    ]


class StoreUnderTest:
    """What the gateway does with objects (get), plus the writes a test needs to set a key up."""

    def __init__(self, kind: str, object_store) -> None:
        if kind == "fake":
            self.reader = InMemoryObjects()
            self.put = self._put_in_memory
            self.remove = self._remove_in_memory
        else:
            store = ObjectStore(
                ObjectStoreSettings(
                    s3_endpoint=object_store.endpoint,
                    s3_access_key=object_store.access_key,
                    s3_secret_key=object_store.secret_key,
                    s3_bucket=object_store.bucket,
                )
            )
            self.reader = store
            self.put = lambda key, data: store.put(key, data, "image/png")
            self.remove = store.delete

    async def _put_in_memory(self, key: str, data: bytes) -> None:
        self.reader.data[key] = data

    async def _remove_in_memory(self, key: str) -> None:
        self.reader.data.pop(key, None)


@pytest.fixture(params=["fake", "real"])
def objects(request) -> StoreUnderTest:
    store = request.getfixturevalue("object_store") if request.param == "real" else None
    return StoreUnderTest(request.param, store)


async def test_objects_read_back_and_a_missing_key_is_no_such_key(objects: StoreUnderTest) -> None:
    key = f"images/{uuid.uuid4()}.png"

    async def missing_code() -> str:
        with pytest.raises(S3Error) as caught:
            await objects.reader.get(key)
        return caught.value.code

    assert await missing_code() == "NoSuchKey"
    await objects.put(key, b"\x89PNG bytes")
    assert await objects.reader.get(key) == b"\x89PNG bytes"
    await objects.remove(key)
    assert await missing_code() == "NoSuchKey"


@pytest.fixture(params=["fake", "real"])
async def generations(request) -> AsyncIterator[generation_pb2_grpc.GenerationServiceStub]:
    """Generation's API with no worker: what is submitted stays queued. Alice is on the basic plan
    (two generations at once), asked of the real billing or set on the billing fake."""
    if request.param == "real":
        stack: ServiceStack = request.getfixturevalue("stack")
        with stack.started_together():
            stack.start_billing()
            stack.start_visibility()
            stack.start_generation_api()
        await change_plan(stack, "alice", "basic")
        async with stack.channel("generation-api") as channel:
            yield generation_pb2_grpc.GenerationServiceStub(channel)
        return
    billing = FakeBillingService()
    billing.set_plan("alice", "basic")
    fake = FakeGenerationService(InMemoryObjects(), FakeVisibilityService(billing))
    address = f"127.0.0.1:{free_port()}"
    server = grpc.aio.server()
    generation_pb2_grpc.add_GenerationServiceServicer_to_server(fake, server)
    assert add_port_as(server, address, "generation-api") != 0
    await server.start()
    try:
        async with routing_channel("generation-api", address) as channel:
            yield generation_pb2_grpc.GenerationServiceStub(channel)
    finally:
        await server.stop(0)


def generation_fields(generation: generation_pb2.Generation) -> tuple:
    return (
        generation.owner_id,
        generation.status,
        generation.params.prompt,
        generation.visibility,
        generation.progress_step,
        len(generation.images),
        generation.error,
    )


async def test_generation_submit_read_list_and_delete_answer_like_the_real_service(generations) -> None:
    first = await generations.Submit(submit_request(key="click-1", prompt="a red circle", seed=7))
    again = await generations.Submit(submit_request(key="click-1", prompt="a red circle", seed=7))
    second = await generations.Submit(submit_request(prompt="a blue square"))
    assert (first.created, again.created, second.created) == (True, False, True)
    assert again.generation.generation_id == first.generation.generation_id
    assert generation_fields(first.generation) == ("alice", QUEUED, "a red circle", PUBLIC, 0, 0, "")
    assert first.generation.seed == 7

    async def get(viewer: str, generation_id: str):
        request = generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id=viewer)
        return await generations.GetGeneration(request)

    mine = await get("alice", first.generation.generation_id)
    assert generation_fields(mine.generation) == generation_fields(first.generation)
    for viewer, generation_id in (("bob", first.generation.generation_id), ("alice", str(uuid.uuid4()))):
        assert await refusal(get(viewer, generation_id)) == (grpc.StatusCode.NOT_FOUND, "generation not found")

    page = await generations.ListGenerations(generation_pb2.ListGenerationsRequest(owner_id="alice", page_size=1))
    assert [g.generation_id for g in page.generations] == [second.generation.generation_id]
    rest = await generations.ListGenerations(
        generation_pb2.ListGenerationsRequest(owner_id="alice", page_size=1, cursor=page.next_cursor)
    )
    assert [g.generation_id for g in rest.generations] == [first.generation.generation_id]
    assert rest.next_cursor == ""
    assert not (await generations.ListGenerations(generation_pb2.ListGenerationsRequest(owner_id="bob"))).generations

    async def delete(actor: str, generation_id: str):
        request = generation_pb2.DeleteGenerationRequest(generation_id=generation_id, actor_id=actor)
        return await generations.DeleteGeneration(request)

    assert await refusal(delete("bob", first.generation.generation_id)) == (
        grpc.StatusCode.NOT_FOUND,
        "generation not found",
    )
    assert await refusal(delete("alice", first.generation.generation_id)) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "This generation is still running; delete it once it has finished.",
    )

    async def restore(actor: str, generation_id: str):
        request = generation_pb2.RestoreGenerationRequest(generation_id=generation_id, actor_id=actor)
        return await generations.RestoreGeneration(request)

    # Nothing deleted with undo: nothing to restore, for the owner as for anyone else.
    for actor, generation_id in (
        ("bob", first.generation.generation_id),
        ("alice", first.generation.generation_id),
        ("alice", str(uuid.uuid4())),
    ):
        assert await refusal(restore(actor, generation_id)) == (grpc.StatusCode.NOT_FOUND, "generation not found")
    unknown = generation_pb2.BatchGetImagesRequest(image_ids=[str(uuid.uuid4())])
    assert not (await generations.BatchGetImages(unknown)).images


@dataclass
class Feed:
    """A feed service (fake or real) over the visibility fake, and how each learns of new images:
    the fake from the generation fake, the real one from ImagesReady events on JetStream."""

    stub: feed_pb2_grpc.FeedServiceStub
    publish: Callable[[str, str, int], Awaitable[str]]
    settled: Callable[[], Awaitable[None]]


FEED_DURABLES = ("feed-images-ready", "feed-image-deleted")


@pytest.fixture(params=["fake", "real"])
async def feed(request) -> AsyncIterator[Feed]:
    billing = FakeBillingService()
    visibility = FakeVisibilityService(billing)
    generation = FakeGenerationService(InMemoryObjects(), visibility)
    server = grpc.aio.server()
    visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(visibility, server)
    if request.param == "fake":
        feed_pb2_grpc.add_FeedServiceServicer_to_server(FakeFeedService(generation, visibility), server)
    authority_address = f"127.0.0.1:{free_port()}"
    assert add_port_as(server, authority_address, "visibility") != 0
    await server.start()
    try:
        if request.param == "fake":

            async def publish(owner: str, prompt: str, image_visibility: int) -> str:
                added = generation.add(owner, prompt, "private" if image_visibility == PRIVATE else "public", 1)
                (image_id,) = generation.succeed(added.generation_id)
                return image_id

            async def settled() -> None:
                return None

            async with channel_as("gateway", "visibility", authority_address) as channel:
                yield Feed(feed_pb2_grpc.FeedServiceStub(channel), publish, settled)
        else:
            stack: ServiceStack = request.getfixturevalue("media_free_stack")
            nc = await nats.connect(stack.infra.nats_url)
            js = nc.jetstream()
            # The streams' owners (generation, visibility) create them; the feed only reads them.
            await ensure_streams(js, [generation_contract.STREAM_SPEC, visibility_contract.STREAM_SPEC])
            # The fake's threshold: the gateway's tests hide an image at the second report, of any account.
            stack.start_feed(
                ATELIER_VISIBILITY_ADDR=authority_address,
                ATELIER_FEED_REPORT_THRESHOLD="2",
                ATELIER_FEED_NEW_REPORTER_WEIGHT="1",
            )
            minutes = iter(range(1000))

            async def publish(owner: str, prompt: str, image_visibility: int) -> str:
                image_id = str(uuid.uuid4())
                visibility.register(owner, [image_id], image_visibility)
                event = generation_events.ImagesReady(
                    generation_id=str(uuid.uuid4()),
                    owner_id=owner,
                    prompt=prompt,
                    visibility=image_visibility,
                    visibility_version=1,
                    images=[generation_events.ReadyImage(image_id=image_id, object_key="k", width=64, height=64)],
                )
                envelope = make_envelope(event, {})
                envelope.occurred_at.FromDatetime(datetime(2026, 11, 1, 12, next(minutes), tzinfo=UTC))
                await js.publish("atelier.generation.images_ready", envelope.SerializeToString())
                return image_id

            async def settled() -> None:
                await consumers_caught_up(stack.infra.nats_url, "GENERATION", *FEED_DURABLES)

            try:
                async with stack.channel("feed") as channel:
                    yield Feed(feed_pb2_grpc.FeedServiceStub(channel), publish, settled)
            finally:
                await nc.close()
    finally:
        await server.stop(0)


def item_fields(item: feed_pb2.FeedItem) -> tuple:
    return item.image_id, item.owner_id, item.prompt, item.like_count, item.liked_by_viewer, item.width, item.height


async def test_feed_pages_likes_pins_and_reports_answer_like_the_real_feed(feed: Feed) -> None:
    stub = feed.stub
    red = await feed.publish("alice", "a red circle", PUBLIC)
    secret = await feed.publish("alice", "a secret square", PRIVATE)
    blue = await feed.publish("alice", "a blue circle", PUBLIC)
    await feed.settled()

    async def listed(viewer: str, query: str = "") -> list[tuple]:
        reply = await stub.ListFeed(feed_pb2.ListFeedRequest(viewer_id=viewer, page_size=10, query=query))
        return [item_fields(i) for i in reply.items]

    assert await listed("bob") == [
        (blue, "alice", "a blue circle", 0, False, 64, 64),
        (red, "alice", "a red circle", 0, False, 64, 64),
    ]
    assert [i[0] for i in await listed("", "red")] == [red]
    page = await stub.ListFeed(feed_pb2.ListFeedRequest(viewer_id="bob", page_size=1))
    rest = await stub.ListFeed(feed_pb2.ListFeedRequest(viewer_id="bob", page_size=1, cursor=page.next_cursor))
    assert [i.image_id for i in [*page.items, *rest.items]] == [blue, red]

    assert (await stub.Like(feed_pb2.LikeRequest(user_id="bob", image_id=red))).like_count == 1
    assert (await stub.Like(feed_pb2.LikeRequest(user_id="bob", image_id=red))).like_count == 1
    assert (await listed("bob", "red"))[0][3:5] == (1, True)
    assert (await listed("carol", "red"))[0][3:5] == (1, False)
    for call in (
        stub.Like(feed_pb2.LikeRequest(user_id="bob", image_id=secret)),
        stub.Like(feed_pb2.LikeRequest(user_id="bob", image_id=str(uuid.uuid4()))),
        stub.Pin(feed_pb2.PinRequest(user_id="bob", image_id=red)),
        stub.Report(feed_pb2.ReportRequest(user_id="bob", image_id=secret, reason="spam")),
    ):
        assert await refusal(call) == (grpc.StatusCode.NOT_FOUND, "image not found")
    assert (await stub.Unlike(feed_pb2.UnlikeRequest(user_id="bob", image_id=red))).like_count == 0

    await stub.Pin(feed_pb2.PinRequest(user_id="alice", image_id=red))
    profile = await stub.GetProfile(feed_pb2.GetProfileRequest(owner_id="alice", viewer_id="bob", page_size=10))
    assert [i.image_id for i in profile.pinned] == [red]
    assert [i.image_id for i in profile.images] == [blue, red]

    empty = feed_pb2.ReportRequest(user_id="bob", image_id=blue, reason="  ")
    assert (await refusal(stub.Report(empty)))[0] == grpc.StatusCode.INVALID_ARGUMENT
    assert not (await stub.Report(feed_pb2.ReportRequest(user_id="bob", image_id=blue, reason="spam"))).hidden
    assert (await stub.Report(feed_pb2.ReportRequest(user_id="carol", image_id=blue, reason="spam"))).hidden
    assert [i[0] for i in await listed("bob")] == [red]


@pytest.fixture(params=["fake", "real"])
async def webhooks(request) -> AsyncIterator[webhooks_pb2_grpc.WebhooksServiceStub]:
    server = None
    if request.param == "fake":
        address = f"127.0.0.1:{free_port()}"
        server = grpc.aio.server()
        webhooks_pb2_grpc.add_WebhooksServiceServicer_to_server(FakeWebhooksService(), server)
        assert add_port_as(server, address, "webhooks") != 0
        await server.start()
    else:
        stack: ServiceStack = request.getfixturevalue("media_free_stack")
        # Production's URL rules (https only); the address below is a public literal, so no DNS is needed.
        stack.start_webhooks(ATELIER_WEBHOOK_ALLOW_PLAIN_HTTP="false")
        address = stack.webhooks_addr
    async with routing_channel("webhooks", address) as channel:
        yield webhooks_pb2_grpc.WebhooksServiceStub(channel)
    if server is not None:
        await server.stop(0)


async def test_webhook_endpoints_answer_like_the_real_service(webhooks) -> None:
    created = await webhooks.CreateEndpoint(
        webhooks_pb2.CreateEndpointRequest(
            owner_id="alice", url="https://93.184.215.14/hook", events=["generation.completed"]
        )
    )
    endpoint = created.endpoint
    assert (endpoint.owner_id, endpoint.url, list(endpoint.events)) == (
        "alice",
        "https://93.184.215.14/hook",
        ["generation.completed"],
    )
    assert created.signing_secret.startswith("whsec_") and endpoint.HasField("created_at")
    every = await webhooks.CreateEndpoint(
        webhooks_pb2.CreateEndpointRequest(owner_id="alice", url="https://93.184.215.14/all")
    )
    assert list(every.endpoint.events) == ["generation.completed", "generation.failed", "image.visibility_changed"]

    refusals = []
    for request in (
        webhooks_pb2.CreateEndpointRequest(owner_id="alice", url="http://93.184.215.14/hook"),
        webhooks_pb2.CreateEndpointRequest(owner_id="alice", url="https://93.184.215.14/h", events=["x.y"]),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await webhooks.CreateEndpoint(request)
        refusals.append((error.value.code(), error.value.details()))
    assert refusals == [
        (grpc.StatusCode.INVALID_ARGUMENT, "url: must start with https://"),
        (
            grpc.StatusCode.INVALID_ARGUMENT,
            "events: unknown x.y; choose from generation.completed, generation.failed, image.visibility_changed",
        ),
    ]

    listed = (await webhooks.ListEndpoints(webhooks_pb2.ListEndpointsRequest(owner_id="alice"))).endpoints
    assert [e.endpoint_id for e in listed] == [every.endpoint.endpoint_id, endpoint.endpoint_id]  # newest first
    assert not (await webhooks.ListEndpoints(webhooks_pb2.ListEndpointsRequest(owner_id="bob"))).endpoints
    for call in (
        webhooks.DeleteEndpoint(webhooks_pb2.DeleteEndpointRequest(owner_id="bob", endpoint_id=endpoint.endpoint_id)),
        webhooks.ListDeliveries(webhooks_pb2.ListDeliveriesRequest(owner_id="bob", endpoint_id=endpoint.endpoint_id)),
        webhooks.DeleteEndpoint(webhooks_pb2.DeleteEndpointRequest(owner_id="alice", endpoint_id=str(uuid.uuid4()))),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call
        assert (error.value.code(), error.value.details()) == (grpc.StatusCode.NOT_FOUND, "webhook endpoint not found")
    log = await webhooks.ListDeliveries(
        webhooks_pb2.ListDeliveriesRequest(owner_id="alice", endpoint_id=endpoint.endpoint_id)
    )
    assert list(log.deliveries) == []
    await webhooks.DeleteEndpoint(
        webhooks_pb2.DeleteEndpointRequest(owner_id="alice", endpoint_id=endpoint.endpoint_id)
    )
    listed = (await webhooks.ListEndpoints(webhooks_pb2.ListEndpointsRequest(owner_id="alice"))).endpoints
    assert [e.endpoint_id for e in listed] == [every.endpoint.endpoint_id]

    # Tied to a key (the gateway checked it is the owner's): echoed, and deleted with the key.
    key_id = str(uuid.uuid4())
    for owner in ("alice", "bob"):
        tied = await webhooks.CreateEndpoint(
            webhooks_pb2.CreateEndpointRequest(owner_id=owner, url="https://93.184.215.14/k", api_key_id=key_id)
        )
        assert tied.endpoint.api_key_id == key_id
    assert every.endpoint.api_key_id == ""
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await webhooks.CreateEndpoint(
            webhooks_pb2.CreateEndpointRequest(owner_id="alice", url="https://93.184.215.14/k", api_key_id="k")
        )
    assert (error.value.code(), error.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "api_key_id: not a UUID")
    gone = await webhooks.DeleteKeyEndpoints(
        webhooks_pb2.DeleteKeyEndpointsRequest(owner_id="alice", api_key_id=key_id)
    )
    assert gone.deleted == 1
    listed = (await webhooks.ListEndpoints(webhooks_pb2.ListEndpointsRequest(owner_id="alice"))).endpoints
    assert [e.endpoint_id for e in listed] == [every.endpoint.endpoint_id]
    assert len((await webhooks.ListEndpoints(webhooks_pb2.ListEndpointsRequest(owner_id="bob"))).endpoints) == 1

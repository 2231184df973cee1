"""The visibility authority as a real process against real Postgres and NATS JetStream.

Billing is a different service built in parallel; here its answer comes from a small in-process
BillingService (grpc.aio, on the stack's billing port) whose accounts each test sets. It is a test
double for another service's reply only: everything of the visibility service itself is real.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import grpc
import httpx
import nats
import psycopg
import pytest

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.billing.v1 import events_pb2 as billing_events
from atelier.common.v1.visibility_pb2 import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC, VISIBILITY_TEAM
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2, visibility_pb2, visibility_pb2_grpc
from contracts import billing as billing_contract
from contracts import generation
from glue.events import ensure_streams, make_envelope
from tests.support.events import stream_events, stream_messages
from tests.support.identity import add_port_as
from tests.support.services import Infra, ServiceStack
from tools.devstack import free_port

pytestmark = pytest.mark.integration

NEEDS_PLAN = "Private images need the Plus plan or higher."
PLAN_LAPSED = (
    "Your Plus plan has ended: your private images stay private, but changing visibility needs an "
    "active Plus plan or higher."
)
STAYS_PUBLIC = "This image was made on a plan without privacy and stays public."

PAID = ["download_png", "upscale", "delete_generation"]
FREE = billing_pb2.Account(plan="free", status=billing_pb2.SUBSCRIPTION_STATUS_NONE)
BASIC = billing_pb2.Account(plan="basic", entitlements=PAID, status=billing_pb2.SUBSCRIPTION_STATUS_ACTIVE)
PLUS = billing_pb2.Account(
    plan="plus", entitlements=[*PAID, "private_generation"], status=billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
)
LAPSED = billing_pb2.Account(plan="free", status=billing_pb2.SUBSCRIPTION_STATUS_LAPSED, lapsed_plan="plus")


class FakeBilling(billing_pb2_grpc.BillingServiceServicer):
    """Answers GetAccount from a dict; unknown users are on the free plan, as billing's contract says."""

    def __init__(self) -> None:
        self.accounts: dict[str, billing_pb2.Account] = {}
        self.calls = 0

    async def GetAccount(self, request, context):
        self.calls += 1
        account = billing_pb2.Account()
        account.CopyFrom(self.accounts.get(request.user_id, FREE))
        account.user_id = request.user_id
        return billing_pb2.GetAccountResponse(account=account)


@pytest.fixture
def stack(postgres_url, own_nats, tmp_path) -> Iterator[ServiceStack]:
    # The visibility service needs neither the object store nor Triton.
    infra = Infra.without_media(postgres_url, own_nats.url)
    services = ServiceStack(infra, tmp_path / "logs")
    try:
        yield services
    finally:
        services.stop_all()


class BillingDouble:
    def __init__(self, address: str):
        self.fake = FakeBilling()
        self.server = grpc.aio.server()
        billing_pb2_grpc.add_BillingServiceServicer_to_server(self.fake, self.server)
        assert add_port_as(self.server, address, "billing") != 0
        self.accounts = self.fake.accounts

    async def stop(self) -> None:
        await self.server.stop(0)


@pytest.fixture
async def billing(stack) -> AsyncIterator[BillingDouble]:
    double = BillingDouble(stack.billing_addr)
    await double.server.start()
    yield double
    await double.stop()


@pytest.fixture
async def start_visibility(stack):
    """Starts the service (real subprocess) with extra ATELIER_* settings; returns a client."""
    opened: list[grpc.aio.Channel] = []

    async def start(**env: str) -> visibility_pb2_grpc.VisibilityServiceStub:
        stack.start_visibility(**env)
        channel = stack.channel("visibility")
        opened.append(channel)
        return visibility_pb2_grpc.VisibilityServiceStub(channel)

    yield start
    for channel in opened:
        await channel.close()


@pytest.fixture
async def vis(start_visibility, billing) -> visibility_pb2_grpc.VisibilityServiceStub:
    return await start_visibility()


async def register(vis, owner: str, count: int = 2, visibility=VISIBILITY_PUBLIC, made_with=True) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in range(count)]
    reply = await vis.RegisterImages(
        visibility_pb2.RegisterImagesRequest(
            owner_id=owner,
            generation_id=str(uuid.uuid4()),
            image_ids=ids,
            visibility=visibility,
            made_with_privacy_entitlement=made_with,
        )
    )
    assert [i.image_id for i in reply.images] == ids and all(i.version == 1 for i in reply.images)
    return ids


async def allowed(vis, viewer: str, ids: list[str]) -> set[str]:
    reply = await vis.Authorize(visibility_pb2.AuthorizeRequest(viewer_id=viewer, image_ids=ids))
    return set(reply.allowed_image_ids)


async def state(vis, owner: str, image_id: str) -> visibility_pb2.ImageVisibility | None:
    reply = await vis.BatchGetVisibility(visibility_pb2.BatchGetVisibilityRequest(owner_id=owner, image_ids=[image_id]))
    return reply.images[0] if reply.images else None


async def set_visibility(vis, actor: str, image_id: str, visibility) -> visibility_pb2.ImageVisibility:
    reply = await vis.SetVisibility(
        visibility_pb2.SetVisibilityRequest(actor_id=actor, image_id=image_id, visibility=visibility)
    )
    return reply.image


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def publish(nats_url: str, subject: str, event) -> None:
    nc = await nats.connect(nats_url)
    try:
        await ensure_streams(nc.jetstream(), [generation.STREAM_SPEC])  # as the generation service would
        envelope = make_envelope(event, {})
        await nc.jetstream().publish(subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.event_id})
    finally:
        await nc.close()


async def consumed(nats_url: str, durable: str, timeout: float = 30.0, stream: str = "GENERATION") -> None:
    """Waits until the durable consumer has handled (acked or dead-lettered) everything in its stream."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                info = await js.consumer_info(stream, durable)
                if info.num_pending == 0 and info.num_ack_pending == 0 and info.num_redelivered == 0:
                    return
            except nats.js.errors.NotFoundError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"{durable} did not catch up in {timeout} s")
    finally:
        await nc.close()


async def changed_events(nats_url: str, image_id: str, expected: int, timeout: float = 30.0) -> dict[str, list]:
    """Every VisibilityChanged in the stream by image id, once `image_id` has `expected` of them.
    The relay publishes the outbox in commit order, so every change committed before that
    image's last one is in the stream too."""
    deadline = time.monotonic() + timeout
    while True:
        by_image: dict[str, list] = {}
        for event in await stream_events(
            nats_url, "VISIBILITY", "atelier.visibility.changed", events_pb2.VisibilityChanged
        ):
            by_image.setdefault(event.image_id, []).append(event)
        if len(by_image.get(image_id, [])) >= expected or time.monotonic() > deadline:
            return by_image
        await asyncio.sleep(0.2)


def images_ready(owner: str, ids: list[str], visibility=VISIBILITY_PUBLIC, generation_id: str | None = None):
    return generation_events.ImagesReady(
        generation_id=generation_id or str(uuid.uuid4()),
        owner_id=owner,
        visibility=visibility,
        visibility_version=1,
        prompt="a red circle",
        images=[generation_events.ReadyImage(image_id=i, object_key=f"k/{i}") for i in ids],
    )


async def test_owners_see_their_images_and_others_only_the_public_ones(stack, start_visibility, billing):
    metrics_port = free_port()
    vis = await start_visibility(ATELIER_METRICS_PORT=str(metrics_port))
    public = await register(vis, "alice", 2, VISIBILITY_PUBLIC)
    private = await register(vis, "alice", 2, VISIBILITY_PRIVATE)
    unknown = str(uuid.uuid4())
    asked = [*public, *private, unknown, "not-a-uuid"]

    assert await allowed(vis, "alice", asked) == {*public, *private}
    assert await allowed(vis, "bob", asked) == set(public)
    assert await allowed(vis, "", asked) == set(public)
    assert await allowed(vis, "bob", []) == set()
    # The answer uses the caller's spelling of each id.
    assert await allowed(vis, "alice", [private[0].upper()]) == {private[0].upper()}

    # Registering again (a retried worker) keeps visibility and versions.
    billing.accounts["alice"] = PLUS
    await set_visibility(vis, "alice", public[0], VISIBILITY_PRIVATE)
    again = await vis.RegisterImages(
        visibility_pb2.RegisterImagesRequest(
            owner_id="alice",
            generation_id=str(uuid.uuid4()),
            image_ids=public,
            visibility=VISIBILITY_PUBLIC,
            made_with_privacy_entitlement=True,
        )
    )
    assert [(i.visibility, i.version) for i in again.images] == [(VISIBILITY_PRIVATE, 2), (VISIBILITY_PUBLIC, 1)]
    assert await allowed(vis, "bob", public) == {public[1]}
    # Another owner cannot claim the images.
    conflict = await refused(
        vis.RegisterImages(
            visibility_pb2.RegisterImagesRequest(owner_id="mallory", image_ids=public, visibility=VISIBILITY_PUBLIC)
        )
    )
    assert conflict.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert await allowed(vis, "mallory", public) == {public[1]}

    # The owner's view of the authority; nobody else gets anything from it.
    owned = await vis.BatchGetVisibility(visibility_pb2.BatchGetVisibilityRequest(owner_id="alice", image_ids=asked))
    assert {i.image_id: i.visibility for i in owned.images} == {
        public[0]: VISIBILITY_PRIVATE,
        public[1]: VISIBILITY_PUBLIC,
        private[0]: VISIBILITY_PRIVATE,
        private[1]: VISIBILITY_PRIVATE,
    }
    others = await vis.BatchGetVisibility(visibility_pb2.BatchGetVisibilityRequest(owner_id="bob", image_ids=asked))
    assert list(others.images) == []

    for bad in (
        visibility_pb2.RegisterImagesRequest(image_ids=public, visibility=VISIBILITY_PUBLIC),
        visibility_pb2.RegisterImagesRequest(owner_id="alice", image_ids=["x"], visibility=VISIBILITY_PUBLIC),
        visibility_pb2.RegisterImagesRequest(owner_id="alice", image_ids=public),
    ):
        assert (await refused(vis.RegisterImages(bad))).code() == grpc.StatusCode.INVALID_ARGUMENT

    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    assert "atelier_visibility_authorize_calls_total 7.0" in metrics
    assert 'atelier_visibility_changes_total{visibility="private"} 1.0' in metrics
    assert "atelier_visibility_authorize_denied_total" in metrics


async def test_no_request_after_make_private_returns_sees_the_image(stack, vis, billing):
    """P2, new enemy: 200 times public → private while another client reads all the time; a read
    that starts after SetVisibility(private) returned (and before the next make-public starts)
    never gets the image. Versions rise by one per change, and so do the events."""
    billing.accounts["alice"] = PLUS
    (image,) = await register(vis, "alice", 1, VISIBILITY_PRIVATE, made_with=False)
    shared = {"epoch": 0, "private": False}
    checked = asyncio.Event()
    violations: list[int] = []
    reads_while_private = 0
    done = False

    async def reader() -> None:
        nonlocal reads_while_private
        async with stack.channel("visibility") as channel:
            other = visibility_pb2_grpc.VisibilityServiceStub(channel)
            while not done:
                epoch, private = shared["epoch"], shared["private"]
                seen = image in await allowed(other, "bob", [image])
                if private and shared["epoch"] == epoch:
                    reads_while_private += 1
                    if seen:
                        violations.append(epoch)
                    checked.set()

    reading = asyncio.create_task(reader())
    versions = []
    try:
        for _ in range(200):
            shared["epoch"] += 1
            shared["private"] = False
            versions.append((await set_visibility(vis, "alice", image, VISIBILITY_PUBLIC)).version)
            versions.append((await set_visibility(vis, "alice", image, VISIBILITY_PRIVATE)).version)
            shared["private"] = True
            checked.clear()
            assert image not in await allowed(vis, "bob", [image])
            assert image in await allowed(vis, "alice", [image])
            await asyncio.wait_for(checked.wait(), 10)  # the other client has read at least once
    finally:
        done = True
        await reading

    assert violations == []
    assert reads_while_private >= 200
    assert versions == list(range(2, 402))
    events = (await changed_events(stack.infra.nats_url, image, 400))[image]
    assert [e.version for e in events] == list(range(2, 402))
    assert [e.visibility for e in events] == [VISIBILITY_PUBLIC, VISIBILITY_PRIVATE] * 200
    assert all(e.owner_id == "alice" for e in events)


async def test_late_and_repeated_images_ready_never_make_a_private_image_public(stack, vis, billing):
    nats_url = stack.infra.nats_url
    billing.accounts["alice"] = PLUS
    # Fallback: images the worker never registered become known from ImagesReady.
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    ready = images_ready("alice", ids)
    await publish(nats_url, "atelier.generation.images_ready", ready)
    await consumed(nats_url, "visibility-images-ready")
    assert await allowed(vis, "bob", ids) == set(ids)

    made_private = await set_visibility(vis, "alice", ids[0], VISIBILITY_PRIVATE)
    assert made_private.version == 2
    # The same event again (redelivery, a replayed stream) and a copy with a new event id.
    await publish(nats_url, "atelier.generation.images_ready", ready)
    await publish(nats_url, "atelier.generation.images_ready", images_ready("alice", ids))
    # An ImagesReady that arrives after the RegisterImages call and a toggle.
    (registered,) = await register(vis, "alice", 1, VISIBILITY_PUBLIC)
    await set_visibility(vis, "alice", registered, VISIBILITY_PRIVATE)
    await publish(nats_url, "atelier.generation.images_ready", images_ready("alice", [registered]))
    # A private generation known only from the event stays private.
    (private_only,) = [str(uuid.uuid4())]
    await publish(
        nats_url, "atelier.generation.images_ready", images_ready("alice", [private_only], VISIBILITY_PRIVATE)
    )
    # Poison: a malformed id goes to the dead letters and does not hold up the rest.
    await publish(nats_url, "atelier.generation.images_ready", images_ready("alice", ["not-a-uuid"]))
    await consumed(nats_url, "visibility-images-ready")

    assert await allowed(vis, "bob", [*ids, registered, private_only]) == {ids[1]}
    assert await allowed(vis, "alice", [*ids, registered, private_only]) == {*ids, registered, private_only}
    for image_id in (ids[0], registered):
        current = await state(vis, "alice", image_id)
        assert (current.visibility, current.version) == (VISIBILITY_PRIVATE, 2)
    dead = await stream_messages(nats_url, "DEADLETTER", "atelier.deadletter.visibility-images-ready")
    assert len(dead) == 1

    # ImageDeleted: gone for everyone; a later ImagesReady does not bring it back; and a deletion
    # that overtakes its ImagesReady leaves a tombstone the ImagesReady cannot revive.
    early = str(uuid.uuid4())
    await publish(
        nats_url,
        "atelier.generation.image_deleted",
        generation_events.ImageDeleted(owner_id="alice", image_ids=[ids[1], early]),
    )
    await consumed(nats_url, "visibility-image-deleted")
    await publish(nats_url, "atelier.generation.images_ready", images_ready("alice", [ids[1]]))
    await publish(nats_url, "atelier.generation.images_ready", images_ready("alice", [early]))
    await consumed(nats_url, "visibility-images-ready")
    assert await allowed(vis, "alice", [ids[1], early]) == set()
    assert await allowed(vis, "bob", [ids[1], early]) == set()
    # Only the toggles above produced events; registrations and replays produce none.
    events = await changed_events(nats_url, registered, 1)
    assert {image_id: len(found) for image_id, found in events.items()} == {ids[0]: 1, registered: 1}


async def test_plans_refuse_changes_with_the_reason(stack, vis, billing):
    billing.accounts.update({"bea": BASIC, "lea": PLUS, "pat": PLUS})
    (free_image,) = await register(vis, "fred", 1, VISIBILITY_PUBLIC, made_with=False)
    basic_image, basic_image_2 = await register(vis, "bea", 2, VISIBILITY_PUBLIC, made_with=False)
    (lea_private,) = await register(vis, "lea", 1, VISIBILITY_PRIVATE)
    (lea_public,) = await register(vis, "lea", 1, VISIBILITY_PUBLIC)
    unchanged = await set_visibility(vis, "lea", lea_public, VISIBILITY_PUBLIC)  # already public
    assert (unchanged.visibility, unchanged.version) == (VISIBILITY_PUBLIC, 1)

    free = await refused(set_visibility(vis, "fred", free_image, VISIBILITY_PRIVATE))
    assert (free.code(), free.details()) == (grpc.StatusCode.PERMISSION_DENIED, NEEDS_PLAN)
    basic = await refused(set_visibility(vis, "bea", basic_image, VISIBILITY_PRIVATE))
    assert (basic.code(), basic.details()) == (grpc.StatusCode.PERMISSION_DENIED, NEEDS_PLAN)
    bulk = await vis.BatchSetVisibility(
        visibility_pb2.BatchSetVisibilityRequest(
            actor_id="bea", image_ids=[basic_image, basic_image_2], visibility=VISIBILITY_PRIVATE
        )
    )
    assert {(r.image_id, r.reason) for r in bulk.refused} == {(basic_image, NEEDS_PLAN), (basic_image_2, NEEDS_PLAN)}
    assert list(bulk.updated) == []

    # P4: Lea's plan lapses. Her private image stays private and hers; changes are refused.
    billing.accounts["lea"] = LAPSED
    lapsed = await refused(set_visibility(vis, "lea", lea_private, VISIBILITY_PUBLIC))
    assert (lapsed.code(), lapsed.details()) == (grpc.StatusCode.PERMISSION_DENIED, PLAN_LAPSED)
    lapsed_private = await refused(set_visibility(vis, "lea", lea_public, VISIBILITY_PRIVATE))
    assert lapsed_private.details() == PLAN_LAPSED
    assert await allowed(vis, "lea", [lea_private, lea_public]) == {lea_private, lea_public}
    assert await allowed(vis, "bob", [lea_private, lea_public]) == {lea_public}
    assert await allowed(vis, "", [lea_private]) == set()
    assert (await state(vis, "lea", lea_private)).visibility == VISIBILITY_PRIVATE
    # Asking for what an image already is changes nothing and needs no plan.
    same = await set_visibility(vis, "lea", lea_private, VISIBILITY_PRIVATE)
    assert (same.visibility, same.version) == (VISIBILITY_PRIVATE, 1)

    # Retroactive privacy is on by default: a paid user may hide an image made on the free plan.
    billing.accounts["bea"] = PLUS
    hidden = await set_visibility(vis, "bea", basic_image, VISIBILITY_PRIVATE)
    assert (hidden.visibility, hidden.version, hidden.made_with_privacy_entitlement) == (VISIBILITY_PRIVATE, 2, False)
    assert await allowed(vis, "bob", [basic_image]) == set()

    # Bulk: per-image answers; foreign, unknown and malformed ids are "not found", never a reason.
    (pat_public,) = await register(vis, "pat", 1, VISIBILITY_PUBLIC)
    (pat_private,) = await register(vis, "pat", 1, VISIBILITY_PRIVATE)
    unknown = str(uuid.uuid4())
    bulk = await vis.BatchSetVisibility(
        visibility_pb2.BatchSetVisibilityRequest(
            actor_id="pat",
            image_ids=[pat_public, pat_private, lea_public, unknown, "x", pat_public],
            visibility=VISIBILITY_PRIVATE,
        )
    )
    assert {(i.image_id, i.visibility, i.version) for i in bulk.updated} == {
        (pat_public, VISIBILITY_PRIVATE, 2),
        (pat_private, VISIBILITY_PRIVATE, 1),
    }
    assert {(r.image_id, r.reason) for r in bulk.refused} == {
        (lea_public, "image not found"),
        (unknown, "image not found"),
        ("x", "image not found"),
    }
    assert await allowed(vis, "bob", [pat_public, pat_private, lea_public]) == {lea_public}
    # Exactly the real changes produced events: none for no-ops or refusals.
    events = await changed_events(stack.infra.nats_url, pat_public, 1)
    assert {image_id: len(found) for image_id, found in events.items()} == {basic_image: 1, pat_public: 1}

    too_many = [str(uuid.uuid4()) for _ in range(501)]
    over = await refused(
        vis.BatchSetVisibility(
            visibility_pb2.BatchSetVisibilityRequest(actor_id="pat", image_ids=too_many, visibility=VISIBILITY_PRIVATE)
        )
    )
    assert over.code() == grpc.StatusCode.INVALID_ARGUMENT
    no_target = await refused(
        vis.SetVisibility(visibility_pb2.SetVisibilityRequest(actor_id="pat", image_id=pat_public))
    )
    assert no_target.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_with_retroactive_privacy_off_images_made_without_privacy_stay_public(stack, start_visibility, billing):
    vis = await start_visibility(ATELIER_RETROACTIVE_PRIVACY="false")
    billing.accounts["alice"] = PLUS
    (made_on_free,) = await register(vis, "alice", 1, VISIBILITY_PUBLIC, made_with=False)
    (made_on_plus,) = await register(vis, "alice", 1, VISIBILITY_PUBLIC, made_with=True)

    stays = await refused(set_visibility(vis, "alice", made_on_free, VISIBILITY_PRIVATE))
    assert (stays.code(), stays.details()) == (grpc.StatusCode.PERMISSION_DENIED, STAYS_PUBLIC)
    assert (await set_visibility(vis, "alice", made_on_plus, VISIBILITY_PRIVATE)).version == 2
    bulk = await vis.BatchSetVisibility(
        visibility_pb2.BatchSetVisibilityRequest(
            actor_id="alice", image_ids=[made_on_free, made_on_plus], visibility=VISIBILITY_PRIVATE
        )
    )
    assert [(r.image_id, r.reason) for r in bulk.refused] == [(made_on_free, STAYS_PUBLIC)]
    assert [i.image_id for i in bulk.updated] == [made_on_plus]
    assert await allowed(vis, "bob", [made_on_free, made_on_plus]) == {made_on_free}

    # An image first known from ImagesReady (which does not say the plan) is taken as made
    # without privacy; the worker's RegisterImages, which knows, can raise that, never lower it.
    (late,) = [str(uuid.uuid4())]
    await publish(stack.infra.nats_url, "atelier.generation.images_ready", images_ready("alice", [late]))
    await consumed(stack.infra.nats_url, "visibility-images-ready")
    assert (await refused(set_visibility(vis, "alice", late, VISIBILITY_PRIVATE))).details() == STAYS_PUBLIC
    await vis.RegisterImages(
        visibility_pb2.RegisterImagesRequest(
            owner_id="alice", image_ids=[late], visibility=VISIBILITY_PUBLIC, made_with_privacy_entitlement=True
        )
    )
    await vis.RegisterImages(
        visibility_pb2.RegisterImagesRequest(
            owner_id="alice",
            image_ids=[late, made_on_plus],
            visibility=VISIBILITY_PUBLIC,
            made_with_privacy_entitlement=False,
        )
    )
    assert (await set_visibility(vis, "alice", late, VISIBILITY_PRIVATE)).version == 2
    assert (await state(vis, "alice", made_on_plus)).made_with_privacy_entitlement


async def test_billing_unreachable_refuses_every_change_and_changes_nothing(stack, vis, billing):
    billing.accounts["alice"] = PLUS
    public, private = await register(vis, "alice", 2, VISIBILITY_PUBLIC)
    await set_visibility(vis, "alice", private, VISIBILITY_PRIVATE)
    await billing.stop()

    down = await refused(set_visibility(vis, "alice", public, VISIBILITY_PRIVATE))
    assert down.code() == grpc.StatusCode.UNAVAILABLE and "not changed" in down.details()
    down = await refused(set_visibility(vis, "alice", private, VISIBILITY_PUBLIC))
    assert down.code() == grpc.StatusCode.UNAVAILABLE
    bulk = await refused(
        vis.BatchSetVisibility(
            visibility_pb2.BatchSetVisibilityRequest(
                actor_id="alice", image_ids=[public, private], visibility=VISIBILITY_PUBLIC
            )
        )
    )
    assert bulk.code() == grpc.StatusCode.UNAVAILABLE

    assert (await state(vis, "alice", public)).version == 1
    assert ((await state(vis, "alice", private)).visibility, (await state(vis, "alice", private)).version) == (
        VISIBILITY_PRIVATE,
        2,
    )
    assert await allowed(vis, "bob", [public, private]) == {public}  # reads need no billing
    with psycopg.connect(stack.infra.database_url) as conn:
        assert conn.execute("SELECT count(*) FROM visibility.outbox").fetchone()[0] == 1


async def test_unknown_deleted_and_other_peoples_images_are_indistinguishable(stack, vis, billing):
    billing.accounts.update({"alice": PLUS, "mallory": PLUS})
    mine, to_delete = await register(vis, "alice", 2, VISIBILITY_PUBLIC)
    (theirs,) = await register(vis, "bob", 1, VISIBILITY_PUBLIC)

    # MarkDeleted: only the owner's images, idempotent, and from its return Authorize denies them
    # to everyone, the owner included.
    foreign = await vis.MarkDeleted(visibility_pb2.MarkDeletedRequest(actor_id="mallory", image_ids=[to_delete]))
    assert list(foreign.deleted_image_ids) == []
    assert await allowed(vis, "bob", [to_delete]) == {to_delete}
    for _ in range(2):
        reply = await vis.MarkDeleted(
            visibility_pb2.MarkDeletedRequest(actor_id="alice", image_ids=[to_delete, theirs])
        )
        assert list(reply.deleted_image_ids) == [to_delete]
        assert await allowed(vis, "alice", [to_delete]) == set()
        assert await allowed(vis, "bob", [to_delete]) == set()
    assert await state(vis, "alice", to_delete) is None
    assert await allowed(vis, "bob", [theirs, mine]) == {theirs, mine}

    answers = set()
    for actor, image_id in (
        ("mallory", mine),
        ("alice", str(uuid.uuid4())),
        ("alice", to_delete),
        ("alice", theirs),
        ("alice", "not-a-uuid"),
    ):
        for target in (VISIBILITY_PRIVATE, VISIBILITY_PUBLIC):
            error = await refused(set_visibility(vis, actor, image_id, target))
            answers.add((error.code(), error.details()))
    assert answers == {(grpc.StatusCode.NOT_FOUND, "image not found")}
    assert (await state(vis, "alice", mine)).version == 1

    too_many = [str(uuid.uuid4()) for _ in range(501)]
    for call in (
        vis.Authorize(visibility_pb2.AuthorizeRequest(viewer_id="alice", image_ids=too_many)),
        vis.BatchGetVisibility(visibility_pb2.BatchGetVisibilityRequest(owner_id="alice", image_ids=too_many)),
        vis.MarkDeleted(visibility_pb2.MarkDeletedRequest(actor_id="alice", image_ids=too_many)),
    ):
        error = await refused(call)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "at most 500" in error.details()
    assert len(await allowed(vis, "alice", [mine, *too_many[:499]])) == 1


TEAM_PLAN = billing_pb2.Account(
    plan="team", entitlements=[*PAID, "private_generation", "teams"], status=billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
)


async def plan_changed(nats_url: str, user_id: str, version: int, account: billing_pb2.Account) -> None:
    """Billing's PlanChanged, as billing publishes it on its own stream."""
    event = billing_events.PlanChanged(
        user_id=user_id,
        plan=account.plan,
        entitlements=list(account.entitlements),
        status=account.status,
        version=version,
    )
    nc = await nats.connect(nats_url)
    try:
        await ensure_streams(nc.jetstream(), [billing_contract.STREAM_SPEC])
        envelope = make_envelope(event, {})
        await nc.jetstream().publish(
            billing_contract.PLAN_CHANGED, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.event_id}
        )
    finally:
        await nc.close()


async def test_images_are_born_in_a_team_for_members_only_and_a_lapse_makes_them_private(stack, vis, billing):
    billing.accounts.update({"olga": TEAM_PLAN, "mia": PLUS, "max": PLUS})
    team_id = (await vis.CreateTeam(visibility_pb2.CreateTeamRequest(actor_id="olga", name="crew"))).team.team_id
    await vis.InviteToTeam(visibility_pb2.InviteToTeamRequest(actor_id="olga", team_id=team_id, invitee_id="mia"))
    await vis.AnswerTeamInvite(visibility_pb2.AnswerTeamInviteRequest(actor_id="mia", team_id=team_id, accept=True))

    async def born(owner: str) -> visibility_pb2.ImageVisibility:
        reply = await vis.RegisterImages(
            visibility_pb2.RegisterImagesRequest(
                owner_id=owner,
                generation_id=str(uuid.uuid4()),
                image_ids=[str(uuid.uuid4())],
                visibility=VISIBILITY_TEAM,
                made_with_privacy_entitlement=True,
                team_id=team_id,
            )
        )
        return reply.images[0]

    theirs, ours = await born("mia"), await born("olga")
    assert (theirs.visibility, theirs.team_id, theirs.version) == (VISIBILITY_TEAM, team_id, 1)
    assert await allowed(vis, "olga", [theirs.image_id]) == {theirs.image_id}
    assert await allowed(vis, "max", [theirs.image_id, ours.image_id]) == set()
    # Not a member: born private to its owner, never in the team (nor public).
    stranger = await born("max")
    assert (stranger.visibility, stranger.team_id) == (VISIBILITY_PRIVATE, "")
    assert await allowed(vis, "olga", [stranger.image_id]) == set()

    # Olga's Team plan ends (billing's PlanChanged, version 3): the team lapses, its images turn
    # private to their makers, each with a VisibilityChanged at version 2.
    await plan_changed(stack.infra.nats_url, "olga", 3, LAPSED)
    for _ in range(300):
        if not await allowed(vis, "olga", [theirs.image_id]):
            break
        await asyncio.sleep(0.1)
    assert await allowed(vis, "olga", [theirs.image_id, ours.image_id]) == {ours.image_id}
    assert await allowed(vis, "mia", [theirs.image_id, ours.image_id]) == {theirs.image_id}
    for image in (theirs, ours):
        events = (await changed_events(stack.infra.nats_url, image.image_id, 1))[image.image_id]
        assert [(e.visibility, e.version) for e in events] == [(VISIBILITY_PRIVATE, 2)]
    lapsed = await refused(
        vis.SetVisibility(
            visibility_pb2.SetVisibilityRequest(
                actor_id="mia", image_id=theirs.image_id, visibility=VISIBILITY_TEAM, team_id=team_id
            )
        )
    )
    assert lapsed.code() == grpc.StatusCode.PERMISSION_DENIED and "plan has ended" in lapsed.details()
    assert (await born("mia")).visibility == VISIBILITY_PRIVATE  # nothing is born in a lapsed team

    # An older event (version 2, still active) arriving late changes nothing; a newer one
    # reinstates the team, whose images stay private until shared again.
    await plan_changed(stack.infra.nats_url, "olga", 2, TEAM_PLAN)
    await consumed(stack.infra.nats_url, "visibility-plan-changed", stream=billing_contract.STREAM)
    assert (await born("mia")).visibility == VISIBILITY_PRIVATE
    await plan_changed(stack.infra.nats_url, "olga", 4, TEAM_PLAN)
    await consumed(stack.infra.nats_url, "visibility-plan-changed", stream=billing_contract.STREAM)
    newest = await born("mia")
    assert newest.visibility == VISIBILITY_TEAM
    assert (await state(vis, "mia", theirs.image_id)).visibility == VISIBILITY_PRIVATE

    # Deleted by its owner (a member may not): its images turn private to their makers at once.
    delete = visibility_pb2.DeleteTeamRequest(actor_id="mia", team_id=team_id)
    assert (await refused(vis.DeleteTeam(delete))).code() == grpc.StatusCode.PERMISSION_DENIED
    deleted = await vis.DeleteTeam(visibility_pb2.DeleteTeamRequest(actor_id="olga", team_id=team_id))
    assert list(deleted.privatized_image_ids) == [newest.image_id]
    assert await allowed(vis, "olga", [newest.image_id]) == set()
    assert (await state(vis, "mia", newest.image_id)).visibility == VISIBILITY_PRIVATE
    assert not (await vis.ListTeams(visibility_pb2.ListTeamsRequest(user_id="mia"))).teams
    assert (await born("mia")).visibility == VISIBILITY_PRIVATE  # no team to be born in

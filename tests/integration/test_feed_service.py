"""The feed service as a real process on real Postgres and NATS JetStream: its projection converges
under shuffled and duplicated events, every page is checked against the visibility authority (P1),
so a private toggle or a stale projection never shows an image to anyone else, and the social
actions (likes, pins, reports) respect the same rule.

The visibility authority here is an in-process fake VisibilityService whose answers each test
controls (the real one is exercised in tests of its own); it plays the part of the authority the
moment SetVisibility has returned, before any event reached the feed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import nats
import psycopg
import pytest

from atelier.common.v1 import visibility_pb2 as common_pb2
from atelier.feed.v1 import feed_pb2 as pb
from atelier.feed.v1 import feed_pb2_grpc
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier.visibility.v1 import events_pb2 as visibility_events
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from contracts import generation as generation_contract
from contracts import visibility as visibility_contract
from glue.events import ensure_streams, make_envelope
from services.feed import cursors
from tests.support.identity import add_port_as
from tests.support.services import Infra, ServiceStack
from tools.devstack import free_port

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
IMAGES_READY = "atelier.generation.images_ready"
IMAGE_DELETED = "atelier.generation.image_deleted"
VISIBILITY_CHANGED = "atelier.visibility.changed"
DURABLES = [
    ("GENERATION", "feed-images-ready"),
    ("GENERATION", "feed-image-deleted"),
    ("VISIBILITY", "feed-visibility-changed"),
]
PUBLIC, PRIVATE = common_pb2.VISIBILITY_PUBLIC, common_pb2.VISIBILITY_PRIVATE
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------- the fake authority


@dataclass
class Known:
    owner_id: str
    public: bool
    deleted: bool = False


class FakeAuthority(visibility_pb2_grpc.VisibilityServiceServicer):
    """Authorize as the real authority answers it: owners see their own images, others public
    ones, nobody deleted or unknown ones. `allow_all` lets a test see the projection unfiltered;
    `down` makes every call fail."""

    def __init__(self) -> None:
        self.images: dict[str, Known] = {}
        self.allow_all = False
        self.down = False
        self.calls = 0

    def set(self, image_id: str, owner_id: str, public: bool = True, deleted: bool = False) -> None:
        self.images[image_id] = Known(owner_id, public, deleted)

    def may_see(self, viewer_id: str, image_id: str) -> bool:
        known = self.images.get(image_id)
        if known is None or known.deleted:
            return False
        return known.public or (bool(viewer_id) and viewer_id == known.owner_id)

    async def Authorize(self, request, context):
        self.calls += 1
        if self.down:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "authority down")
        assert len(request.image_ids) <= 500
        allowed = [i for i in request.image_ids if self.allow_all or self.may_see(request.viewer_id, i)]
        return visibility_pb2.AuthorizeResponse(allowed_image_ids=allowed)


class FakeGeneration(generation_pb2_grpc.GenerationServiceServicer):
    """BatchGetImages as the real generation service answers it: only images the authority lets
    the viewer see now, with their prompts (`prompts`, image id → prompt)."""

    def __init__(self, authority: FakeAuthority) -> None:
        self.authority = authority
        self.prompts: dict[str, str] = {}

    async def BatchGetImages(self, request, context):
        shown = [i for i in request.image_ids if i in self.prompts and self.authority.may_see(request.viewer_id, i)]
        return generation_pb2.BatchGetImagesResponse(
            images=[generation_pb2.Image(image_id=i, prompt=self.prompts[i]) for i in shown]
        )


@pytest.fixture
async def authority() -> AsyncIterator[tuple[FakeAuthority, str]]:
    """The fake authority, and beside it the generation service the feed asks for the prompts of
    images made public (`fake.generation`, listening at `fake.generation_address`); each listens as
    the service it stands for."""
    fake = FakeAuthority()
    fake.generation = FakeGeneration(fake)
    server = grpc.aio.server()
    visibility_pb2_grpc.add_VisibilityServiceServicer_to_server(fake, server)
    address = f"127.0.0.1:{free_port()}"
    add_port_as(server, address, "visibility")
    generation_server = grpc.aio.server()
    generation_pb2_grpc.add_GenerationServiceServicer_to_server(fake.generation, generation_server)
    fake.generation_address = f"127.0.0.1:{free_port()}"
    add_port_as(generation_server, fake.generation_address, "generation-api")
    await server.start()
    await generation_server.start()
    fake.server = server
    yield fake, address
    await generation_server.stop(0)
    await server.stop(0)


# ---------------------------------------------------------------- servers and the feed process


@pytest.fixture
def infra(postgres_url, own_nats) -> Infra:
    # The feed needs no object store or Triton; their settings are never used.
    return Infra.without_media(postgres_url, own_nats.url)


@pytest.fixture
def stack(infra, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(infra, tmp_path / "logs", overrides={"ATELIER_FEED_REPORT_THRESHOLD": "3"})
    try:
        yield services
    finally:
        services.stop_all()


@pytest.fixture
async def feed(stack, authority) -> AsyncIterator[feed_pb2_grpc.FeedServiceStub]:
    fake, address = authority
    stack.start_feed(ATELIER_VISIBILITY_ADDR=address, ATELIER_GENERATION_ADDR=fake.generation_address)
    async with stack.channel("feed") as channel:
        yield feed_pb2_grpc.FeedServiceStub(channel)


@pytest.fixture
async def js(infra) -> AsyncIterator:
    """JetStream with the streams the tests publish to, as their owners (generation, visibility)
    create them: the feed reads them but never creates them."""
    nc = await nats.connect(infra.nats_url)
    await ensure_streams(nc.jetstream(), [generation_contract.STREAM_SPEC, visibility_contract.STREAM_SPEC])
    yield nc.jetstream()
    await nc.close()


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class Wire:
    subject: str
    data: bytes


def images_ready(owner: str, ids: list[str], prompt: str, visibility: int, at: datetime) -> Wire:
    event = generation_events.ImagesReady(
        generation_id=str(uuid.uuid4()),
        owner_id=owner,
        prompt=prompt,
        visibility=visibility,
        visibility_version=1,
        images=[generation_events.ReadyImage(image_id=i, object_key=f"k/{i}", width=512, height=512) for i in ids],
    )
    envelope = make_envelope(event, {})
    envelope.occurred_at.FromDatetime(at)
    return Wire(IMAGES_READY, envelope.SerializeToString())


def visibility_changed(image_id: str, owner: str, visibility: int, version: int) -> Wire:
    event = visibility_events.VisibilityChanged(
        image_id=image_id, owner_id=owner, visibility=visibility, version=version
    )
    return Wire(VISIBILITY_CHANGED, make_envelope(event, {}).SerializeToString())


def image_deleted(owner: str, ids: list[str]) -> Wire:
    event = generation_events.ImageDeleted(generation_id=str(uuid.uuid4()), owner_id=owner, image_ids=ids)
    return Wire(IMAGE_DELETED, make_envelope(event, {}).SerializeToString())


async def publish(js, *wires: Wire) -> None:
    """No Nats-Msg-Id: a repeated wire is a duplicate JetStream cannot drop (one published again
    after the dedup window), so the feed's own idempotency is what is tested."""
    for wire in wires:
        await js.publish(wire.subject, wire.data)


async def caught_up(js, timeout: float = 30.0) -> None:
    """Until the feed's three durable consumers have handled (acked) everything published."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            infos = [await js.consumer_info(stream, durable) for stream, durable in DURABLES]
            if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                return
        except nats.js.errors.NotFoundError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the feed's consumers did not catch up")


def new_ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def ids_of(items) -> list[str]:
    return [i.image_id for i in items]


async def walk(feed, page_size: int = 7, **request) -> list[str]:
    """Every page of a listing, following cursors."""
    seen, cursor = [], ""
    for _ in range(100):
        reply = await feed.ListFeed(pb.ListFeedRequest(page_size=page_size, cursor=cursor, **request))
        assert len(reply.items) <= page_size
        seen += ids_of(reply.items)
        cursor = reply.next_cursor
        if not cursor:
            return seen
    raise AssertionError("listing did not end")


async def everywhere(feed, viewer: str, owner: str, query: str) -> set[str]:
    """What the viewer gets from newest, top, search and the owner's profile."""
    found = set(await walk(feed, viewer_id=viewer, sort=pb.FEED_SORT_NEW))
    found |= set(await walk(feed, viewer_id=viewer, sort=pb.FEED_SORT_TOP))
    found |= set(await walk(feed, viewer_id=viewer, query=query))
    profile = await feed.GetProfile(pb.GetProfileRequest(owner_id=owner, viewer_id=viewer, page_size=100))
    return found | set(ids_of(profile.pinned)) | set(ids_of(profile.images))


def rows(database_url: str) -> dict[str, tuple]:
    with psycopg.connect(database_url) as conn:
        return {
            str(r[0]): tuple(r[1:])
            for r in conn.execute(
                "SELECT image_id, owner_id, prompt, width, height, created_at, visibility, version, deleted, known,"
                " hidden_by_reports, like_count FROM feed.images"
            )
        }


async def expect_code(code: grpc.StatusCode, call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    assert refused.value.code() == code, refused.value.details()
    return refused.value


# ---------------------------------------------------------------- a random world of images


@dataclass
class World:
    wires: list[Wire]
    public_at_end: dict[str, datetime]  # image id -> created_at of images that end listed
    final: dict[str, Known]
    prompts: dict[str, str]  # image id -> its prompt, as the generation service keeps it


def random_world(rng: random.Random, generations: int = 6) -> World:
    """Generations of 4 images by two owners, each image toggled a few times, some deleted."""
    wires, public_at_end, final, prompts = [], {}, {}, {}
    for g in range(generations):
        owner = ("alice", "bob")[g % 2]
        ids = new_ids(4)
        at = T0 + timedelta(minutes=g)
        first = rng.choice([PUBLIC, PRIVATE])
        # Private ones carry their prompt too, as ImagesReady did before it stopped: the feed drops it.
        wires.append(images_ready(owner, ids, f"a red circle number {g}", first, at))
        for image_id in ids:
            prompts[image_id] = f"a red circle number {g}"
            visibility, version = first, 1
            for _ in range(rng.randint(0, 3)):
                version += 1
                visibility = rng.choice([PUBLIC, PRIVATE])
                wires.append(visibility_changed(image_id, owner, visibility, version))
            deleted = rng.random() < 0.2
            if deleted:
                wires.append(image_deleted(owner, [image_id]))
            final[image_id] = Known(owner, visibility == PUBLIC, deleted)
            if visibility == PUBLIC and not deleted:
                public_at_end[image_id] = at
    return World(wires, public_at_end, final, prompts)


def shuffled_with_duplicates(rng: random.Random, wires: list[Wire]) -> list[Wire]:
    delivered = wires + rng.sample(wires, len(wires) // 2)
    rng.shuffle(delivered)
    return delivered


def newest_order(public_at_end: dict[str, datetime]) -> list[str]:
    return sorted(public_at_end, key=lambda i: (public_at_end[i], uuid.UUID(i)), reverse=True)


# ---------------------------------------------------------------- tests


async def test_shuffled_and_duplicated_event_streams_build_the_same_feed(feed, js, authority, infra):
    fake, _ = authority
    fake.allow_all = True  # the projection alone decides here: nothing hides its mistakes
    rng = random.Random(5)
    world = random_world(rng)
    for image_id, known in world.final.items():
        fake.set(image_id, known.owner_id, known.public, known.deleted)
    fake.generation.prompts.update(world.prompts)
    await publish(js, *shuffled_with_duplicates(rng, world.wires))
    await caught_up(js)

    assert await walk(feed, sort=pb.FEED_SORT_NEW) == newest_order(world.public_at_end)
    assert sorted(await walk(feed, sort=pb.FEED_SORT_TOP)) == sorted(world.public_at_end)
    state = rows(infra.database_url)
    for image_id, known in world.final.items():
        _, prompt, *_, visibility, _version, deleted, is_known, _, _ = state[image_id]
        assert is_known and deleted == known.deleted
        assert visibility == ("public" if known.public else "private") or deleted
        # Private data: only a listed image holds its prompt (ARCHITECTURE.md §3).
        assert prompt == (world.prompts[image_id] if known.public and not deleted else "")

    # The same events again, in another order: nothing changes.
    await publish(js, *shuffled_with_duplicates(random.Random(6), world.wires))
    await caught_up(js)
    assert rows(infra.database_url) == state


async def test_visibility_changed_before_images_ready_is_remembered(feed, js, authority):
    fake, _ = authority
    fake.allow_all = True
    [image_id] = new_ids(1)
    await publish(js, visibility_changed(image_id, "alice", PRIVATE, 2))
    await caught_up(js)
    await publish(js, images_ready("alice", [image_id], "a blue square", PUBLIC, T0))
    await caught_up(js)
    assert await walk(feed) == []
    await publish(js, visibility_changed(image_id, "alice", PUBLIC, 3))
    await caught_up(js)
    assert await walk(feed) == [image_id]


async def test_a_private_toggle_removes_the_image_everywhere_for_the_next_request(feed, js, authority):
    fake, _ = authority
    ids = new_ids(4)
    for i in ids:
        fake.set(i, "alice", public=True)
    await publish(js, images_ready("alice", ids, "a green triangle on a yellow background", PUBLIC, T0))
    await caught_up(js)
    target = ids[0]
    await feed.Like(pb.LikeRequest(user_id="bob", image_id=target))
    await feed.Pin(pb.PinRequest(user_id="alice", image_id=target))
    for viewer in ("bob", ""):
        assert target in await everywhere(feed, viewer, "alice", "triangle")

    # SetVisibility(private) returned: the authority knows; the event is on its way.
    fake.set(target, "alice", public=False)
    for viewer in ("bob", ""):
        seen = await everywhere(feed, viewer, "alice", "triangle")
        assert target not in seen and seen == set(ids[1:])
    social = await feed.BatchGetSocial(pb.BatchGetSocialRequest(viewer_id="bob", image_ids=ids))
    assert target not in ids_of(social.images)
    await expect_code(grpc.StatusCode.NOT_FOUND, feed.Like(pb.LikeRequest(user_id="bob", image_id=target)))
    # The owner still has it on their own profile.
    own = await feed.GetProfile(pb.GetProfileRequest(owner_id="alice", viewer_id="alice"))
    assert ids_of(own.pinned) == [target]

    # Once the event arrives, the projection agrees: even an authority that allowed everything
    # would not get it listed again.
    await publish(js, visibility_changed(target, "alice", PRIVATE, 2))
    await caught_up(js)
    fake.allow_all = True
    assert target not in await everywhere(feed, "bob", "alice", "triangle")


async def test_a_stale_projection_never_leaks_and_pages_stay_full(feed, js, authority):
    fake, _ = authority
    ids = new_ids(24)
    stale = set(ids[::4])  # the feed thinks these are public; the authority says private
    for n in range(6):
        batch = ids[n * 4 : (n + 1) * 4]
        await publish(js, images_ready("alice", batch, "a purple star", PUBLIC, T0 + timedelta(minutes=n)))
    for i in ids:
        fake.set(i, "alice", public=i not in stale)
    await caught_up(js)

    first = await feed.ListFeed(pb.ListFeedRequest(viewer_id="bob", page_size=10))
    assert len(first.items) == 10 and first.next_cursor
    for sort in (pb.FEED_SORT_NEW, pb.FEED_SORT_TOP):
        seen = await walk(feed, page_size=5, viewer_id="bob", sort=sort)
        assert set(seen) == set(ids) - stale and len(seen) == len(set(seen))
    assert not stale & set(await walk(feed, viewer_id="", query="star"))
    profile = await feed.GetProfile(pb.GetProfileRequest(owner_id="alice", viewer_id="bob", page_size=100))
    assert not stale & set(ids_of(profile.images))
    # The owner is allowed by the authority, but the profile lists public images only.
    assert stale.isdisjoint(
        ids_of(
            (await feed.GetProfile(pb.GetProfileRequest(owner_id="alice", viewer_id="mallory", page_size=100))).images
        )
    )


async def test_an_unreachable_authority_fails_closed(feed, js, authority):
    fake, _ = authority
    ids = new_ids(4)
    for i in ids:
        fake.set(i, "alice")
    await publish(js, images_ready("alice", ids, "a red circle", PUBLIC, T0))
    await caught_up(js)
    assert len(await walk(feed)) == 4

    fake.down = True
    for call in (
        feed.ListFeed(pb.ListFeedRequest()),
        feed.ListFeed(pb.ListFeedRequest(sort=pb.FEED_SORT_TOP)),
        feed.ListFeed(pb.ListFeedRequest(query="circle")),
        feed.GetProfile(pb.GetProfileRequest(owner_id="alice")),
        feed.BatchGetSocial(pb.BatchGetSocialRequest(image_ids=ids)),
        feed.Like(pb.LikeRequest(user_id="bob", image_id=ids[0])),
    ):
        error = await expect_code(grpc.StatusCode.UNAVAILABLE, call)
        assert "authority" in error.details()

    fake.down = False
    await fake.server.stop(0)  # not answering at all
    await expect_code(grpc.StatusCode.UNAVAILABLE, feed.ListFeed(pb.ListFeedRequest()))


async def test_likes_only_on_images_the_user_may_see_and_top_orders_by_them(feed, js, authority):
    fake, _ = authority
    public, private = new_ids(3), new_ids(1)
    for i in public:
        fake.set(i, "alice")
    fake.set(private[0], "alice", public=False)
    await publish(
        js,
        images_ready("alice", public, "a red circle", PUBLIC, T0),
        images_ready("alice", private, "a secret circle", PRIVATE, T0 + timedelta(minutes=1)),
    )
    await caught_up(js)

    for image_id in (private[0], str(uuid.uuid4()), "not-an-id"):
        await expect_code(grpc.StatusCode.NOT_FOUND, feed.Like(pb.LikeRequest(user_id="bob", image_id=image_id)))
        await expect_code(
            grpc.StatusCode.NOT_FOUND, feed.Report(pb.ReportRequest(user_id="bob", image_id=image_id, reason="spam"))
        )
    await expect_code(grpc.StatusCode.NOT_FOUND, feed.Pin(pb.PinRequest(user_id="bob", image_id=public[0])))
    assert (await feed.Like(pb.LikeRequest(user_id="alice", image_id=private[0]))).like_count == 1  # own image

    assert (await feed.Like(pb.LikeRequest(user_id="bob", image_id=public[2]))).like_count == 1
    assert (await feed.Like(pb.LikeRequest(user_id="bob", image_id=public[2]))).like_count == 1  # idempotent
    assert (await feed.Like(pb.LikeRequest(user_id="carol", image_id=public[2]))).like_count == 2
    assert (await feed.Like(pb.LikeRequest(user_id="carol", image_id=public[0]))).like_count == 1
    top = await feed.ListFeed(pb.ListFeedRequest(viewer_id="carol", sort=pb.FEED_SORT_TOP))
    assert ids_of(top.items) == [public[2], public[0], public[1]]
    assert [i.like_count for i in top.items] == [2, 1, 0]
    assert [i.liked_by_viewer for i in top.items] == [True, True, False]
    live_window = await feed.ListFeed(pb.ListFeedRequest(viewer_id="carol", sort=pb.FEED_SORT_TOP, window_hours=2))
    assert ids_of(live_window.items) == ids_of(top.items)  # a window counted at request time agrees
    assert (await feed.Unlike(pb.UnlikeRequest(user_id="carol", image_id=public[2]))).like_count == 1
    assert (await feed.Unlike(pb.UnlikeRequest(user_id="carol", image_id=public[0]))).like_count == 0
    top = await feed.ListFeed(pb.ListFeedRequest(viewer_id="carol", sort=pb.FEED_SORT_TOP))
    assert ids_of(top.items)[0] == public[2] and [i.like_count for i in top.items] == [1, 0, 0]
    social = await feed.BatchGetSocial(pb.BatchGetSocialRequest(viewer_id="bob", image_ids=public + private))
    assert {s.image_id: (s.like_count, s.liked_by_viewer) for s in social.images} == {
        public[0]: (0, False),
        public[1]: (0, False),
        public[2]: (1, True),
    }


async def test_top_of_all_time_counts_likes_older_than_any_window(feed, js, authority, infra):
    fake, _ = authority
    old, recent, unliked = new_ids(3)
    for image_id in (old, recent, unliked):
        fake.set(image_id, "alice")
    await publish(
        js,
        *(
            images_ready("alice", [i], f"a red circle {n}", PUBLIC, T0 + timedelta(minutes=n))
            for n, i in enumerate((old, recent, unliked))
        ),
    )
    await caught_up(js)
    for user in ("bob", "carol"):
        await feed.Like(pb.LikeRequest(user_id=user, image_id=old))
    await feed.Like(pb.LikeRequest(user_id="bob", image_id=recent))
    with psycopg.connect(infra.database_url) as conn:  # the old image's likes were given a month ago
        conn.execute("UPDATE feed.likes SET created_at = now() - interval '30 days' WHERE image_id = %s", (old,))

    # 23 h is no precomputed window: its likes are counted at the request.
    last_day = await feed.ListFeed(pb.ListFeedRequest(sort=pb.FEED_SORT_TOP, window_hours=23))
    assert ids_of(last_day.items) == [recent, unliked, old]
    all_time = await feed.ListFeed(pb.ListFeedRequest(sort=pb.FEED_SORT_TOP, all_time=True, window_hours=1))
    assert ids_of(all_time.items) == [old, recent, unliked]
    assert [i.like_count for i in all_time.items] == [2, 1, 0]
    # Pages of one follow on from each other; a private image leaves it at once.
    assert await walk(feed, page_size=1, sort=pb.FEED_SORT_TOP, all_time=True) == [old, recent, unliked]
    fake.set(old, "alice", public=False)
    shown = await feed.ListFeed(pb.ListFeedRequest(sort=pb.FEED_SORT_TOP, all_time=True))
    assert ids_of(shown.items) == [recent, unliked]


async def established(js, *users: str) -> None:
    """Each user has made an image long enough ago for their reports to count fully."""
    await publish(js, *(images_ready(user, new_ids(1), "", PRIVATE, T0 - timedelta(days=30)) for user in users))


async def test_reports_past_the_threshold_hide_an_image_until_an_operator_restores_it(feed, js, authority):
    fake, _ = authority
    ids = new_ids(2)
    for i in ids:
        fake.set(i, "alice")
    await publish(js, images_ready("alice", ids, "a red circle", PUBLIC, T0))
    await established(js, "bob", "carol", "dave")
    await caught_up(js)
    target = ids[0]

    await expect_code(
        grpc.StatusCode.INVALID_ARGUMENT, feed.Report(pb.ReportRequest(user_id="bob", image_id=target, reason="  "))
    )
    assert not (await feed.Report(pb.ReportRequest(user_id="bob", image_id=target, reason="spam"))).hidden
    assert not (await feed.Report(pb.ReportRequest(user_id="bob", image_id=target, reason="spam!"))).hidden
    assert not (await feed.Report(pb.ReportRequest(user_id="carol", image_id=target, reason="off-topic"))).hidden
    assert target in await walk(feed)
    assert (await feed.Report(pb.ReportRequest(user_id="dave", image_id=target, reason="offensive"))).hidden
    assert await walk(feed) == [ids[1]]
    assert target not in await everywhere(feed, "erin", "alice", "circle")

    queue = await feed.ListReports(pb.ListReportsRequest())
    [entry] = queue.reports
    assert (entry.image_id, entry.report_count, entry.hidden) == (target, 3, True)
    assert sorted(entry.reasons) == sorted(["offensive", "off-topic", "spam"])

    await feed.ResolveReport(pb.ResolveReportRequest(image_id=target, restore=True, actor="operator-1"))
    assert target in await walk(feed)
    assert not (await feed.ListReports(pb.ListReportsRequest())).reports
    await expect_code(
        grpc.StatusCode.NOT_FOUND,
        feed.ResolveReport(pb.ResolveReportRequest(image_id=ids[1], restore=True, actor="operator-1")),
    )


async def test_fresh_accounts_and_the_owner_cannot_hide_an_image_established_ones_can(feed, js, authority):
    fake, _ = authority
    [target] = new_ids(1)
    fake.set(target, "alice")
    await publish(js, images_ready("alice", [target], "a blue square", PUBLIC, T0))
    # A farm: accounts that never made an image, and accounts whose first image is from today.
    await publish(js, *(images_ready(f"today_{n}", new_ids(1), "", PRIVATE, datetime.now(UTC)) for n in range(3)))
    await established(js, "bob", "carol", "dave")
    await caught_up(js)

    reporters = [f"fresh_{n}" for n in range(6)] + [f"today_{n}" for n in range(3)] + ["alice"]
    for reporter in reporters:
        reply = await feed.Report(pb.ReportRequest(user_id=reporter, image_id=target, reason="spam"))
        assert not reply.hidden, reporter
    assert target in await walk(feed)
    [entry] = (await feed.ListReports(pb.ListReportsRequest())).reports
    assert entry.report_count == len(reporters)  # every report is there for the operator to read

    assert not (await feed.Report(pb.ReportRequest(user_id="bob", image_id=target, reason="spam"))).hidden
    assert not (await feed.Report(pb.ReportRequest(user_id="carol", image_id=target, reason="spam"))).hidden
    assert (await feed.Report(pb.ReportRequest(user_id="dave", image_id=target, reason="spam"))).hidden
    assert target not in await walk(feed)


async def test_bad_requests_are_refused_with_a_message(feed, authority):
    for request, field in [
        (pb.ListFeedRequest(page_size=101), "page_size"),
        (pb.ListFeedRequest(cursor="garbage"), "cursor"),
        (pb.ListFeedRequest(query="x" * 201), "query"),
        (pb.ListFeedRequest(sort=pb.FEED_SORT_TOP, window_hours=-1), "window_hours"),
    ]:
        error = await expect_code(grpc.StatusCode.INVALID_ARGUMENT, feed.ListFeed(request))
        assert field in error.details()
    top_cursor = (await feed.ListFeed(pb.ListFeedRequest(sort=pb.FEED_SORT_TOP))).next_cursor
    assert top_cursor == ""  # an empty feed has no next page


@pytest.mark.parametrize("force", [False, True])
def test_a_rebuild_before_the_streams_exist_says_so(stack, force):
    # No js fixture: nobody has created the GENERATION and VISIBILITY streams on this NATS.
    result = subprocess.run(
        [sys.executable, "-m", "services.feed", "rebuild", *(["--force"] if force else [])],
        cwd=REPO_ROOT,
        env=stack.env(**stack.pki.env("feed")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "does not exist: its owning service creates it" in result.stderr
    assert "Traceback" not in result.stderr


async def test_rebuild_from_the_streams_equals_the_live_projection(feed, js, authority, infra, stack):
    fake, address = authority
    rng = random.Random(11)
    world = random_world(rng, generations=8)
    for image_id, known in world.final.items():
        fake.set(image_id, known.owner_id, known.public, known.deleted)
    fake.generation.prompts.update(world.prompts)
    await publish(js, *shuffled_with_duplicates(rng, world.wires))
    await established(js, "r1", "r2", "r3")
    await caught_up(js)
    listed = newest_order(world.public_at_end)
    await feed.Like(pb.LikeRequest(user_id="carol", image_id=listed[0]))
    for reporter in ("r1", "r2", "r3"):
        await feed.Report(pb.ReportRequest(user_id=reporter, image_id=listed[1], reason="spam"))
    live = rows(infra.database_url)
    live_page = await walk(feed, viewer_id="carol")
    assert live_page == [listed[0], *listed[2:]]

    # In a thread: the fake generation service, in this event loop, answers the rebuild's lookups.
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.feed", "rebuild"],
        cwd=REPO_ROOT,
        # As the feed's database role (the swapped-in table must stay the feed's) and identity, with
        # NATS's admin: replaying streams through ephemeral consumers is an operator's job.
        env={
            **stack.env(**stack.pki.env("feed"), ATELIER_GENERATION_ADDR=fake.generation_address),
            "ATELIER_DATABASE_URL": infra.service_database_url("feed"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "projection rebuilt" in result.stderr

    assert rows(infra.database_url) == live
    assert await walk(feed, viewer_id="carol") == live_page
    with psycopg.connect(infra.database_url) as conn:
        indexes = {
            r[0]
            for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'feed' AND tablename = 'images'")
        }
    assert indexes == {
        "images_pkey",
        "images_newest",
        "images_owner_newest",
        "images_owner_first",
        "images_prompt_search",
        "images_top_all_time",
    }

    # The live consumers keep working on the swapped-in table.
    [late] = new_ids(1)
    fake.set(late, "bob")
    await publish(js, images_ready("bob", [late], "a late circle", PUBLIC, T0 + timedelta(hours=1)))
    await caught_up(js)
    assert (await walk(feed, viewer_id="carol"))[0] == late


async def test_with_the_real_visibility_authority_a_deletion_hides_before_any_event_arrives(stack, js, infra):
    """The real `services.visibility` as the authority: it learns images from ImagesReady, and
    once MarkDeleted returned, the feed stops showing the image though its projection still lists it."""
    stack.start_visibility()
    stack.start_feed()  # ATELIER_VISIBILITY_ADDR: the real one
    public, private = new_ids(4), new_ids(1)
    await publish(
        js,
        images_ready("alice", public, "a red circle", PUBLIC, T0),
        images_ready("alice", private, "a secret circle", PRIVATE, T0 + timedelta(minutes=1)),
    )
    await caught_up(js)
    async with (
        stack.channel("feed") as feed_channel,
        stack.channel("visibility") as visibility_channel,
    ):
        feed = feed_pb2_grpc.FeedServiceStub(feed_channel)
        visibility = visibility_pb2_grpc.VisibilityServiceStub(visibility_channel)
        deadline = time.monotonic() + 30
        while len(await walk(feed)) < 4:  # the authority registers them from its own consumer
            assert time.monotonic() < deadline, "the visibility service never registered the images"
            await asyncio.sleep(0.2)
        assert set(await walk(feed)) == set(public)
        await expect_code(grpc.StatusCode.NOT_FOUND, feed.Like(pb.LikeRequest(user_id="bob", image_id=private[0])))

        await visibility.MarkDeleted(visibility_pb2.MarkDeletedRequest(actor_id="alice", image_ids=[public[0]]))
        assert set(await walk(feed)) == set(public[1:])
        assert rows(infra.database_url)[public[0]][7] is False  # the projection has not heard of it yet


def _forged(body: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


async def test_forged_cursors_and_odd_searches_are_answered_never_failed(feed, js, authority):
    fake, _ = authority
    ids = new_ids(1)
    fake.set(ids[0], "alice")
    await publish(js, images_ready("alice", ids, "a red circle", PUBLIC, T0))
    await caught_up(js)
    some_id = str(uuid.uuid4())
    forged = [
        (pb.FEED_SORT_NEW, {"k": "new", "t": "0001-01-01T00:00:00+14:00", "i": some_id}),
        (pb.FEED_SORT_NEW, {"k": "new", "t": "9999-12-31T23:59:59-14:00", "i": some_id}),
        (pb.FEED_SORT_TOP, {"k": "top", "t": T0.isoformat(), "i": some_id, "n": 2**70, "s": None}),
        (pb.FEED_SORT_TOP, {"k": "top", "t": T0.isoformat(), "i": some_id, "n": 1, "s": "0001-01-01T00:00:00+14:00"}),
        (pb.FEED_SORT_TOP, {"k": "top", "t": T0.isoformat(), "i": some_id, "n": 1, "s": 5}),
        (pb.FEED_SORT_NEW, {"k": "new", "t": 5, "i": some_id}),
        (pb.FEED_SORT_NEW, {"k": "new", "t": T0.isoformat(), "i": 5}),
    ]
    for sort, body in forged:
        try:
            await feed.ListFeed(pb.ListFeedRequest(sort=sort, cursor=_forged(body)))
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (body, error.details())
    signed_elsewhere = cursors.signer("another deployment's secret")
    for sort, kind in ((pb.FEED_SORT_NEW, cursors.NEW), (pb.FEED_SORT_TOP, cursors.TOP)):
        key = cursors.Cursor(kind, T0, uuid.UUID(some_id), since=T0)
        for token in (key.encode(signed_elsewhere), _forged({"k": kind, "t": T0.isoformat(), "i": some_id})):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await feed.ListFeed(pb.ListFeedRequest(sort=sort, cursor=token))
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "forged or altered" in (refused.value.details() or "")
    for query in ("-" * 50, "-", '"', "!&|():*", "- - -", "or or", '"-"'):
        for sort in (pb.FEED_SORT_NEW, pb.FEED_SORT_TOP):
            await feed.ListFeed(pb.ListFeedRequest(sort=sort, query=query))

"""A private image's prompt never leaves the generation service but to its owner (ARCHITECTURE.md
§3: internal consumers such as the feed and search never see it), on real servers: the events on
the JetStream stream, BatchGetImages called bare over gRPC, the feed's own tables and its search.
Toggling public brings the prompt to the feed (asked of the generation service, which asks the
authority); toggling private again erases it."""

from __future__ import annotations

import psycopg
import pytest

from atelier.common.v1 import visibility_pb2 as common
from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from atelier.generation.v1 import events_pb2, generation_pb2
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from tests.support.events import stream_events
from tests.support.generation import SUCCEEDED, change_plan, submit_request, wait_finished
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

SECRET = "a red circle on a quokkaberry field"
OPEN = "a blue square on a yellow background"


async def feed_row(database_url: str, image_id: str) -> tuple[str, str] | None:
    """(prompt, visibility) as the feed's own table holds them, with every word search can find."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT prompt || ' ' || prompt_tsv::text, visibility FROM feed.images WHERE image_id = %s", (image_id,)
        )
        return await cursor.fetchone()


async def search(feed: feed_pb2_grpc.FeedServiceStub, words: str) -> list[str]:
    reply = await feed.ListFeed(feed_pb2.ListFeedRequest(query=words, page_size=50))
    return [item.image_id for item in reply.items]


async def test_a_private_prompt_reaches_no_event_no_bare_call_and_no_feed_until_made_public(stack, client, infra):
    stack.start_feed()
    stack.start_worker()
    await change_plan(stack, "alice", "plus")
    private_request = submit_request(prompt=SECRET, seed=3, num_images=2)
    private_request.visibility = common.VISIBILITY_PRIVATE
    public_request = submit_request(prompt=OPEN, seed=5, num_images=2)
    public_request.visibility = common.VISIBILITY_PUBLIC
    private = await wait_finished(client, (await client.Submit(private_request)).generation.generation_id)
    public = await wait_finished(client, (await client.Submit(public_request)).generation.generation_id)
    assert private.status == public.status == SUCCEEDED, (private.error, public.error)
    private_ids = [i.image_id for i in private.images]
    public_ids = [i.image_id for i in public.images]

    # 1. ImagesReady on the real stream, read by a bare consumer: the private one carries no
    #    prompt, no seed, nothing of the recipe; the public one carries its prompt.
    ready = {
        event.generation_id: event
        for event in await stream_events(
            infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady
        )
    }
    hidden = ready[private.generation_id]
    assert hidden.prompt == "" and hidden.source_image_id == ""
    assert [image.seed for image in hidden.images] == [0, 0]
    assert SECRET.encode() not in hidden.SerializeToString()
    assert ready[public.generation_id].prompt == OPEN

    # 2. A bare BatchGetImages (any internal caller, no viewer) or another user's gets nothing of
    #    the private images; the owner gets them whole; everyone gets the public ones.
    every_id = private_ids + public_ids

    async def batch(viewer: str | None) -> dict[str, generation_pb2.Image]:
        request = generation_pb2.BatchGetImagesRequest(image_ids=every_id)
        if viewer is not None:
            request.viewer_id = viewer
        return {image.image_id: image for image in (await client.BatchGetImages(request)).images}

    for stranger in (None, "", "bob"):
        shown = await batch(stranger)
        assert sorted(shown) == sorted(public_ids), stranger
        assert all(image.prompt == OPEN for image in shown.values())
    owner_view = await batch("alice")
    assert sorted(owner_view) == sorted(every_id)
    assert {owner_view[i].prompt for i in private_ids} == {SECRET}

    # 3. The feed knows the private images (so a toggle lists them at once) but not their prompt:
    #    not in its table, not in its search index.
    async with (
        stack.channel("feed") as feed_channel,
        stack.channel("visibility") as visibility_channel,
    ):
        feed = feed_pb2_grpc.FeedServiceStub(feed_channel)
        authority = visibility_pb2_grpc.VisibilityServiceStub(visibility_channel)
        await eventually(lambda: search(feed, "blue square"), "the public generation listed and searchable", 60)
        for image_id in private_ids:
            row = await eventually(lambda image_id=image_id: feed_row(infra.database_url, image_id), "feed row", 60)
            assert row[1] == "private"
            assert "quokkaberri" not in row[0] and "quokkaberry" not in row[0]

        async def toggle(image_id: str, visibility: int) -> None:
            await authority.SetVisibility(
                visibility_pb2.SetVisibilityRequest(actor_id="alice", image_id=image_id, visibility=visibility)
            )

        # 4. Made public: the feed asks the generation service for the prompt; search finds it.
        made_public = private_ids[0]
        await toggle(made_public, common.VISIBILITY_PUBLIC)
        assert await eventually(
            lambda: search(feed, "quokkaberry"), "the prompt of the image made public searchable", 60
        ) == [made_public]
        assert SECRET in (await feed_row(infra.database_url, made_public))[0]
        # The one still private stays without its prompt.
        assert "quokkaberry" not in (await feed_row(infra.database_url, private_ids[1]))[0]

        # 5. Made private again: erased from the table and the index, not just hidden by the authority.
        await toggle(made_public, common.VISIBILITY_PRIVATE)

        async def erased() -> bool:
            text, visibility = await feed_row(infra.database_url, made_public)
            return visibility == "private" and "quokkaberr" not in text

        await eventually(erased, "the prompt erased from the feed", 60)
        assert await search(feed, "quokkaberry") == []

"""Remix on real servers: Submit with a source image → worker loads the source from the object store →
Triton INIT_IMAGE/STRENGTH → new images with their lineage recorded; and the ways a remix is refused
or fails."""

from __future__ import annotations

import io
import uuid

import grpc
import numpy as np
import psycopg
import pytest
from PIL import Image

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1 import visibility_pb2 as common
from atelier.generation.v1 import events_pb2, generation_pb2
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from services.generation.worker import SOURCE_DELETED_MESSAGE
from tests.support.events import stream_events
from tests.support.generation import FAILED, SUCCEEDED, wait_finished

pytestmark = pytest.mark.integration

SOURCE_PROMPT = "a red circle on a blue background"
REMIX_PROMPT = "a yellow triangle on a purple background"


def submit_request(owner: str, prompt: str, **params) -> generation_pb2.SubmitRequest:
    params.setdefault("num_images", 2)
    return generation_pb2.SubmitRequest(owner_id=owner, params=generation_pb2.GenerationParams(prompt=prompt, **params))


async def generate(client, owner: str, prompt: str, **params) -> generation_pb2.Generation:
    reply = await client.Submit(submit_request(owner, prompt, **params))
    generation = await wait_finished(client, reply.generation.generation_id, owner)
    assert generation.status == SUCCEEDED, generation.error
    return generation


def pixels(object_store, image: generation_pb2.Image) -> np.ndarray:
    png = object_store.client().get_object(object_store.bucket, image.object_key).read()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)


def counts(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM generation.{table}").fetchone()[0]
            for table in ("generations", "outbox")
        )


async def test_a_remix_starts_from_its_source_and_records_its_lineage(stack, client, infra, object_store):
    stack.start_worker()
    source_generation = await generate(client, "alice", SOURCE_PROMPT, seed=7)
    source = source_generation.images[0]

    # Bob remixes Alice's image (the gateway has authorised that he may see it).
    remix = await generate(client, "bob", REMIX_PROMPT, seed=21, source_image_id=source.image_id, strength=0.4)
    plain = await generate(client, "bob", REMIX_PROMPT, seed=21)

    assert remix.params.source_image_id == source.image_id
    assert remix.params.strength == pytest.approx(0.4)
    assert plain.params.source_image_id == "" and plain.params.strength == 0
    # Steps counted are those the model ran: int(20 * 0.4) of the default 20.
    assert (remix.progress_step, remix.progress_total) == (8, 8)
    with psycopg.connect(infra.database_url) as conn:
        lineage = conn.execute(
            "SELECT source_image_id FROM generation.generations WHERE id = %s", (remix.generation_id,)
        ).fetchone()[0]
    assert lineage == uuid.UUID(source.image_id)
    batch = await client.BatchGetImages(
        generation_pb2.BatchGetImagesRequest(image_ids=[i.image_id for i in remix.images] + [source.image_id])
    )
    lineage_by_image = {i.image_id: i.source_image_id for i in batch.images}
    assert all(lineage_by_image[i.image_id] == source.image_id for i in remix.images)
    assert lineage_by_image[source.image_id] == ""

    # The remix is not the plain generation of the same prompt and seed: it kept some of the source.
    source_pixels = pixels(object_store, source)
    for remixed, fresh in zip(remix.images, plain.images, strict=True):
        assert remixed.seed == fresh.seed
        remixed_pixels, fresh_pixels = pixels(object_store, remixed), pixels(object_store, fresh)
        assert np.abs(remixed_pixels - fresh_pixels).mean() > 10
        assert np.abs(remixed_pixels - source_pixels).mean() < np.abs(fresh_pixels - source_pixels).mean()

    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    lineage_announced = {r.generation_id: r.source_image_id for r in ready}
    assert lineage_announced == {
        source_generation.generation_id: "",
        remix.generation_id: source.image_id,
        plain.generation_id: "",
    }


async def test_a_remix_of_a_missing_source_or_with_a_bad_strength_is_refused_and_nothing_is_stored(
    stack, client, infra
):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request("bob", REMIX_PROMPT, source_image_id=str(uuid.uuid4())))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.details() == "source image not found"

    refused = [
        ({"source_image_id": str(uuid.uuid4()), "strength": 1.5}, "strength: must be above 0 and at most 1"),
        ({"source_image_id": str(uuid.uuid4()), "strength": -0.2}, "strength: must be above 0 and at most 1"),
        ({"source_image_id": str(uuid.uuid4()), "strength": float("nan")}, "strength: must be above 0 and at most 1"),
        ({"strength": 0.5}, "strength: applies only to a remix"),
        ({"source_image_id": "not-an-id"}, "source_image_id: must be an image id"),
    ]
    for params, words in refused:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.Submit(submit_request("bob", REMIX_PROMPT, **params))
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, params
        assert words in caught.value.details()

    assert counts(infra.database_url) == (0, 0)


async def test_a_source_deleted_before_the_work_starts_fails_the_remix_clearly(stack, client, infra):
    stack.start_worker()
    source_generation = await generate(client, "alice", SOURCE_PROMPT, seed=3, num_images=1)
    stack.stop("generation-worker")

    reply = await client.Submit(
        submit_request("bob", REMIX_PROMPT, source_image_id=source_generation.images[0].image_id)
    )
    await client.DeleteGeneration(
        generation_pb2.DeleteGenerationRequest(generation_id=source_generation.generation_id, actor_id="alice")
    )
    stack.start_worker()
    remix = await wait_finished(client, reply.generation.generation_id, "bob")

    assert remix.status == FAILED
    assert remix.error == SOURCE_DELETED_MESSAGE == "The image you remixed is no longer available."
    assert not remix.images
    failed = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.failed", events_pb2.GenerationFailed)
    assert [(f.generation_id, f.reason) for f in failed] == [(remix.generation_id, SOURCE_DELETED_MESSAGE)]
    # A source that is gone cannot be remixed again.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request("bob", REMIX_PROMPT, source_image_id=source_generation.images[0].image_id))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_source_made_private_before_the_work_starts_is_not_used(stack, client):
    stack.start_worker()
    source_generation = await generate(client, "alice", SOURCE_PROMPT, seed=3, num_images=1)
    source_id = source_generation.images[0].image_id
    stack.stop("generation-worker")
    reply = await client.Submit(submit_request("bob", REMIX_PROMPT, source_image_id=source_id))

    # Alice subscribes and makes the source private before any worker picks the remix up.
    async with stack.channel("billing") as channel:
        await billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id="alice", plan="plus", actor="operator:test")
        )
    async with stack.channel("visibility") as channel:
        await visibility_pb2_grpc.VisibilityServiceStub(channel).SetVisibility(
            visibility_pb2.SetVisibilityRequest(
                actor_id="alice", image_id=source_id, visibility=common.VISIBILITY_PRIVATE
            )
        )

    stack.start_worker()
    remix = await wait_finished(client, reply.generation.generation_id, "bob")
    assert remix.status == FAILED
    assert remix.error == SOURCE_DELETED_MESSAGE  # the same words as for a deleted source
    assert not remix.images

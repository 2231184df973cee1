"""Image actions as job kinds on real servers (billing, visibility, the worker, Triton's `upscale`):
Submit with JOB_KIND_UPSCALE → outbox → JetStream → the worker's upscale module → a 2x image with
its lineage; the price from billing's catalogue, the plan's entitlement, the source's privacy."""

from __future__ import annotations

import io

import grpc
import numpy as np
import pytest
from PIL import Image

from atelier.common.v1 import visibility_pb2 as common
from atelier.generation.v1 import events_pb2, generation_pb2
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from services.generation.actions.describe import DESCRIBE
from services.generation.actions.upscale import UPSCALE
from tests.support.events import stream_events
from tests.support.generation import (
    FAILED,
    SUCCEEDED,
    change_plan,
    credit_balance,
    submit_request,
    table_count,
    wait_finished,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

PROMPT = "a red circle on a blue background"


def upscale_request(
    owner: str, image_id: str, kind: int = generation_pb2.JOB_KIND_UPSCALE, **fields
) -> generation_pb2.SubmitRequest:
    return generation_pb2.SubmitRequest(
        owner_id=owner,
        params=generation_pb2.GenerationParams(kind=kind, source_image_id=image_id),
        **fields,
    )


async def generate(client, owner: str, visibility: int = common.VISIBILITY_UNSPECIFIED) -> generation_pb2.Generation:
    request = submit_request(owner, PROMPT, num_images=1, seed=5)
    request.visibility = visibility
    reply = await client.Submit(request)
    generation = await wait_finished(client, reply.generation.generation_id, owner)
    assert generation.status == SUCCEEDED, generation.error
    return generation


async def upscale(client, owner: str, image_id: str, **fields) -> generation_pb2.Generation:
    reply = await client.Submit(upscale_request(owner, image_id, **fields))
    return await wait_finished(client, reply.generation.generation_id, owner)


def size_of(object_store, image: generation_pb2.Image) -> tuple[int, int]:
    png = object_store.client().get_object(object_store.bucket, image.object_key).read()
    with Image.open(io.BytesIO(png)) as decoded:
        assert decoded.mode == "RGB"
        return decoded.size


def pixels(object_store, image: generation_pb2.Image) -> np.ndarray:
    png = object_store.client().get_object(object_store.bucket, image.object_key).read()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(float)


async def authority_says(stack, owner: str, image_id: str) -> int:
    async with stack.channel("visibility") as channel:
        reply = await visibility_pb2_grpc.VisibilityServiceStub(channel).BatchGetVisibility(
            visibility_pb2.BatchGetVisibilityRequest(owner_id=owner, image_ids=[image_id])
        )
    return reply.images[0].visibility


async def set_visibility(stack, owner: str, image_id: str, visibility: int) -> None:
    async with stack.channel("visibility") as channel:
        await visibility_pb2_grpc.VisibilityServiceStub(channel).SetVisibility(
            visibility_pb2.SetVisibilityRequest(actor_id=owner, image_id=image_id, visibility=visibility)
        )


async def test_an_upscale_doubles_the_pixels_records_its_lineage_and_costs_the_catalogue_price(
    stack, client, object_store, infra
):
    stack.start_worker()
    await change_plan(stack, "alice", "basic")
    source = (await generate(client, "alice")).images[0]
    before = await credit_balance(stack, "alice")

    result = await upscale(client, "alice", source.image_id)

    assert result.status == SUCCEEDED, result.error
    assert result.params.kind == generation_pb2.JOB_KIND_UPSCALE
    assert result.params.source_image_id == source.image_id
    assert result.params.prompt == PROMPT and result.seed == 5
    assert (result.progress_step, result.progress_total) == (1, 1)
    [image] = result.images
    assert (image.width, image.height) == (2 * source.width, 2 * source.height) == (1024, 1024)
    assert size_of(object_store, image) == (1024, 1024)
    assert image.source_image_id == source.image_id
    # The same picture, sharper: its 2x2 average is close to the source.
    big = pixels(object_store, image)
    shrunk = big.reshape(512, 2, 512, 2, 3).mean(axis=(1, 3))
    assert np.abs(shrunk - pixels(object_store, source)).mean() < 3
    assert await credit_balance(stack, "alice") == before - 1  # plans.toml: upscale = 1
    assert await authority_says(stack, "alice", image.image_id) == common.VISIBILITY_PUBLIC
    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    assert {r.generation_id: r.source_image_id for r in ready}[result.generation_id] == source.image_id


async def test_an_upscale_of_a_private_image_is_private_whatever_the_request_says(stack, client, infra):
    stack.start_worker()
    await change_plan(stack, "alice", "plus")
    source = (await generate(client, "alice", visibility=common.VISIBILITY_PRIVATE)).images[0]

    # Nothing asked: the source's visibility.
    result = await upscale(client, "alice", source.image_id)
    assert result.status == SUCCEEDED, result.error
    assert result.visibility == common.VISIBILITY_PRIVATE
    assert await authority_says(stack, "alice", result.images[0].image_id) == common.VISIBILITY_PRIVATE

    # Made private after its generation was public: the result follows the source now.
    public = (await generate(client, "alice", visibility=common.VISIBILITY_PUBLIC)).images[0]
    await set_visibility(stack, "alice", public.image_id, common.VISIBILITY_PRIVATE)
    result = await upscale(client, "alice", public.image_id, visibility=common.VISIBILITY_PUBLIC)
    assert result.status == SUCCEEDED, result.error
    assert await authority_says(stack, "alice", result.images[0].image_id) == common.VISIBILITY_PRIVATE
    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    announced = {r.generation_id: r for r in ready}[result.generation_id]
    # Private data never travels in the event: prompt, seed and lineage are empty.
    assert announced.visibility == common.VISIBILITY_PRIVATE
    assert (announced.prompt, announced.source_image_id) == ("", "")


async def test_refusals_charge_nothing_and_write_nothing(stack, client, infra):
    stack.start_worker()
    source = (await generate(client, "alice")).images[0]
    generations = table_count(infra.database_url, "generations")
    before = await credit_balance(stack, "alice")

    # Free plan: no upscale entitlement.
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(upscale_request("alice", source.image_id))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert dict(caught.value.trailing_metadata())["atelier-reason"] == "action_not_entitled"

    # Someone else's image is not found, exactly like an image that does not exist.
    await change_plan(stack, "bob", "basic")
    for image_id in (source.image_id, "0b6a3c1e-5d2f-4a8b-9c7e-1f2a3b4c5d6e"):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.Submit(upscale_request("bob", image_id))
        assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.NOT_FOUND, "source image not found")

    assert await credit_balance(stack, "alice") == before
    assert table_count(infra.database_url, "generations") == generations


async def test_an_upscale_past_the_maximum_size_is_refused_in_words(stack, client, infra):
    stack.start_worker()
    await change_plan(stack, "alice", "basic")
    source = (await generate(client, "alice")).images[0]
    twice = await upscale(client, "alice", (await upscale(client, "alice", source.image_id)).images[0].image_id)
    assert (twice.images[0].width, twice.images[0].height) == (2048, 2048)
    before = await credit_balance(stack, "alice")
    generations = table_count(infra.database_url, "generations")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(upscale_request("alice", twice.images[0].image_id))

    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == (
        "source_image_id: the image is 2048x2048 px; upscaling takes images of at most 1024 px a side"
        " (an upscale of an upscale past that is refused)"
    )
    assert await credit_balance(stack, "alice") == before
    assert table_count(infra.database_url, "generations") == generations


@pytest.mark.parametrize(
    ("action", "kind", "words"),
    [
        (UPSCALE, generation_pb2.JOB_KIND_UPSCALE, "The image to upscale is no longer available."),
        (DESCRIBE, generation_pb2.JOB_KIND_DESCRIBE, "The image to describe is no longer available."),
    ],
    ids=["upscale", "describe"],
)
async def test_a_source_deleted_before_the_job_starts_fails_it_in_the_missing_words_and_refunds(
    stack, client, action, kind, words
):
    stack.start_worker()
    await change_plan(stack, "alice", "basic")
    source_generation = await generate(client, "alice")
    stack.stop("generation-worker")
    before = await credit_balance(stack, "alice")
    reply = await client.Submit(upscale_request("alice", source_generation.images[0].image_id, kind=kind))
    assert await credit_balance(stack, "alice") == before - 1  # reserved
    await client.DeleteGeneration(
        generation_pb2.DeleteGenerationRequest(generation_id=source_generation.generation_id, actor_id="alice")
    )

    stack.start_worker()
    result = await wait_finished(client, reply.generation.generation_id, "alice")

    assert result.status == FAILED
    assert result.error == action.gone_message == words
    assert not result.images and not result.suggestions

    async def refunded() -> bool:
        return await credit_balance(stack, "alice") == before

    await eventually(refunded, f"the {action.kind}'s credit refunded", 20, interval=0.2)

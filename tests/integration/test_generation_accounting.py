"""Generation against the real billing and visibility services: credits reserved once and
committed once, the authority told before success, deletion everywhere."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1 import visibility_pb2 as common
from atelier.generation.v1 import events_pb2, generation_pb2
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from tests.support.events import stream_events
from tests.support.generation import SUCCEEDED, submit_request, table_count, wait_finished
from tests.support.waiting import consumers_caught_up, eventually, outbox_published

pytestmark = pytest.mark.integration


async def balance(stack, user: str) -> int:
    async with grpc.aio.insecure_channel(stack.billing_addr) as channel:
        reply = await billing_pb2_grpc.BillingServiceStub(channel).GetAccount(
            billing_pb2.GetAccountRequest(user_id=user)
        )
        return reply.account.credits


# The worker's consumer (a redelivery would run the generation again) and billing's.
EVERY_CHARGE_PATH = ("generation-worker", "billing-images-ready", "billing-generation-failed")


async def taken(client, generation_id: str) -> bool:
    reply = await client.GetGeneration(
        generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id="alice")
    )
    return reply.generation.status != generation_pb2.GENERATION_STATUS_QUEUED


async def wait_balance(stack, user: str, expected: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while (current := await balance(stack, user)) != expected:
        assert time.monotonic() < deadline, f"balance {current}, expected {expected}"
        await asyncio.sleep(0.2)


async def authorize(stack, viewer: str, image_ids: list[str]) -> set[str]:
    async with grpc.aio.insecure_channel(stack.visibility_addr) as channel:
        reply = await visibility_pb2_grpc.VisibilityServiceStub(channel).Authorize(
            visibility_pb2.AuthorizeRequest(viewer_id=viewer, image_ids=image_ids)
        )
        return set(reply.allowed_image_ids)


async def test_credits_are_taken_once_even_when_the_worker_dies_and_a_retry_repeats(stack, client):
    start = await balance(stack, "alice")
    stack.start_worker("worker-a")
    first = await client.Submit(submit_request(key="k1", steps=60))
    again = await client.Submit(submit_request(key="k1", steps=60))  # the user's retry
    assert again.generation.generation_id == first.generation.generation_id
    await eventually(lambda: taken(client, first.generation.generation_id), "worker-a taking the generation")
    stack.kill("worker-a")
    stack.start_worker("worker-b")
    generation = await wait_finished(client, first.generation.generation_id)
    assert generation.status == SUCCEEDED
    await wait_balance(stack, "alice", start - 4)
    # A second charge, if any, would come from an event still in the outbox or not yet handled.
    await eventually(lambda: outbox_published(stack.infra.database_url, "generation"), "the relay catching up")
    await consumers_caught_up(stack.infra.nats_url, "GENERATION", *EVERY_CHARGE_PATH)
    assert await balance(stack, "alice") == start - 4


async def test_the_authority_knows_the_images_before_the_owner_sees_them(stack, client):
    stack.start_worker()
    request = submit_request()
    request.visibility = common.VISIBILITY_PRIVATE
    request.privacy_entitled = True
    reply = await client.Submit(request)
    generation = await wait_finished(client, reply.generation.generation_id)
    ids = [i.image_id for i in generation.images]
    assert await authorize(stack, "alice", ids) == set(ids)
    assert await authorize(stack, "mallory", ids) == set()
    assert await authorize(stack, "", ids) == set()


async def test_out_of_credits_is_refused_with_its_reason_and_costs_nothing(stack, client, infra):
    credits = await balance(stack, "alice")
    # No worker runs: these stay queued, their credits reserved.
    while credits >= 8:
        await client.Submit(submit_request(num_images=8))
        credits -= 8
    assert await balance(stack, "alice") == credits
    queued = table_count(infra.database_url, "generations")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request(num_images=credits + 1))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert dict(caught.value.trailing_metadata())["atelier-reason"] == "out_of_credits"
    assert "credits" in caught.value.details().lower()
    assert table_count(infra.database_url, "generations") == queued
    assert await balance(stack, "alice") == credits


async def test_the_plan_limits_generations_in_progress(stack, client, infra):
    first = await client.Submit(
        generation_pb2.SubmitRequest(
            owner_id="alice", params=generation_pb2.GenerationParams(prompt="a"), max_concurrent_generations=1
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(
            generation_pb2.SubmitRequest(
                owner_id="alice", params=generation_pb2.GenerationParams(prompt="b"), max_concurrent_generations=1
            )
        )
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert dict(caught.value.trailing_metadata())["atelier-reason"] == "concurrency_limit"
    assert table_count(infra.database_url, "generations") == 1
    assert first.created


async def test_deleting_a_generation_removes_it_everywhere(stack, client, infra, object_store):
    stack.start_worker()
    reply = await client.Submit(submit_request())
    generation = await wait_finished(client, reply.generation.generation_id)
    ids = [i.image_id for i in generation.images]

    for actor in ("mallory", ""):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.DeleteGeneration(
                generation_pb2.DeleteGenerationRequest(generation_id=generation.generation_id, actor_id=actor)
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    deleted = await client.DeleteGeneration(
        generation_pb2.DeleteGenerationRequest(generation_id=generation.generation_id, actor_id="alice")
    )
    assert sorted(deleted.deleted_image_ids) == sorted(ids)

    assert await authorize(stack, "alice", ids) == set()
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await client.GetGeneration(
            generation_pb2.GetGenerationRequest(generation_id=generation.generation_id, viewer_id="alice")
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert not (await client.BatchGetImages(generation_pb2.BatchGetImagesRequest(image_ids=ids))).images
    assert table_count(infra.database_url, "images") == 0
    keys = [i.object_key for i in generation.images]
    stored = {o.object_name for o in object_store.client().list_objects(object_store.bucket, recursive=True)}
    assert not set(keys) & stored
    await eventually(lambda: outbox_published(infra.database_url, "generation"), "the relay publishing the deletion")
    deletions = await stream_events(
        infra.nats_url, "GENERATION", "atelier.generation.image_deleted", events_pb2.ImageDeleted
    )
    assert [sorted(d.image_ids) for d in deletions] == [sorted(ids)]


async def test_a_running_generation_cannot_be_deleted_yet(stack, client):
    reply = await client.Submit(submit_request())  # no worker: it stays queued
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.DeleteGeneration(
            generation_pb2.DeleteGenerationRequest(generation_id=reply.generation.generation_id, actor_id="alice")
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

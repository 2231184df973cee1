"""Generation against the real billing and visibility services: the generation service decides
(visibility, concurrency, credits) from billing's one answer and trusts nothing the caller claims
about the plan; credits reserved once and committed once, the authority told before success,
deletion everywhere."""

from __future__ import annotations

import asyncio
import time

import grpc
import psycopg
import pytest

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1 import visibility_pb2 as common
from atelier.generation.v1 import events_pb2, generation_pb2
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from tests.support.events import stream_events
from tests.support.generation import SUCCEEDED, change_plan, submit_request, table_count, wait_finished
from tests.support.generation import credit_balance as balance
from tests.support.waiting import consumers_caught_up, eventually, outbox_published

pytestmark = pytest.mark.integration


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


def ledger_kinds(infra, user: str) -> list[str]:
    with psycopg.connect(infra.database_url) as conn:
        rows = conn.execute("SELECT kind FROM billing.ledger WHERE user_id = %s ORDER BY id", (user,)).fetchall()
    return [kind for (kind,) in rows]


def refusal(caught: pytest.ExceptionInfo) -> tuple[grpc.StatusCode, str]:
    return caught.value.code(), dict(caught.value.trailing_metadata())["atelier-reason"]


async def authorize(stack, viewer: str, image_ids: list[str]) -> set[str]:
    async with stack.channel("visibility") as channel:
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
    await change_plan(stack, "alice", "plus")
    stack.start_worker()
    request = submit_request()
    request.visibility = common.VISIBILITY_PRIVATE
    reply = await client.Submit(request)
    generation = await wait_finished(client, reply.generation.generation_id)
    ids = [i.image_id for i in generation.images]
    assert await authorize(stack, "alice", ids) == set(ids)
    assert await authorize(stack, "mallory", ids) == set()
    assert await authorize(stack, "", ids) == set()


async def test_out_of_credits_is_refused_with_its_reason_and_costs_nothing(stack, client, infra):
    # Another generation holds all but 3 of alice's credits.
    async with stack.channel("billing") as channel:
        await billing_pb2_grpc.BillingServiceStub(channel).ReserveCredits(
            billing_pb2.ReserveCreditsRequest(user_id="alice", generation_id="elsewhere", amount=22)
        )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request(num_images=4))
    assert refusal(caught) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "out_of_credits")
    assert "credits" in caught.value.details().lower()
    assert table_count(infra.database_url, "generations") == 0
    assert await balance(stack, "alice") == 3


async def test_the_plan_limits_generations_in_progress(stack, client, infra):
    first = await client.Submit(submit_request(prompt="a"))  # free: one at a time; no worker runs
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request(prompt="b"))
    assert refusal(caught) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "concurrency_limit")
    assert table_count(infra.database_url, "generations") == 1
    assert first.created
    assert await balance(stack, "alice") == 25 - 4  # the refused one's reservation was released


async def test_a_bare_client_cannot_claim_a_private_generation_for_a_free_user(stack, client, infra):
    """The request carries no entitlement: whatever a caller sends, the plan billing holds decides."""
    request = submit_request()
    request.visibility = common.VISIBILITY_PRIVATE
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(request)
    assert refusal(caught) == (grpc.StatusCode.PERMISSION_DENIED, "private_not_entitled")
    assert table_count(infra.database_url, "generations") == 0
    assert table_count(infra.database_url, "outbox") == 0
    assert await balance(stack, "alice") == 25
    assert ledger_kinds(infra, "alice") == ["grant"]  # nothing reserved, nothing released


async def test_twenty_parallel_submissions_get_exactly_the_plans_limit(stack, client, infra):
    await change_plan(stack, "alice", "plus")  # 1000 credits, 4 at a time
    start = await balance(stack, "alice")
    results = await asyncio.gather(
        *(client.Submit(submit_request(prompt=f"p{i}", num_images=1)) for i in range(20)), return_exceptions=True
    )
    accepted = [r for r in results if isinstance(r, generation_pb2.SubmitResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(accepted) == 4 and len(refused) == 16, results
    assert {(e.code(), dict(e.trailing_metadata())["atelier-reason"]) for e in refused} == {
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "concurrency_limit")
    }
    assert refused[0].details().endswith("your plan allows 4 at a time. Wait for one to finish or upgrade your plan.")
    assert table_count(infra.database_url, "generations") == 4
    assert await balance(stack, "alice") == start - 4  # the refused ones' reservations came back
    assert ledger_kinds(infra, "alice").count("release") == 16


async def test_the_service_records_the_seed_choice_and_the_visibility_choice(stack, client):
    await change_plan(stack, "alice", "pro")
    last = generation_pb2.GetLastVisibilityRequest(owner_id="alice")
    assert (await client.GetLastVisibility(last)).visibility == common.VISIBILITY_UNSPECIFIED

    chosen = submit_request(seed=42)
    chosen.visibility = common.VISIBILITY_PRIVATE
    first = (await client.Submit(chosen)).generation
    assert (first.seed, first.seed_chosen, first.visibility) == (42, True, common.VISIBILITY_PRIVATE)
    # Nothing asked: the last choice (private); the drawn seed is not the owner's choice.
    second = (await client.Submit(submit_request())).generation
    assert (second.seed_chosen, second.visibility) == (False, common.VISIBILITY_PRIVATE)
    # A retry's copy of a public original is not a new choice.
    copied = submit_request()
    copied.visibility, copied.visibility_copied = common.VISIBILITY_PUBLIC, True
    assert (await client.Submit(copied)).generation.visibility == common.VISIBILITY_PUBLIC
    assert (await client.GetLastVisibility(last)).visibility == common.VISIBILITY_PRIVATE
    again = await client.GetGeneration(
        generation_pb2.GetGenerationRequest(generation_id=first.generation_id, viewer_id="alice")
    )
    assert again.generation.seed_chosen


async def test_a_lapsed_plan_never_publishes_what_the_owner_last_kept_private(stack, client, infra):
    await change_plan(stack, "alice", "plus")
    private = submit_request()
    private.visibility = common.VISIBILITY_PRIVATE
    await client.Submit(private)
    await change_plan(stack, "alice", "free")  # from a paid plan: lapsed
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request(prompt="nothing asked"))
    assert refusal(caught) == (grpc.StatusCode.PERMISSION_DENIED, "remembered_private_not_entitled")
    assert table_count(infra.database_url, "generations") == 1


async def test_deleting_a_generation_removes_it_everywhere(stack, client, infra, object_store):
    stack.start_worker()
    reply = await client.Submit(submit_request())
    generation = await wait_finished(client, reply.generation.generation_id)
    ids = [i.image_id for i in generation.images]

    # Another user: as if it did not exist; nobody (no user token): refused before the handler.
    for actor, code in (("mallory", grpc.StatusCode.NOT_FOUND), ("", grpc.StatusCode.UNAUTHENTICATED)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.DeleteGeneration(
                generation_pb2.DeleteGenerationRequest(generation_id=generation.generation_id, actor_id=actor)
            )
        assert caught.value.code() == code
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

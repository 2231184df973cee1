"""The user a call acts for is a verified token, on the real services: a caller allowed a method
(the gateway, the feed) cannot name another user than the one the gateway signed for, and a
token that is missing, expired or signed by another key is refused before any handler runs."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1 import visibility_pb2 as common_pb2
from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from contracts import identities
from glue.user_token import METADATA_KEY
from tests.support.generation import SUCCEEDED, change_plan, submit_request, wait_finished
from tests.support.identity import as_user, user_token
from tools.devstack.pki import ensure_pki

pytestmark = pytest.mark.integration

ALICE, BOB = "alice", "bob"
DENIED, UNAUTHENTICATED = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED


@pytest.fixture
def stack(module_stack):
    """One stack and one generation of Bob's for the module: every call its tests make for him with
    a wrong token is refused, and the first test checks that his images are still his and private."""
    return module_stack


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bobs_private_generation(module_stack) -> generation_pb2.Generation:
    """Bob's private generation, made the normal way (the stack's channels sign for Bob, as the
    gateway does, and generation-api forwards his token to billing)."""
    stack = module_stack
    stack.start_feed()
    stack.start_worker()
    await change_plan(stack, BOB, "plus")
    request = submit_request(owner=BOB)
    request.visibility = common_pb2.VISIBILITY_PRIVATE
    async with stack.channel(identities.GENERATION_API) as channel:
        client = generation_pb2_grpc.GenerationServiceStub(channel)
        reply = await client.Submit(request)
        generation = await wait_finished(client, reply.generation.generation_id, owner=BOB)
    assert generation.status == SUCCEEDED and generation.images
    return generation


async def refusal(call) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return refused.value.code()


async def test_a_token_for_alice_cannot_read_or_act_for_bob(stack, bobs_private_generation):
    generation = bobs_private_generation
    image_ids = [image.image_id for image in generation.images]
    alices = as_user(ALICE, stack.pki)
    async with (
        stack.channel(identities.GENERATION_API, caller=identities.GATEWAY) as generation_channel,
        stack.channel(identities.BILLING, caller=identities.GATEWAY) as billing_channel,
        stack.channel(identities.VISIBILITY, caller=identities.GATEWAY) as visibility_channel,
        stack.channel(identities.FEED, caller=identities.GATEWAY) as feed_channel,
    ):
        generations = generation_pb2_grpc.GenerationServiceStub(generation_channel)
        billing = billing_pb2_grpc.BillingServiceStub(billing_channel)
        visibility = visibility_pb2_grpc.VisibilityServiceStub(visibility_channel)
        feed = feed_pb2_grpc.FeedServiceStub(feed_channel)
        as_bob_with_alices_token = [
            generations.BatchGetImages(
                generation_pb2.BatchGetImagesRequest(image_ids=image_ids, viewer_id=BOB), metadata=alices
            ),
            generations.GetGeneration(
                generation_pb2.GetGenerationRequest(generation_id=generation.generation_id, viewer_id=BOB),
                metadata=alices,
            ),
            generations.ListGenerations(generation_pb2.ListGenerationsRequest(owner_id=BOB), metadata=alices),
            generations.DeleteGeneration(
                generation_pb2.DeleteGenerationRequest(generation_id=generation.generation_id, actor_id=BOB),
                metadata=alices,
            ),
            billing.GetAccount(billing_pb2.GetAccountRequest(user_id=BOB), metadata=alices),
            visibility.Authorize(visibility_pb2.AuthorizeRequest(viewer_id=BOB, image_ids=image_ids), metadata=alices),
            visibility.BatchGetVisibility(
                visibility_pb2.BatchGetVisibilityRequest(owner_id=BOB, image_ids=image_ids), metadata=alices
            ),
            visibility.SetVisibility(
                visibility_pb2.SetVisibilityRequest(
                    actor_id=BOB, image_id=image_ids[0], visibility=common_pb2.VISIBILITY_PUBLIC
                ),
                metadata=alices,
            ),
            feed.Like(feed_pb2.LikeRequest(user_id=BOB, image_id=image_ids[0]), metadata=alices),
        ]
        for call in as_bob_with_alices_token:
            assert await refusal(call) is DENIED

        # Alice's own view of Bob's private images: nothing, as before.
        mine = await generations.BatchGetImages(
            generation_pb2.BatchGetImagesRequest(image_ids=image_ids, viewer_id=ALICE), metadata=alices
        )
        assert list(mine.images) == []
        # Bob's token still reads them, and nothing was changed or deleted by the refused calls.
        bobs = await generations.BatchGetImages(
            generation_pb2.BatchGetImagesRequest(image_ids=image_ids, viewer_id=BOB), metadata=as_user(BOB, stack.pki)
        )
        assert sorted(image.image_id for image in bobs.images) == sorted(image_ids)
        assert all(image.visibility == common_pb2.VISIBILITY_PRIVATE for image in bobs.images)


async def test_the_feed_may_read_for_nobody_but_not_name_a_user(stack, bobs_private_generation):
    image_ids = [image.image_id for image in bobs_private_generation.images]
    async with stack.channel(identities.GENERATION_API, caller=identities.FEED) as channel:
        generations = generation_pb2_grpc.GenerationServiceStub(channel)
        as_bob = generations.BatchGetImages(generation_pb2.BatchGetImagesRequest(image_ids=image_ids, viewer_id=BOB))
        assert await refusal(as_bob) is UNAUTHENTICATED
        # Anonymous: public images only, so none of Bob's private ones.
        anonymous = await generations.BatchGetImages(generation_pb2.BatchGetImagesRequest(image_ids=image_ids))
        assert list(anonymous.images) == []


async def test_an_expired_or_foreign_token_is_unauthenticated(stack, bobs_private_generation):
    generation = bobs_private_generation
    foreign = ensure_pki(Path(tempfile.mkdtemp(prefix="atelier-foreign-pki-")))
    tokens = {
        "expired": user_token(BOB, stack.pki, now=time.time() - 120),
        "another key": user_token(BOB, foreign),
        "garbage": "not.a.token",
    }
    request = generation_pb2.GetGenerationRequest(generation_id=generation.generation_id, viewer_id=BOB)
    async with (
        stack.channel(identities.GENERATION_API, caller=identities.GATEWAY) as generation_channel,
        stack.channel(identities.BILLING, caller=identities.GATEWAY) as billing_channel,
    ):
        generations = generation_pb2_grpc.GenerationServiceStub(generation_channel)
        billing = billing_pb2_grpc.BillingServiceStub(billing_channel)
        for what, token in tokens.items():
            metadata = ((METADATA_KEY, token),)
            assert await refusal(generations.GetGeneration(request, metadata=metadata)) is UNAUTHENTICATED, what
            account = billing.GetAccount(billing_pb2.GetAccountRequest(user_id=BOB), metadata=metadata)
            assert await refusal(account) is UNAUTHENTICATED, what
        assert await refusal(generations.GetGeneration(request)) is UNAUTHENTICATED  # no token at all

"""A style reference on real servers (visibility authority, billing, the worker, Triton): someone
else's public image may condition a generation, but only while it stays visible: made private
between the submission and the job's start, the job fails in the words of a missing one and the
credits come back."""

from __future__ import annotations

import pytest

from atelier.common.v1 import visibility_pb2 as common
from services.generation.worker import STYLE_REFERENCE_GONE_MESSAGE
from tests.integration.test_generation_actions import generate, set_visibility
from tests.support.generation import FAILED, change_plan, credit_balance, submit_request, wait_finished
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


async def test_a_reference_made_private_before_the_job_starts_fails_it_in_the_missing_words(stack, client):
    stack.start_worker()
    await change_plan(stack, "carol", "plus")
    reference = (await generate(client, "carol", visibility=common.VISIBILITY_PUBLIC)).images[0]
    stack.stop("generation-worker")
    before = await credit_balance(stack, "bob")
    reply = await client.Submit(submit_request("bob", num_images=1, seed=3, style_image_id=reference.image_id))
    assert await credit_balance(stack, "bob") == before - 1  # reserved
    await set_visibility(stack, "carol", reference.image_id, common.VISIBILITY_PRIVATE)

    stack.start_worker()
    result = await wait_finished(client, reply.generation.generation_id, "bob")

    assert result.status == FAILED
    assert result.error == STYLE_REFERENCE_GONE_MESSAGE == "The style reference image is no longer available."
    assert not result.images

    async def refunded() -> bool:
        return await credit_balance(stack, "bob") == before

    await eventually(refunded, "the generation's credit refunded", 20, interval=0.2)

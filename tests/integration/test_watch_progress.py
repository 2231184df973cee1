"""WatchProgress on real servers: the generation service relays a generation's live previews to its
owner only (the gateway has no NATS access; issue 10: "only the progress of generations it asked for")."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import nats
import pytest

from atelier.generation.v1 import events_pb2, generation_pb2, generation_pb2_grpc
from contracts import identities
from tests.support.generation import submit_request
from tests.support.identity import as_user

pytestmark = pytest.mark.integration


# One stack for the module: each test watches generations of its own, and none stops a service.
@pytest.fixture
def stack(module_stack):
    return module_stack


@pytest.fixture
def client(module_client):
    return module_client


@pytest.fixture
def infra(module_stack):
    return module_stack.infra


# A user may have one generation queued at a time (no worker runs here): a user of each test's own.
@pytest.fixture
def alice() -> str:
    return f"alice-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def bob() -> str:
    return f"bob-{uuid.uuid4().hex[:8]}"


async def publish(nats_url: str, generation_id: str, owner_id: str, step: int, finished: bool = False) -> None:
    """As the worker does (the admin here, which may publish anything)."""
    client = await nats.connect(nats_url)
    try:
        progress = events_pb2.GenerationProgress(
            generation_id=generation_id,
            owner_id=owner_id,
            step=step,
            total=20,
            previews_png=[] if finished else [b"\x89PNG-not-really"],
            finished=finished,
        )
        await client.publish(f"atelier.progress.{generation_id}", progress.SerializeToString())
        await client.flush()
    finally:
        await client.close()


def watch(client, generation_id: str, viewer_id: str):
    return client.WatchProgress(generation_pb2.WatchProgressRequest(generation_id=generation_id, viewer_id=viewer_id))


async def test_the_owner_gets_the_previews_of_this_generation_only(client, infra, alice, bob) -> None:
    generation_id = (await client.Submit(submit_request(owner=alice))).generation.generation_id
    other_id = (await client.Submit(submit_request(owner=bob))).generation.generation_id
    call = watch(client, generation_id, alice)
    first = await asyncio.wait_for(call.read(), 30)
    assert first.listening

    # Another generation's previews, and a message on this subject that names another owner, are not relayed.
    await publish(infra.nats_url, other_id, bob, step=9)
    await publish(infra.nats_url, generation_id, "mallory", step=8)
    await publish(infra.nats_url, generation_id, alice, step=5)
    await publish(infra.nats_url, generation_id, alice, step=20, finished=True)
    replies = [reply async for reply in _rest(call)]
    assert [(r.step, r.total, len(r.previews_png), r.finished) for r in replies] == [
        (5, 20, 1, False),
        (20, 20, 0, True),
    ]


async def _rest(call):
    while (reply := await asyncio.wait_for(call.read(), 30)) is not grpc.aio.EOF:
        yield reply


@pytest.mark.parametrize("viewer", ["bob", ""])
async def test_anyone_but_the_owner_is_told_not_found(client, alice, viewer: str) -> None:
    generation_id = (await client.Submit(submit_request(owner=alice))).generation.generation_id
    for asked in (generation_id, str(uuid.uuid4()), "*", "atelier.progress.>"):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await watch(client, asked, viewer).read()
        assert (refused.value.code(), refused.value.details()) == (grpc.StatusCode.NOT_FOUND, "generation not found")


@pytest.mark.parametrize("caller", [identities.FEED, identities.GENERATION_WORKER, identities.BILLING])
async def test_only_the_gateway_may_watch(stack, client, alice, caller: str) -> None:
    generation_id = (await client.Submit(submit_request(owner=alice))).generation.generation_id
    async with stack.channel(identities.GENERATION_API, caller=caller) as channel:
        stub = generation_pb2_grpc.GenerationServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await watch(stub, generation_id, alice).read()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_viewer_named_must_be_the_user_the_gateway_signed_for(stack, client, alice, bob) -> None:
    """Acting for a user is a verified user token (glue.on_behalf): bob's token cannot watch as alice."""
    generation_id = (await client.Submit(submit_request(owner=alice))).generation.generation_id
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        request = generation_pb2.WatchProgressRequest(generation_id=generation_id, viewer_id=alice)
        await client.WatchProgress(request, metadata=as_user(bob, stack.pki)).read()
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED

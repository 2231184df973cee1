"""The generation path on real servers: gRPC Submit → outbox → JetStream → worker → Triton →
object store → ImagesReady, and what happens when parts of it fail."""

from __future__ import annotations

import asyncio
import functools
import io
import time
import uuid

import grpc
import httpx
import nats
import psycopg
import pytest
from PIL import Image

from atelier.generation.v1 import events_pb2, generation_pb2
from glue.events import make_envelope
from services.generation.worker import UNAVAILABLE_MESSAGE
from tests.support.events import stream_events, stream_messages
from tests.support.generation import FAILED, SUCCEEDED, change_plan, submit_request, table_count, wait_finished
from tests.support.waiting import eventually, outbox_published, streams_exist
from tools.devstack import free_port

pytestmark = pytest.mark.integration


async def test_a_prompt_becomes_four_stored_images_announced_once(stack, client, infra, object_store):
    nc = await nats.connect(infra.nats_url)
    progress = []
    await nc.subscribe("atelier.progress.*", cb=functools.partial(_collect, progress))
    metrics_port = free_port()
    stack.start_worker(ATELIER_METRICS_PORT=str(metrics_port))

    api_key_id = str(uuid.uuid4())
    reply = await client.Submit(submit_request(seed=7, steps=20, api_key_id=api_key_id))
    assert reply.created
    generation = await wait_finished(client, reply.generation.generation_id)
    await nc.close()

    assert generation.status == SUCCEEDED, generation.error
    assert [i.seed for i in generation.images] == [7, 8, 9, 10]
    for image in generation.images:
        png = object_store.client().get_object(object_store.bucket, image.object_key).read()
        assert Image.open(io.BytesIO(png)).size == (image.width, image.height) == (512, 512)
        # Keys are unguessable: they carry no id, index pattern or owner a stranger could enumerate.
        assert generation.generation_id not in image.object_key and "alice" not in image.object_key
    previews = [p for p in progress if p.generation_id == generation.generation_id and not p.finished]
    steps = [p.step for p in previews]
    assert steps and steps == sorted(steps) and all(p.previews_png for p in previews)
    assert progress[-1].finished and not progress[-1].previews_png

    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    assert 'atelier_generations_finished_total{status="succeeded"} 1.0' in metrics
    assert "atelier_generation_end_to_end_seconds_count 1.0" in metrics
    assert 'atelier_jetstream_consumer_pending_messages{consumer="generation-worker"' in metrics

    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    assert len(ready) == 1
    assert sorted(i.image_id for i in ready[0].images) == sorted(i.image_id for i in generation.images)
    assert ready[0].owner_id == "alice" and ready[0].visibility_version == 1
    # The key it was submitted with, for the owner's key-scoped webhooks; never in the generation itself.
    assert ready[0].api_key_id == api_key_id and api_key_id not in str(generation)


async def test_steps_left_unset_are_the_models_default_and_set_steps_are_honoured(stack, client, infra):
    """The service records "unset" (0) and learns the count from the model, which runs its own default
    (the test stack's procedural pipeline: 20)."""
    nc = await nats.connect(infra.nats_url)
    progress = []
    await nc.subscribe("atelier.progress.*", cb=functools.partial(_collect, progress))
    stack.start_worker()

    # One after the other: alice's free plan allows one generation in progress at a time.
    unset = await client.Submit(submit_request(num_images=1))
    assert (unset.generation.params.steps, unset.generation.progress_total) == (0, 0)  # not known yet
    finished = [await wait_finished(client, unset.generation.generation_id)]
    explicit = await client.Submit(submit_request(num_images=1, steps=7))
    finished.append(await wait_finished(client, explicit.generation.generation_id))
    await nc.close()

    assert [g.status for g in finished] == [SUCCEEDED, SUCCEEDED]
    assert [(g.params.steps, g.progress_step, g.progress_total) for g in finished] == [(0, 20, 20), (7, 7, 7)]
    totals = {(p.generation_id, p.total) for p in progress if not p.finished}
    assert totals == {(finished[0].generation_id, 20), (finished[1].generation_id, 7)}


async def _collect(into: list, msg) -> None:
    event = events_pb2.GenerationProgress()
    event.ParseFromString(msg.data)
    into.append(event)


async def test_only_the_owner_sees_a_generation(stack, client):
    reply = await client.Submit(submit_request())
    for viewer in ("mallory", ""):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await client.GetGeneration(
                generation_pb2.GetGenerationRequest(generation_id=reply.generation.generation_id, viewer_id=viewer)
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await client.GetGeneration(
            generation_pb2.GetGenerationRequest(generation_id="00000000-0000-0000-0000-000000000000", viewer_id="alice")
        )
    assert missing.value.details() == caught.value.details()


async def test_repeating_an_idempotency_key_returns_the_same_generation(stack, client, infra):
    first = await client.Submit(submit_request(key="click-1"))
    again = await client.Submit(submit_request(key="click-1"))
    assert (first.created, again.created) == (True, False)
    assert again.generation.generation_id == first.generation.generation_id
    other_user = await client.Submit(submit_request(owner="bob", key="click-1"))
    assert other_user.created
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Submit(submit_request(key="click-1", prompt="something else"))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "different request" in caught.value.details()
    await eventually(lambda: outbox_published(infra.database_url, "generation"), "the relay publishing the requests")
    requested = await stream_messages(infra.nats_url, "GENERATION", "atelier.generation.requested")
    assert table_count(infra.database_url, "generations") == 2
    assert len(requested) == 2


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"prompt": ""}, "prompt: must not be empty"),
        ({"prompt": "x" * 1001}, "at most 1000"),
        ({"num_images": 9}, "num_images: must be between 1 and 8"),
        ({"aspect_ratio": "5:1"}, "aspect_ratio"),
        ({"api_key_id": "not-a-key-id"}, "api_key_id: not a UUID"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(module_stack, module_client, params, words):
    """The cases share one stack (module_stack), which only they use: nothing any of them sent is stored."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await module_client.Submit(submit_request(**params))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in caught.value.details()
    assert table_count(module_stack.infra.database_url, "generations") == 0
    assert table_count(module_stack.infra.database_url, "outbox") == 0


async def test_a_worker_killed_mid_generation_is_replaced_and_the_images_come_once(stack, client, infra):
    nc = await nats.connect(infra.nats_url)
    first_progress = asyncio.Event()
    await nc.subscribe("atelier.progress.*", cb=functools.partial(_set, first_progress))
    stack.start_worker("worker-a")
    reply = await client.Submit(submit_request(steps=100))
    await asyncio.wait_for(first_progress.wait(), 60)
    stack.kill("worker-a")
    await nc.close()
    assert (
        await client.GetGeneration(
            generation_pb2.GetGenerationRequest(generation_id=reply.generation.generation_id, viewer_id="alice")
        )
    ).generation.status != SUCCEEDED

    stack.start_worker("worker-b")
    generation = await wait_finished(client, reply.generation.generation_id)
    assert generation.status == SUCCEEDED, generation.error
    assert len(generation.images) == 4
    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    assert len(ready) == 1
    assert table_count(infra.database_url, "images") == 4
    with psycopg.connect(infra.database_url) as conn:
        assert conn.execute("SELECT attempts FROM generation.generations").fetchone()[0] == 2


async def _set(event: asyncio.Event, _msg) -> None:
    event.set()


async def test_triton_down_past_the_outage_limit_fails_with_a_clear_error(stack, client, infra):
    stack.start_worker(
        ATELIER_TRITON_URL=f"127.0.0.1:{free_port()}", ATELIER_INFERENCE_ATTEMPTS="3", ATELIER_TRITON_OUTAGE_LIMIT_S="1"
    )
    started = time.monotonic()
    reply = await client.Submit(submit_request())
    generation = await wait_finished(client, reply.generation.generation_id)
    assert generation.status == FAILED
    assert generation.error == UNAVAILABLE_MESSAGE
    assert not generation.images
    # Three attempts with 0.2 s and 0.4 s back-off between them: retried, and bounded.
    assert time.monotonic() - started >= 0.6
    failed = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.failed", events_pb2.GenerationFailed)
    assert [f.generation_id for f in failed] == [generation.generation_id]
    assert "retrying" in stack.logs() and "holding the generation until it is back" in stack.logs()


async def test_nats_and_relay_restarts_lose_no_generation(stack, client, infra, own_nats):
    await change_plan(stack, "alice", "plus")  # three at once
    stack.start_worker()
    own_nats.stop()
    submitted = [
        (await client.Submit(submit_request(prompt=f"a green star on a black background {n}"))) for n in range(3)
    ]
    # The relay dies too, with events still in its outbox.
    stack.kill("generation-api")
    assert table_count(infra.database_url, "outbox") == 3
    own_nats.start()
    stack.start_generation_api()
    for reply in submitted:
        generation = await wait_finished(client, reply.generation.generation_id, timeout=120)
        assert generation.status == SUCCEEDED, generation.error
    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    assert sorted(r.generation_id for r in ready) == sorted(s.generation.generation_id for s in submitted)


async def test_a_poison_message_is_dead_lettered_and_the_worker_keeps_serving(stack, client, infra):
    stack.start_worker()
    nc = await nats.connect(infra.nats_url)
    js = nc.jetstream()
    await streams_exist(infra.nats_url, "GENERATION", "DEADLETTER")  # the worker provisions them
    await js.publish("atelier.generation.requested", b"\x00not an envelope")
    unknown = events_pb2.GenerationRequested(generation_id="00000000-0000-0000-0000-00000000beef")
    await js.publish("atelier.generation.requested", make_envelope(unknown, {}).SerializeToString())
    await nc.close()

    reply = await client.Submit(submit_request())
    generation = await wait_finished(client, reply.generation.generation_id)
    assert generation.status == SUCCEEDED

    dead = await stream_messages(infra.nats_url, "DEADLETTER", "atelier.deadletter.>")
    reasons = sorted(m.headers["Atelier-Dead-Letter-Reason"] for m in dead)
    assert len(dead) == 2
    assert "does not exist" in reasons[0] and "not an EventEnvelope" in reasons[1]

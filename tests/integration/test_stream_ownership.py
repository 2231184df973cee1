"""Each JetStream stream is created by its owning service only (contracts/); a consumer of another
domain's stream started first waits for it, then binds and misses nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator, Iterator

import nats
import nats.js.errors
import pytest

from atelier.generation.v1 import events_pb2
from contracts import billing, generation
from contracts.streams import StreamSpec
from glue.consumer import ConsumerSpec, Delivery, run_consumer
from glue.events import DEAD_LETTER_STREAM, ensure_streams, make_envelope
from services.billing.events import GENERATION_FAILED_DURABLE, IMAGES_READY_DURABLE
from tests.support.services import Infra, ServiceStack
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

WAIT_S = 60.0


async def stream_names(js) -> set[str]:
    return {info.config.name for info in await js.streams_info()}


async def test_a_consumer_started_before_the_owner_waits_then_gets_what_the_owner_publishes(nats_url, caplog):
    caplog.set_level(logging.WARNING, logger="glue.consumer")
    prefix = f"t{uuid.uuid4().hex[:10]}"
    owned = StreamSpec(f"OWNED_{prefix.upper()}", (f"{prefix}.>",))
    subject = f"{prefix}.images_ready"
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    received: asyncio.Queue[events_pb2.ImagesReady] = asyncio.Queue()

    async def handle(event: events_pb2.ImagesReady, delivery: Delivery) -> None:
        await received.put(event)

    consumer = asyncio.create_task(
        run_consumer(js, ConsumerSpec(owned.name, f"{prefix}-reader", subject, events_pb2.ImagesReady), handle)
    )
    try:

        async def said_it_waits() -> bool:
            if consumer.done():
                consumer.result()  # raises what ended it
                raise AssertionError("the consumer ended instead of waiting for the stream")
            return any(r.getMessage() == "consumer waiting for its stream" for r in caplog.records)

        await eventually(said_it_waits, "the consumer to report that it waits", WAIT_S, interval=0.05)
        assert owned.name not in await stream_names(js), "the consumer created a stream it does not own"

        # The owner starts: creates its stream and publishes, maybe before the consumer has bound.
        await ensure_streams(js, [owned])
        sent = events_pb2.ImagesReady(generation_id=str(uuid.uuid4()), owner_id="alice")
        await js.publish(subject, make_envelope(sent, {}).SerializeToString())

        assert await asyncio.wait_for(received.get(), WAIT_S) == sent
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await nc.close()


# ---------------------------------------------------------------- real service processes


@pytest.fixture
def stack(postgres_url, own_nats, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(Infra.without_media(postgres_url, own_nats.url), tmp_path / "logs")
    try:
        yield services
    finally:
        services.stop_all()


@pytest.fixture
async def js(own_nats) -> AsyncIterator:
    nc = await nats.connect(own_nats.url)
    yield nc.jetstream()
    await nc.close()


async def test_a_consuming_service_started_alone_creates_no_stream_of_another_domain(stack, js):
    stack.start_feed()
    stack.start_billing()  # reads the generation stream, owns the billing stream

    assert await stream_names(js) == {billing.STREAM, DEAD_LETTER_STREAM}

    # The generation service comes up: billing's consumers bind to its stream.
    await ensure_streams(js, [generation.STREAM_SPEC])

    async def billing_consumers_bound() -> bool:
        try:
            for durable in (IMAGES_READY_DURABLE, GENERATION_FAILED_DURABLE):
                await js.consumer_info(generation.STREAM, durable)
        except nats.js.errors.NotFoundError:
            return False
        return True

    await eventually(
        billing_consumers_bound, "billing's consumers to bind to the generation stream", WAIT_S, interval=0.05
    )
    assert stack.log_path("billing").read_text().count("consumer waiting for its stream") >= 1


async def test_an_operators_stream_settings_survive_the_owners_restart(stack, js):
    """On one node replicas cannot go above 1, so the operator's change here is one the server
    stores the same way (max_bytes, max_msgs, max_msgs_per_subject); replicas on a 3-node cluster:
    test_stream_replicas_cluster.py."""
    stack.start_billing()  # owns BILLING: provisions it at start
    created = (await js.stream_info(billing.STREAM)).config
    operated = dataclasses.replace(created, max_bytes=64 * 1024 * 1024, max_msgs=100_000, max_msgs_per_subject=50_000)
    await js.update_stream(operated)  # an operator, through the JetStream API

    stack.stop("billing")
    stack.start_billing()  # its start-up provisioning runs again

    after = (await js.stream_info(billing.STREAM)).config
    assert (after.max_bytes, after.max_msgs, after.max_msgs_per_subject) == (64 * 1024 * 1024, 100_000, 50_000)
    assert (after.subjects, after.num_replicas) == (created.subjects, 1)


async def test_a_contract_change_reaches_the_stream_without_undoing_the_operator(js):
    spec = StreamSpec(
        f"CONTRACT_{uuid.uuid4().hex[:8].upper()}", ("contract.a.>",), max_age_s=3600, duplicate_window_s=60
    )
    await ensure_streams(js, [spec])
    created = (await js.stream_info(spec.name)).config
    await js.update_stream(dataclasses.replace(created, max_bytes=1024 * 1024))

    changed = StreamSpec(spec.name, ("contract.a.>", "contract.b.>"), max_age_s=7200, duplicate_window_s=60)
    await ensure_streams(js, [changed])

    after = (await js.stream_info(spec.name)).config
    assert (after.subjects, after.max_age, after.max_bytes) == (["contract.a.>", "contract.b.>"], 7200, 1024 * 1024)

"""The generation worker against a slow Triton (each batch held ATELIER_TXT2IMG_HOLD_S, without a
response, as a request queued on a busy GPU would be): SIGTERM drains instead of dropping the
generation in hand, heartbeats keep a long request from running twice, and a Triton outage holds
generations instead of failing them."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import psycopg
import pytest

from atelier.generation.v1 import events_pb2, generation_pb2
from contracts.generation import STREAM
from services.generation.worker import WORKER_DURABLE
from tests.conftest import MODEL_REPOSITORY
from tests.support.events import stream_events
from tests.support.generation import SUCCEEDED, submit_request, table_count, wait_finished
from tests.support.waiting import eventually, wait_until
from tools.devstack import TritonServer, free_ports

pytestmark = pytest.mark.integration

HOLD_S = 6.0
# Well under the hold: without heartbeats JetStream would redeliver twice during one request.
ACK_WAIT_S = "2"


@pytest.fixture(scope="module")
def slow_triton(server_data_root: Path) -> Iterator[TritonServer]:
    http_port, grpc_port, metrics_port = free_ports(3)
    server = TritonServer(
        MODEL_REPOSITORY,
        http_port,
        grpc_port,
        metrics_port,
        server_data_root / "slow-triton",
        pipeline="procedural",
        extra_env={"ATELIER_TXT2IMG_HOLD_S": str(HOLD_S)},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def triton_url(slow_triton: TritonServer) -> str:
    """The stacks of this module talk to the slow Triton."""
    if not slow_triton.is_running():
        slow_triton.start()
    return slow_triton.grpc_url


async def _worker_consumer(nats_url: str):
    nc = await nats.connect(nats_url)
    try:
        return await nc.jetstream().consumer_info(STREAM, WORKER_DURABLE)
    finally:
        await nc.close()


def _attempts(database_url: str, generation_id: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT attempts FROM generation.generations WHERE id = %s", (generation_id,)).fetchone()
    assert row is not None
    return row[0]


async def _assert_ran_once(client, infra, generation_id: str) -> None:
    generation = await wait_finished(client, generation_id)
    assert generation.status == SUCCEEDED, generation.error
    assert len(generation.images) == 4
    ready = await stream_events(infra.nats_url, "GENERATION", "atelier.generation.images_ready", events_pb2.ImagesReady)
    assert [r.generation_id for r in ready] == [generation_id]
    assert table_count(infra.database_url, "images") == 4
    assert _attempts(infra.database_url, generation_id) == 1
    consumer = await _worker_consumer(infra.nats_url)
    assert consumer.delivered.consumer_seq == 1, "the request was delivered more than once"
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0


async def _running(client, generation_id: str) -> bool:
    reply = await client.GetGeneration(
        generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id="alice")
    )
    return reply.generation.status == generation_pb2.GENERATION_STATUS_RUNNING


async def test_sigterm_lets_the_generation_in_hand_finish_once_and_exits_0(stack, client, infra):
    worker = stack.start_worker(ATELIER_WORKER_ACK_WAIT_S=ACK_WAIT_S, ATELIER_WORKER_DRAIN_TIMEOUT_S="60")
    reply = await client.Submit(submit_request())
    generation_id = reply.generation.generation_id
    await eventually(lambda: _running(client, generation_id), "the worker took the generation", timeout=60)

    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGTERM)
    popen = worker._popen
    assert popen is not None
    exit_code = wait_until(lambda: popen.poll() is not None and (popen.returncode,), "the worker exits", timeout=60)

    assert exit_code == (0,), stack.logs()
    await _assert_ran_once(client, infra, generation_id)


async def test_a_request_held_longer_than_the_ack_wait_runs_once(stack, client, infra, slow_triton):
    # Two workers: a redelivery (no heartbeat within the ack wait) would go to the idle one.
    stack.start_worker("worker-a", ATELIER_WORKER_ACK_WAIT_S=ACK_WAIT_S)
    stack.start_worker("worker-b", ATELIER_WORKER_ACK_WAIT_S=ACK_WAIT_S)
    batches_before = sum(slow_triton.executed_batches().values())

    reply = await client.Submit(submit_request())
    await _assert_ran_once(client, infra, reply.generation.generation_id)
    assert sum(slow_triton.executed_batches().values()) == batches_before + 1


async def test_a_triton_outage_holds_the_generation_until_triton_is_back(stack, client, infra, slow_triton):
    slow_triton.stop()
    try:
        stack.start_worker(ATELIER_WORKER_ACK_WAIT_S=ACK_WAIT_S, ATELIER_INFERENCE_RETRY_BASE_S="0.2")
        reply = await client.Submit(submit_request())
        generation_id = reply.generation.generation_id
        outage_began = time.monotonic()
        while time.monotonic() - outage_began < 12:
            generation = (
                await client.GetGeneration(
                    generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id="alice")
                )
            ).generation
            assert generation.status != generation_pb2.GENERATION_STATUS_FAILED, generation.error
            await asyncio.sleep(0.5)
    finally:
        slow_triton.start()
    generation = await wait_finished(client, generation_id, timeout=120)
    assert generation.status == SUCCEEDED, generation.error
    assert "holding the generation until it is back" in stack.logs()

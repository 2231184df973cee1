"""Stream replicas on a real 3-node JetStream cluster (three nats-server processes on this machine):
the owner's start-up provisioning raises replicas to ATELIER_STREAM_REPLICAS and never lowers an
operator's (issue 12: "an operator's replica count survives a restart")."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import nats.errors
import nats.js.errors
import pytest

from contracts.streams import StreamSpec
from glue.events import ensure_streams
from tools.devstack import NatsServer, free_port
from tools.devstack.nats import ClusterMembership
from tools.devstack.secrets import generate_secret

pytestmark = pytest.mark.integration

NODES = 3
READY_S = 90.0


@pytest.fixture
def cluster() -> Iterator[list[NatsServer]]:
    root = Path(tempfile.mkdtemp(prefix="atelier-nats-cluster-"))
    route_ports = tuple(free_port() for _ in range(NODES))
    admin_password = generate_secret()
    nodes = [
        NatsServer(
            root / f"node{i}",
            free_port(),
            admin_password=admin_password,
            cluster=ClusterMembership(f"node{i}", route_ports[i], route_ports),
        )
        for i in range(NODES)
    ]
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def js(cluster: list[NatsServer]) -> AsyncIterator:
    nc = await nats.connect(cluster[0].url)
    js = nc.jetstream(timeout=10)
    deadline = time.monotonic() + READY_S
    while True:  # the nodes elect a meta leader first
        try:
            if (await js.account_info()) is not None:
                break
        except (nats.js.errors.APIError, nats.errors.TimeoutError, nats.errors.NoRespondersError):
            assert time.monotonic() < deadline, "the JetStream cluster did not form"
            await asyncio.sleep(0.5)
    yield js
    await nc.close()


async def replicas(js, name: str) -> tuple[int, int]:
    """(configured replicas, followers that really hold a copy besides the leader); followers join
    a stream scaled up a moment later, so this waits for them up to a limit."""
    deadline = time.monotonic() + 30
    while True:
        info = await js.stream_info(name)
        followers = len(info.cluster.replicas or []) if info.cluster else 0
        if followers >= info.config.num_replicas - 1 or time.monotonic() > deadline:
            return info.config.num_replicas, followers
        await asyncio.sleep(0.2)


async def test_an_operators_replicas_survive_the_owners_start_and_the_setting_only_raises(js) -> None:
    spec = StreamSpec(f"REPLICAS_{uuid.uuid4().hex[:8].upper()}", (f"r{uuid.uuid4().hex[:8]}.>",))
    await ensure_streams(js, [spec], replicas=1)
    assert (await replicas(js, spec.name))[0] == 1

    # The operator gives it 3 copies through the JetStream API...
    current = (await js.stream_info(spec.name)).config
    await js.update_stream(dataclasses.replace(current, num_replicas=3, max_bytes=8 * 1024 * 1024))
    # ...and the owner restarts with the default setting (1): nothing is put back.
    await ensure_streams(js, [spec], replicas=1)
    after = (await js.stream_info(spec.name)).config
    assert (after.num_replicas, after.max_bytes) == (3, 8 * 1024 * 1024)
    assert (await replicas(js, spec.name))[1] == 2  # two followers really hold copies


async def test_the_setting_raises_replicas_of_an_existing_stream(js) -> None:
    spec = StreamSpec(f"RAISED_{uuid.uuid4().hex[:8].upper()}", (f"s{uuid.uuid4().hex[:8]}.>",))
    await ensure_streams(js, [spec], replicas=1)
    await ensure_streams(js, [spec], replicas=3)
    assert await replicas(js, spec.name) == (3, 2)

"""Stacks of real service processes for integration tests: one NATS and one fresh database per
test, the session's Postgres, object store and Triton."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from atelier.generation.v1 import generation_pb2_grpc
from tests.support.services import Infra, ServiceStack
from tools.devstack import NatsServer, free_port

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration runs against real servers, so `-m integration` selects
    it and `-m "not integration"` leaves it out, whether or not a module says so itself."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def own_nats() -> Iterator[NatsServer]:
    """Each stack gets its own NATS: streams and durable consumers would otherwise be shared
    between tests, and one test's worker would take another test's events."""
    data = Path(tempfile.mkdtemp(prefix="atelier-nats-"))
    server = NatsServer(data, free_port())
    server.start()
    yield server
    server.stop()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def infra(postgres_url, own_nats, object_store, triton_url) -> Infra:
    return Infra.on(postgres_url, own_nats.url, object_store, triton_url)


@pytest.fixture
def stack(infra, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(
        infra,
        tmp_path / "logs",
        overrides={
            "ATELIER_WORKER_ACK_WAIT_S": "4",
            "ATELIER_INFERENCE_RETRY_BASE_S": "0.2",
            # A worker stopped mid-generation at a test's end drains within the stack's stop grace (15 s).
            "ATELIER_WORKER_DRAIN_TIMEOUT_S": "5",
        },
    )
    try:
        yield services
    finally:
        services.stop_all()


@pytest.fixture
async def client(stack) -> AsyncIterator[generation_pb2_grpc.GenerationServiceStub]:
    with stack.started_together():
        stack.start_billing()
        stack.start_visibility()
        stack.start_generation_api()
    async with stack.channel("generation-api") as channel:
        yield generation_pb2_grpc.GenerationServiceStub(channel)

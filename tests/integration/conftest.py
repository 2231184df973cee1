"""Stacks of real service processes for integration tests: one NATS and one fresh database per
test (or per module: module_stack), the session's Postgres, object store and Triton."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from atelier.generation.v1 import generation_pb2_grpc
from tests.integration.test_privacy_support import Platform, running_platform
from tests.support.last_user import StopsAfterLastUser
from tests.support.services import Infra, ServiceStack
from tools.devstack import NatsServer, free_port

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration runs against real servers, so `-m integration` selects
    it and `-m "not integration"` leaves it out, whether or not a module says so itself."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)
    _shared_platform.collected(items)


# The shared platform stops after the last test that uses it rather than at the session's end: idle,
# its nine processes would still poll (about 3% of a core) through every later tier.
_shared_platform = StopsAfterLastUser("shared_platform")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    _shared_platform.torn_down(item)


@contextmanager
def running_nats() -> Iterator[NatsServer]:
    data = Path(tempfile.mkdtemp(prefix="atelier-nats-"))
    server = NatsServer(data, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture
def own_nats() -> Iterator[NatsServer]:
    """Each stack gets its own NATS: streams and durable consumers would otherwise be shared
    between tests, and one test's worker would take another test's events."""
    with running_nats() as server:
        yield server


@pytest.fixture
def infra(postgres_url, own_nats, object_store, triton_url) -> Infra:
    return Infra.on(postgres_url, own_nats.url, object_store, triton_url)


STACK_OVERRIDES = {
    "ATELIER_WORKER_ACK_WAIT_S": "4",
    "ATELIER_INFERENCE_RETRY_BASE_S": "0.2",
    # A worker stopped mid-generation at a test's end drains within the stack's stop grace (15 s).
    "ATELIER_WORKER_DRAIN_TIMEOUT_S": "5",
}


@pytest.fixture
def stack(infra, tmp_path) -> Iterator[ServiceStack]:
    services = ServiceStack(infra, tmp_path / "logs", overrides=STACK_OVERRIDES)
    try:
        yield services
    finally:
        services.stop_all()


def start_generation_services(stack: ServiceStack) -> None:
    """What `client` calls: billing, visibility and the generation API (no worker)."""
    with stack.started_together():
        stack.start_billing()
        stack.start_visibility()
        stack.start_generation_api()


@pytest.fixture
async def client(stack) -> AsyncIterator[generation_pb2_grpc.GenerationServiceStub]:
    start_generation_services(stack)
    async with stack.channel("generation-api") as channel:
        yield generation_pb2_grpc.GenerationServiceStub(channel)


@pytest.fixture(scope="module")
def module_stack(postgres_url, object_store, triton_url, tmp_path_factory) -> Iterator[ServiceStack]:
    """The `client` stack (its own NATS and database, billing, visibility and the generation API, no
    worker) once for all the tests of a module that each submit generations of their own and neither
    stop a service nor count rows another test could add (no worker runs, and a user may have one
    generation queued at a time: each test's users are its own). A stack's start and stop costs ~3 s."""
    with running_nats() as nats_server:
        infra = Infra.on(postgres_url, nats_server.url, object_store, triton_url)
        services = ServiceStack(infra, tmp_path_factory.mktemp("module-stack") / "logs", overrides=STACK_OVERRIDES)
        try:
            start_generation_services(services)
            yield services
        finally:
            services.stop_all()


@pytest.fixture
async def module_client(module_stack) -> AsyncIterator[generation_pb2_grpc.GenerationServiceStub]:
    """A channel of this test's own to the module's generation API (module_stack)."""
    async with module_stack.channel("generation-api") as channel:
        yield generation_pb2_grpc.GenerationServiceStub(channel)


@pytest.fixture(scope="session")
def shared_platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    """One whole platform (every service, webhooks included, default settings) for the public-API
    modules that need no setting of their own: each of their tests signs up users of its own, so none
    sees another's images, credits or events. A platform's start and stop costs ~10-40 s; a module with
    settings of its own (or one that stops a service) runs its own `running_platform`."""
    running = _shared_platform.running.enter_context(running_platform(postgres_url, object_store, triton_url))
    running.stack.start_webhooks()
    yield running
    _shared_platform.running.close()


@pytest.fixture(scope="session")
def mounted_weights_triton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One tritonserver serving every image action's mounted-weights path (tiny random models built
    offline, chosen by the environment as a GPU deployment would mount them): started once for all
    the tests of those paths, since a Triton start is the costly part."""
    from tests.conftest import MODEL_REPOSITORY
    from tests.support.blip import save_random_blip
    from tests.support.stable_diffusion import random_stable_diffusion_upscaler
    from tools.devstack import TritonServer, free_ports

    root = tmp_path_factory.mktemp("mounted-weights")
    upscaler = root / "upscaler"
    random_stable_diffusion_upscaler().save_pretrained(str(upscaler))
    captioner = save_random_blip(root / "blip")
    http_port, grpc_port, metrics_port = free_ports(3)
    server = TritonServer(
        MODEL_REPOSITORY,
        http_port,
        grpc_port,
        metrics_port,
        root / "triton",
        pipeline="procedural",
        extra_env={
            "ATELIER_UPSCALE_PIPELINE": "stable-diffusion",
            "ATELIER_UPSCALE_WEIGHTS_DIR": str(upscaler),
            "ATELIER_UPSCALE_STEPS": "2",
            "ATELIER_DESCRIBE_PIPELINE": "blip",
            "ATELIER_DESCRIBE_WEIGHTS_DIR": str(captioner),
        },
    )
    server.start()
    try:
        yield server.grpc_url
    finally:
        server.stop()

"""Real servers for the tests, each started once per session on free loopback ports."""

from __future__ import annotations

import os

# Tests hold gRPC channels while they fork server processes; gRPC's fork handlers then break the
# child ("epoll_wait error: Bad file descriptor"). The children exec at once and need none of it.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tools.devstack import NatsServer, ObjectStore, PostgresServer, TritonServer, free_port, free_ports

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL_REPOSITORY = REPO_ROOT / "model_repository"

# The whole run (`./atelierctl test`, what CI runs) passes --hypothesis-profile=thorough: property
# tests that leave their example count to the profile draw 500 there, and Hypothesis' default 100
# in a quick run of one tier.
settings.register_profile("thorough", max_examples=500)


@pytest.fixture(scope="session")
def server_data_root() -> Iterator[Path]:
    """Where the session's servers keep their data. Not under pytest's basetemp: that is mode 700 and
    other pytest runs reset it to 700, but the non-root postgres user must be able to traverse it."""
    root = Path(tempfile.mkdtemp(prefix="atelier-test-servers-"))
    root.chmod(0o711)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(server_data_root: Path) -> Iterator[PostgresServer]:
    server = PostgresServer(server_data_root / "postgres", free_port(), durable=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    return postgres_server.url


@pytest.fixture(scope="session")
def nats_server(server_data_root: Path) -> Iterator[NatsServer]:
    server = NatsServer(server_data_root / "nats", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def nats_url(nats_server: NatsServer) -> str:
    return nats_server.url


@pytest.fixture(scope="session")
def object_store(server_data_root: Path) -> Iterator[ObjectStore]:
    """A running store with its bucket created: .endpoint, .access_key, .secret_key, .bucket, .client()."""
    store = ObjectStore(server_data_root / "objectstore", free_port())
    store.start()
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture(scope="session")
def triton_server(server_data_root: Path) -> Iterator[TritonServer]:
    if not MODEL_REPOSITORY.is_dir():
        pytest.skip(f"{MODEL_REPOSITORY} does not exist yet: no model for Triton to serve")
    http_port, grpc_port, metrics_port = free_ports(3)
    # The procedural pipeline draws each prompt's scene exactly and in milliseconds, so tests about
    # the platform are fast and exact; the trained model has tests of its own.
    server = TritonServer(
        MODEL_REPOSITORY, http_port, grpc_port, metrics_port, server_data_root / "triton", pipeline="procedural"
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def triton_url(triton_server: TritonServer) -> str:
    """host:port of Triton's gRPC endpoint, serving the repository's model_repository/."""
    return triton_server.grpc_url

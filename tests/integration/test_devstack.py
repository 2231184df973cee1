"""The real servers tools.devstack runs: each answers its real client and keeps data across a restart."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nats
import numpy as np
import psycopg
import pytest
import tritonclient.grpc as triton_grpc
from minio import Minio
from minio.error import S3Error

from tools.devstack import (
    NatsServer,
    ObjectStore,
    PortInUseError,
    PostgresServer,
    ServerStartError,
    TritonServer,
    free_port,
    free_ports,
)
from tools.devstack.config import PORT_SETTINGS, Ports
from tools.devstack.service_processes import ServiceProcess
from tools.devstack.stack import REPO_ROOT, Stack
from tools.devstack.state import StackState

pytestmark = pytest.mark.integration

ECHO_MODEL_REPOSITORY = Path(__file__).parent / "devstack_echo_model"


@pytest.fixture
def own_data_dir(server_data_root: Path, request: pytest.FixtureRequest) -> Path:
    """A data directory for a server a test starts and restarts itself, not shared with other tests."""
    directory = server_data_root / "own" / request.node.name
    directory.mkdir(parents=True)
    return directory


@pytest.fixture(scope="module")
def echo_triton(server_data_root: Path) -> Iterator[TritonServer]:
    http_port, grpc_port, metrics_port = free_ports(3)
    server = TritonServer(ECHO_MODEL_REPOSITORY, http_port, grpc_port, metrics_port, server_data_root / "echo-triton")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_postgres_answers_queries_as_the_atelier_user(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        row = connection.execute("SELECT current_user, current_database()").fetchone()
    assert row == ("atelier", "atelier")


async def test_nats_jetstream_deduplicates_and_delivers_to_a_durable_pull_consumer(nats_url: str) -> None:
    client = await nats.connect(nats_url)
    try:
        jetstream = client.jetstream()
        await jetstream.add_stream(name="DEVSTACK_SMOKE", subjects=["devstack.smoke"])
        first = await jetstream.publish("devstack.smoke", b"hello", headers={"Nats-Msg-Id": "m-1"})
        again = await jetstream.publish("devstack.smoke", b"hello", headers={"Nats-Msg-Id": "m-1"})
        assert again.duplicate and again.seq == first.seq
        subscription = await jetstream.pull_subscribe("devstack.smoke", durable="devstack-smoke")
        messages = await subscription.fetch(10, timeout=5)
        assert [m.data for m in messages] == [b"hello"]
        await messages[0].ack()
    finally:
        await client.drain()


def test_object_store_round_trips_an_object_and_refuses_anonymous_and_wrong_secret_reads(
    object_store: ObjectStore,
) -> None:
    client = object_store.client()
    client.put_object(object_store.bucket, "devstack/hello.txt", io.BytesIO(b"hello"), length=5)
    response = client.get_object(object_store.bucket, "devstack/hello.txt")
    try:
        assert response.read() == b"hello"
    finally:
        response.close()
        response.release_conn()

    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"http://{object_store.endpoint}/{object_store.bucket}/devstack/hello.txt")
    assert anonymous.value.code == 403

    intruder = Minio(object_store.endpoint, access_key=object_store.access_key, secret_key="wrong", secure=False)
    with pytest.raises(S3Error):
        intruder.get_object(object_store.bucket, "devstack/hello.txt")


def test_triton_serves_a_python_model_over_grpc(echo_triton: TritonServer) -> None:
    client = triton_grpc.InferenceServerClient(echo_triton.grpc_url)
    values = triton_grpc.InferInput("INPUT", [3], "FP32")
    values.set_data_from_numpy(np.array([1.0, 2.0, 3.5], dtype=np.float32))
    result = client.infer("echo", [values])
    assert result.as_numpy("OUTPUT").tolist() == [2.0, 4.0, 7.0]


def test_triton_fixture_serves_every_model_of_the_repository(triton_server: TritonServer) -> None:
    client = triton_grpc.InferenceServerClient(triton_server.grpc_url)
    assert triton_server.model_names
    for name in triton_server.model_names:
        assert client.is_model_ready(name), name


def test_postgres_keeps_rows_across_a_restart(own_data_dir: Path) -> None:
    server = PostgresServer(own_data_dir, free_port())
    server.start()
    try:
        with psycopg.connect(server.url) as connection:
            connection.execute("CREATE TABLE notes (body text)")
            connection.execute("INSERT INTO notes VALUES ('kept')")
        server.stop()
        server.start()
        with psycopg.connect(server.url) as connection:
            assert connection.execute("SELECT body FROM notes").fetchall() == [("kept",)]
    finally:
        server.stop()


async def test_nats_keeps_stream_messages_and_durable_consumers_across_a_restart(own_data_dir: Path) -> None:
    server = NatsServer(own_data_dir, free_port())
    server.start()
    try:
        client = await nats.connect(server.url)
        jetstream = client.jetstream()
        await jetstream.add_stream(name="KEPT", subjects=["kept.>"])
        await jetstream.pull_subscribe("kept.>", durable="kept-reader")
        await jetstream.publish("kept.one", b"survives")
        await client.close()

        server.stop()
        server.start()

        client = await nats.connect(server.url)
        try:
            subscription = await client.jetstream().pull_subscribe("kept.>", durable="kept-reader")
            messages = await subscription.fetch(1, timeout=5)
            assert [m.data for m in messages] == [b"survives"]
        finally:
            await client.close()
    finally:
        server.stop()


def test_object_store_keeps_objects_across_a_restart(own_data_dir: Path) -> None:
    store = ObjectStore(own_data_dir, free_port())
    store.start()
    try:
        store.client().put_object(store.bucket, "kept.bin", io.BytesIO(b"\x00\x01"), length=2)
        store.stop()
        store.start()
        response = store.client().get_object(store.bucket, "kept.bin")
        try:
            assert response.read() == b"\x00\x01"
        finally:
            response.close()
            response.release_conn()
    finally:
        store.stop()


@pytest.mark.parametrize(
    ("make_server", "setting"),
    [
        (lambda directory, port: PostgresServer(directory, port), "ATELIER_PG_PORT"),
        (lambda directory, port: NatsServer(directory, port), "ATELIER_NATS_PORT"),
        (lambda directory, port: ObjectStore(directory, port), "ATELIER_S3_PORT"),
        (
            lambda directory, port: TritonServer(ECHO_MODEL_REPOSITORY, port, *free_ports(2), directory),
            "ATELIER_TRITON_HTTP_PORT",
        ),
    ],
    ids=["postgres", "nats", "objectstore", "triton"],
)
def test_a_taken_port_is_reported_with_the_setting_to_change(make_server, setting: str, own_data_dir: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as squatter:
        port = squatter.getsockname()[1]
        server = make_server(own_data_dir, port)
        with pytest.raises(PortInUseError, match=rf"port {port} \(.*\) is already in use; set {setting}="):
            server.start()


def _devstack(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.devstack", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_up_detached_then_status_and_down_from_other_shells(own_data_dir: Path) -> None:
    env = dict(os.environ)
    for name, port in Ports.free().as_dict().items():
        env[PORT_SETTINGS[name][0]] = str(port)
    data_dir = str(own_data_dir)
    up = _devstack(
        "up",
        "--detach",
        "--infra-only",
        "--data-dir",
        data_dir,
        "--model-repository",
        str(ECHO_MODEL_REPOSITORY),
        env=env,
    )
    state = StackState.load(own_data_dir)
    try:
        assert up.returncode == 0, up.stderr
        assert f"ATELIER_NATS_URL=nats://127.0.0.1:{env['ATELIER_NATS_PORT']}" in up.stderr
        assert state is not None
        assert [r.name for r in state.alive()] == ["triton", "postgres", "nats", "objectstore"]

        status = _devstack("status", "--data-dir", data_dir)
        assert status.returncode == 0, status.stderr
        assert status.stderr.count("running") == 4

        second_up = _devstack("up", "--detach", "--infra-only", "--data-dir", data_dir, env=env)
        assert second_up.returncode == 1
        assert "already running" in second_up.stderr
    finally:
        down = _devstack("down", "--data-dir", data_dir)
    assert down.returncode == 0, down.stderr
    assert not any(record.is_alive() for record in state.processes)
    assert _devstack("status", "--data-dir", data_dir).returncode == 3


def test_stack_starts_service_processes_with_the_platform_settings(own_data_dir: Path) -> None:
    ports = Ports.free()
    fake_billing = ServiceProcess(
        "billing", ("tests.integration.fake_service",), 1, grpc_port="billing", database_role="billing"
    )
    stack = Stack(own_data_dir, ports, model_repository=ECHO_MODEL_REPOSITORY, services=[fake_billing])
    stack.up()
    try:
        with socket.create_connection(("127.0.0.1", ports.billing), timeout=5) as connection:
            settings = json.loads(connection.makefile("rb").read())
        assert settings["ATELIER_GRPC_LISTEN"] == f"127.0.0.1:{ports.billing}"
        assert settings["ATELIER_DATABASE_URL"] == stack.database_url("billing")
        assert settings["ATELIER_DATABASE_URL"].startswith("postgresql://billing:")
        assert settings["ATELIER_NATS_URL"] == stack.nats.user_url("billing")
        assert settings["ATELIER_S3_ENDPOINT"] == stack.object_store.endpoint
        assert settings["ATELIER_TRITON_URL"] == stack.triton.grpc_url
        assert settings["ATELIER_METRICS_PORT"] == str(ports.metrics_base + 1)
        # Its own service identity, from the stack's CA, kept under the data directory.
        assert settings["ATELIER_TLS_CERT"] == str(own_data_dir.absolute() / "pki" / "billing.crt")
        assert settings["ATELIER_TLS_KEY"] == str(own_data_dir.absolute() / "pki" / "billing.key")
        assert settings["ATELIER_TLS_CA"] == str(own_data_dir.absolute() / "pki" / "ca.crt")
        assert Path(settings["ATELIER_TLS_KEY"]).stat().st_mode & 0o077 == 0
        assert not stack.dead_processes()
    finally:
        stack.down()
    assert not (own_data_dir / "devstack-state.json").exists()
    assert not stack.postgres.is_running()


def test_a_model_that_fails_to_load_is_named_with_its_error(own_data_dir: Path) -> None:
    repository = own_data_dir / "models"
    (repository / "broken" / "1").mkdir(parents=True)
    (repository / "broken" / "config.pbtxt").write_text(
        (ECHO_MODEL_REPOSITORY / "echo" / "config.pbtxt").read_text().replace('"echo"', '"broken"')
    )
    (repository / "broken" / "1" / "model.py").write_text('raise RuntimeError("broken on purpose")\n')
    server = TritonServer(repository, *free_ports(3), own_data_dir / "triton")
    with pytest.raises(ServerStartError, match=r"failed to load 'broken'.*broken on purpose"):
        server.start(timeout=120)
    assert not server.is_running()

"""The visibility, feed and billing services run as real processes: they report healthy, answer
an RPC they do not implement yet with UNIMPLEMENTED and a message, and stop cleanly on SIGTERM."""

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.feed.v1 import feed_pb2, feed_pb2_grpc
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from tools.devstack import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
# Generous bounds for a loaded 2-core machine; they only keep a broken service from hanging the run.
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15


@dataclass(frozen=True)
class StubService:
    module: str
    grpc_service: str
    call_one_rpc: Callable[[grpc.Channel], object]
    rpc_name: str


STUB_SERVICES = [
    StubService(
        "services.visibility",
        "atelier.visibility.v1.VisibilityService",
        lambda channel: visibility_pb2_grpc.VisibilityServiceStub(channel).Authorize(
            visibility_pb2.AuthorizeRequest(), timeout=10
        ),
        "Authorize",
    ),
    StubService(
        "services.feed",
        "atelier.feed.v1.FeedService",
        lambda channel: feed_pb2_grpc.FeedServiceStub(channel).ListFeed(feed_pb2.ListFeedRequest(), timeout=10),
        "ListFeed",
    ),
    StubService(
        "services.billing",
        "atelier.billing.v1.BillingService",
        lambda channel: billing_pb2_grpc.BillingServiceStub(channel).GetAccount(
            billing_pb2.GetAccountRequest(user_id="someone"), timeout=10
        ),
        "GetAccount",
    ),
]


@dataclass
class RunningService:
    process: subprocess.Popen[bytes]
    address: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(params=STUB_SERVICES, ids=lambda service: service.module)
def stub_service(request: pytest.FixtureRequest) -> StubService:
    return request.param


@pytest.fixture
def running(stub_service: StubService, tmp_path: Path) -> Iterator[RunningService]:
    address = f"127.0.0.1:{free_port()}"
    log_path = tmp_path / "service.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", stub_service.module],
            cwd=REPO_ROOT,
            env={**os.environ, "ATELIER_GRPC_LISTEN": address, "ATELIER_METRICS_PORT": "0"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        yield RunningService(process, address, log_path)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def health_of(channel: grpc.Channel, service: str) -> int:
    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
    return response.status


def test_a_stub_service_serves_health_refuses_unbuilt_rpcs_and_stops_on_sigterm(
    stub_service: StubService, running: RunningService
) -> None:
    with grpc.insecure_channel(running.address) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
        except grpc.FutureTimeoutError:
            pytest.fail(f"{stub_service.module} never listened on {running.address}:\n{running.log()}")

        assert health_of(channel, "") == health_pb2.HealthCheckResponse.SERVING
        assert health_of(channel, stub_service.grpc_service) == health_pb2.HealthCheckResponse.SERVING

        with pytest.raises(grpc.RpcError) as refused:
            stub_service.call_one_rpc(channel)
        assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
        assert f"{stub_service.rpc_name} is not implemented yet" in refused.value.details()

    running.process.send_signal(signal.SIGTERM)
    # 0, not -SIGTERM: the signal was handled and the server shut down gracefully.
    assert running.process.wait(timeout=STOP_TIMEOUT_S) == 0, running.log()

"""A service that cannot take one of its ports stops at once, saying which, instead of living on
half-started: the loops it had begun (outbox relay, consumers, sweep) end with it. Before, billing
whose gRPC port was also its metrics port kept its port bound and answered no call until killed, so
every probe but a TCP one failed (a fault soak once waited 120 s on it)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.support.services import ServiceStack
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

STOPS_WITHIN_S = 45.0


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def _stopped_with_reason(stack: ServiceStack, name: str, reason: str, **env: str) -> None:
    process = stack.start(name, "services.billing", **env)
    wait_until(lambda: not process.is_running(), f"{name} stopping on its own", timeout=STOPS_WITHIN_S)
    log = process.log_path.read_text()
    assert process.exit_code == 1, log[-2000:]
    assert reason in log, log[-2000:]


def test_a_service_whose_metrics_port_is_taken_stops_naming_it(stack: ServiceStack, taken_port: int) -> None:
    _stopped_with_reason(
        stack,
        "billing",
        f"cannot serve metrics on 127.0.0.1:{taken_port}",
        ATELIER_GRPC_LISTEN=stack.billing_addr,
        ATELIER_METRICS_PORT=str(taken_port),
    )


def test_a_service_whose_grpc_port_is_its_metrics_port_stops_naming_it(stack: ServiceStack) -> None:
    _stopped_with_reason(
        stack,
        "billing",
        f"cannot listen on {stack.billing_addr}",
        ATELIER_GRPC_LISTEN=stack.billing_addr,
        ATELIER_METRICS_PORT=str(stack.billing_port),
    )

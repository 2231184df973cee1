"""The Atelier service processes `./atelierctl up` runs, as data: edit SERVICES to add or change one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    module_args: tuple[str, ...]  # what follows `python -m`
    metrics_port_offset: int  # added to Ports.metrics_base: every process exposes its own metrics
    grpc_port: str | None = None  # the Ports field this process listens on for gRPC
    http_port: str | None = None  # the Ports field this process serves HTTP on
    readiness_path: str | None = None  # HTTP path answering 200 once ready; else the port accepting is enough

    @property
    def package(self) -> str:
        return self.module_args[0]


# Started in this order (the gateway last, as it calls the others), stopped in the reverse order.
SERVICES: tuple[ServiceProcess, ...] = (
    ServiceProcess("billing", ("services.billing",), 1, grpc_port="billing"),
    ServiceProcess("visibility", ("services.visibility",), 2, grpc_port="visibility"),
    ServiceProcess("feed", ("services.feed",), 3, grpc_port="feed"),
    ServiceProcess("generation-api", ("services.generation", "api"), 4, grpc_port="generation"),
    ServiceProcess("generation-worker", ("services.generation", "worker"), 5),
    ServiceProcess("gateway", ("services.gateway",), 0, http_port="http", readiness_path="/readyz"),
)

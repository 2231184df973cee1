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
    # Its Postgres role and schema (tools/devstack/secrets.py gives each role its own password).
    database_role: str | None = None
    # Only processes that read or write images get the object store's keys.
    uses_object_store: bool = False
    # ATELIER_* variable -> name of the generated secret, for secrets only this process holds.
    own_secrets: tuple[tuple[str, str], ...] = ()
    # ATELIER_* settings of the local stack, unless the shell sets them.
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def package(self) -> str:
        return self.module_args[0]


# Started in this order (the gateway last, as it calls the others), stopped in the reverse order.
SERVICES: tuple[ServiceProcess, ...] = (
    ServiceProcess(
        "billing",
        ("services.billing",),
        1,
        grpc_port="billing",
        database_role="billing",
        own_secrets=(("ATELIER_BILLING_WEBHOOK_SECRET", "billing_webhook_secret"),),
        # Plans are bought on the stand-in provider's pages (no Stripe account, no network).
        settings=(("ATELIER_BILLING_PROVIDER", "standin"),),
    ),
    ServiceProcess("visibility", ("services.visibility",), 2, grpc_port="visibility", database_role="visibility"),
    ServiceProcess(
        "feed",
        ("services.feed",),
        3,
        grpc_port="feed",
        database_role="feed",
        own_secrets=(("ATELIER_CURSOR_SECRET", "feed_cursor_secret"),),
    ),
    ServiceProcess(
        "webhooks",
        ("services.webhooks",),
        6,
        grpc_port="webhooks",
        database_role="webhooks",
        # The local stack's receivers live on this machine (127.0.0.1, plain http): allowed here
        # only; a deployment refuses them (services/webhooks/README.md).
        settings=(("ATELIER_WEBHOOK_ALLOW_PRIVATE_ENDPOINTS", "true"), ("ATELIER_WEBHOOK_ALLOW_PLAIN_HTTP", "true")),
    ),
    ServiceProcess(
        "generation-api",
        ("services.generation", "api"),
        4,
        grpc_port="generation",
        database_role="generation",
        uses_object_store=True,
    ),
    ServiceProcess(
        "generation-worker", ("services.generation", "worker"), 5, database_role="generation", uses_object_store=True
    ),
    ServiceProcess(
        "gateway",
        ("services.gateway",),
        0,
        http_port="http",
        readiness_path="/readyz",
        database_role="gateway",
        uses_object_store=True,
        own_secrets=(("ATELIER_CURSOR_SECRET", "gateway_cursor_secret"),),
    ),
)

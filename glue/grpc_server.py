"""gRPC aio server bootstrap: mutual TLS and per-method callers (glue.service_identity), the user
a call acts for from a verified token (glue.on_behalf), health service (also on an optional
plaintext port for probes), reflection, Prometheus metrics (RED metrics of every call:
glue.grpc_metrics), one translation of exceptions into status (glue.grpc_errors) and a graceful
shutdown on SIGTERM/SIGINT that runs the service's own clean-up (e.g. NATS drain)."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from glue.grpc_errors import ErrorInterceptor, ErrorMapping
from glue.grpc_metrics import RedMetricsInterceptor
from glue.metrics_endpoint import serve_metrics
from glue.on_behalf import OnBehalfInterceptor, UserPolicy
from glue.service_identity import CallerPolicy, IdentityFiles, IdentityInterceptor, server_credentials
from glue.user_token import UserTokenVerifier

log = logging.getLogger(__name__)

Registrar = Callable[[grpc.aio.Server], None]


async def wait_for_termination_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def _listen_on(address: str, bind: Callable[[], int]) -> None:
    # grpcio reports a port it cannot bind by returning 0 or by raising, depending on the version.
    try:
        bound = bind()
    except RuntimeError as error:
        raise SystemExit(f"cannot listen on {address}: address in use or invalid ({error})") from error
    if bound == 0:
        raise SystemExit(f"cannot listen on {address}: address in use or invalid")


async def serve(
    listen: str,
    register: Registrar,
    service_names: Iterable[str],
    identity: IdentityFiles,
    callers: CallerPolicy,
    users: UserPolicy,
    user_tokens: UserTokenVerifier,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    metrics_port: int = 0,
    metrics_host: str = "127.0.0.1",
    grace_s: float = 10.0,
    errors: ErrorMapping | None = None,
    health_listen: str = "",
    max_message_bytes: int = 4 * 1024 * 1024,
) -> None:
    """Serves until a termination signal, then stops taking calls, lets running ones finish
    within grace_s, and calls on_shutdown. `errors`: the service's own errors → status.
    `callers`: who may call each method; `users`: which methods act for the user a verified token
    names (`user_tokens` checks it); `health_listen`: a plaintext port where only health
    answers (every other call there has no identity and is refused)."""
    # Outermost first: the metrics see the status a caller gets, refusals and translations included;
    # who the user is counts only once the caller is known.
    interceptors = [
        RedMetricsInterceptor(),
        IdentityInterceptor(callers),
        OnBehalfInterceptor(users, user_tokens),
        ErrorInterceptor(errors or ErrorMapping()),
    ]
    # gRPC's own default (4 MB) unless a service takes larger requests (training images).
    server = grpc.aio.server(
        interceptors=interceptors, options=[("grpc.max_receive_message_length", max_message_bytes)]
    )
    register(server)
    # grpc-stubs' grpc_health stub lacks the asyncio servicer.
    health_servicer = health.aio.HealthServicer()  # type: ignore[attr-defined]
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = list(service_names)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    # Before any port is bound: a process that cannot serve its metrics stops here, never half-started.
    serve_metrics(metrics_port, metrics_host)
    _listen_on(listen, lambda: server.add_secure_port(listen, server_credentials(identity)))
    if health_listen:
        _listen_on(f"{health_listen} (health)", lambda: server.add_insecure_port(health_listen))
    await server.start()
    for name in ["", *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving", extra={"listen": listen, "health_listen": health_listen, "services": names})

    await wait_for_termination_signal()
    log.info("shutting down")
    await health_servicer.enter_graceful_shutdown()
    await server.stop(grace_s)
    if on_shutdown is not None:
        await on_shutdown()

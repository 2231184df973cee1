"""RED metrics of every gRPC server (rate, errors, duration), one interceptor for all services.

Labels are grpc_service / grpc_method / grpc_code rather than service / method / code: Prometheus
attaches its own `service` label (the Kubernetes Service scraped), which would rename ours. Errors
are the calls whose code is not OK; the code is the one the caller received, including refusals by
the identity interceptor and translations by the error interceptor, because this one runs outside
both. Method names come from the server's own registrations, so their number is bounded.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
from prometheus_client import Counter, Histogram

from glue.grpc_handlers import rewrapped

if TYPE_CHECKING:  # generic in the type stubs only
    _ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _ServerInterceptor = grpc.aio.ServerInterceptor

STARTED = Counter(
    "atelier_grpc_server_started_total", "gRPC calls a server started handling", ["grpc_service", "grpc_method"]
)
HANDLED = Counter(
    "atelier_grpc_server_handled_total",
    "gRPC calls a server finished, by status code (errors: grpc_code != OK)",
    ["grpc_service", "grpc_method", "grpc_code"],
)
HANDLING_SECONDS = Histogram(
    "atelier_grpc_server_handling_seconds",
    "Time from a call's start to its status, in the server",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

_UNKNOWN = ("unknown", "unknown")


def split_method(full_method: str) -> tuple[str, str]:
    """ "/atelier.feed.v1.FeedService/ListPublic" -> ("atelier.feed.v1.FeedService", "ListPublic")."""
    service, _, method = full_method.lstrip("/").rpartition("/")
    return (service, method) if service and method else _UNKNOWN


def _code_of(context: grpc.aio.ServicerContext[Any, Any], error: BaseException | None) -> grpc.StatusCode:
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if isinstance(code, int):  # grpc.aio keeps the integer of cygrpc's status
        return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    return grpc.StatusCode.OK if error is None else grpc.StatusCode.UNKNOWN


class _Call:
    def __init__(self, service: str, method: str):
        self._labels = (service, method)
        self._started = time.perf_counter()
        STARTED.labels(*self._labels).inc()

    def finish(self, context: grpc.aio.ServicerContext[Any, Any], error: BaseException | None) -> None:
        code = _code_of(context, error)
        HANDLED.labels(*self._labels, code.name).inc()
        HANDLING_SECONDS.labels(*self._labels).observe(time.perf_counter() - self._started)


def _measured_unary(behaviour: Any, service: str, method: str) -> Callable[..., Any]:
    async def measured(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        call = _Call(service, method)
        try:
            response = await behaviour(request, context)
        except BaseException as error:
            call.finish(context, error)
            raise
        call.finish(context, None)
        return response

    return measured


def _measured_stream(behaviour: Any, service: str, method: str) -> Callable[..., Any]:
    async def measured(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        call = _Call(service, method)
        try:
            async for response in behaviour(request, context):
                yield response
        except BaseException as error:
            call.finish(context, error)
            raise
        call.finish(context, None)

    return measured


class RedMetricsInterceptor(_ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        service, method = split_method(handler_call_details.method)
        return rewrapped(
            handler,
            lambda behaviour: _measured_unary(behaviour, service, method),
            lambda behaviour: _measured_stream(behaviour, service, method),
        )

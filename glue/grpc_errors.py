"""One translation of exceptions into gRPC status, installed on every service's server.

- A domain error the service maps (`ErrorMapping.domain`, built in its handlers) gets its code,
  with the exception's text (domain errors are written for the caller) or a fixed message.
- An outage of what the service depends on (its database, NATS, a downstream service that is
  UNAVAILABLE or too slow) is UNAVAILABLE: safe to retry, and the client is told so.
- Anything else is a bug: INTERNAL with a generic message, the traceback in the log, and never
  the exception's text to the client (it may name tables, hosts or other users' data).

A handler that aborts itself (validation, refusals with trailing metadata) keeps its status.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc
import nats.errors
import psycopg
from psycopg_pool import PoolTimeout

from glue.grpc_handlers import rewrapped

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "internal error; it has been logged"
UNAVAILABLE_MESSAGE = "a service this one depends on is unavailable; try again"

OUTAGES: tuple[type[BaseException], ...] = (
    psycopg.OperationalError,
    PoolTimeout,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.StaleConnectionError,
    nats.errors.TimeoutError,
    ConnectionError,
)
DOWNSTREAM_OUTAGES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED})

Status = grpc.StatusCode | tuple[grpc.StatusCode, str]

if TYPE_CHECKING:  # generic in the type stubs only
    _ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _ServerInterceptor = grpc.aio.ServerInterceptor


@dataclass(frozen=True)
class ErrorMapping:
    """A service's own errors → status: a code (message: the exception's text) or (code, message).
    A subclass of a mapped error is mapped like it unless it has its own entry."""

    domain: Mapping[type[Exception], Status] = field(default_factory=dict)
    unavailable_message: str = UNAVAILABLE_MESSAGE

    def status_of(self, error: BaseException) -> tuple[grpc.StatusCode, str] | None:
        """The status for an error, or None for a bug."""
        for cls in type(error).__mro__:
            status = self.domain.get(cls)
            if isinstance(status, grpc.StatusCode):
                return status, str(error)
            if status is not None:
                return status
        if isinstance(error, OUTAGES) or (
            isinstance(error, grpc.aio.AioRpcError) and error.code() in DOWNSTREAM_OUTAGES
        ):
            return grpc.StatusCode.UNAVAILABLE, self.unavailable_message
        return None


class ErrorInterceptor(_ServerInterceptor):
    def __init__(self, mapping: ErrorMapping):
        self._mapping = mapping

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        return rewrapped(
            handler,
            lambda behaviour: self._translating(behaviour, method),
            lambda behaviour: self._translating_stream(behaviour, method),
        )

    def _translating(self, behaviour: Callable[..., Awaitable[Any]], method: str) -> Callable[..., Awaitable[Any]]:
        async def translated(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            try:
                return await behaviour(request, context)
            except grpc.aio.AbortError:
                raise  # the handler chose its status itself
            except Exception as error:
                await context.abort(*self._status(error, method))

        return translated

    def _translating_stream(self, behaviour: Callable[..., Any], method: str) -> Callable[..., Any]:
        async def translated(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            try:
                async for reply in behaviour(request, context):
                    yield reply
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await context.abort(*self._status(error, method))

        return translated

    def _status(self, error: BaseException, method: str) -> tuple[grpc.StatusCode, str]:
        status = self._mapping.status_of(error)
        if status is None:
            log.exception("unexpected error in an RPC", extra={"rpc": method})
            return grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE
        if status[0] is grpc.StatusCode.UNAVAILABLE:
            log.warning("dependency unavailable", extra={"rpc": method, "error": repr(error)})
        return status

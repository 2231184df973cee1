"""Server interceptors that run a check before a method's behaviour, whatever the method's shape
(unary or streaming, either way): a subclass of `GuardInterceptor` says which check each method
gets; grpc.health.v1 is never checked (probes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc

from glue.grpc_handlers import rewrapped

HEALTH_PREFIX = "/grpc.health.v1.Health/"

if TYPE_CHECKING:  # generic in the type stubs only
    _ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _ServerInterceptor = grpc.aio.ServerInterceptor

# Runs before the behaviour with its request (the request iterator for client-streaming methods)
# and context; refuses by aborting the context.
Admit = Callable[[Any, Any], Awaitable[None]]


def _answering(admit: Admit) -> Callable[[Any], Callable[[Any, Any], Awaitable[Any]]]:
    """For a handler with one reply (unary or client-streaming)."""

    def wrap(behaviour: Any) -> Callable[[Any, Any], Awaitable[Any]]:
        async def admitted(request: Any, context: Any) -> Any:
            await admit(request, context)
            return await behaviour(request, context)

        return admitted

    return wrap


def _streaming(admit: Admit) -> Callable[[Any], Callable[[Any, Any], AsyncIterator[Any]]]:
    """For a handler streaming replies (asyncio handlers are async generators)."""

    def wrap(behaviour: Any) -> Callable[[Any, Any], AsyncIterator[Any]]:
        async def admitted(request: Any, context: Any) -> AsyncIterator[Any]:
            await admit(request, context)
            async for reply in behaviour(request, context):
                yield reply

        return admitted

    return wrap


def guarded(handler: grpc.RpcMethodHandler[Any, Any], admit: Admit) -> grpc.RpcMethodHandler[Any, Any]:
    """The handler, `admit` run before its behaviour."""
    return rewrapped(handler, _answering(admit), _streaming(admit))


class GuardInterceptor(_ServerInterceptor):
    def admission(self, method: str) -> Admit | None:
        """The check before `method`'s behaviour; None: none."""
        raise NotImplementedError

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(HEALTH_PREFIX):
            return handler
        admit = self.admission(method)
        return handler if admit is None else guarded(handler, admit)

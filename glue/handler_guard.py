"""Server interceptors that run a check before a method's behaviour, whatever the method's shape
(unary or streaming, either way): a subclass of `GuardInterceptor` says which check each method
gets; grpc.health.v1 is never checked (probes)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc

HEALTH_PREFIX = "/grpc.health.v1.Health/"

if TYPE_CHECKING:  # generic in the type stubs only
    _ServerInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _ServerInterceptor = grpc.aio.ServerInterceptor

# Runs before the behaviour with its request (the request iterator for client-streaming methods)
# and context; refuses by aborting the context.
Admit = Callable[[Any, Any], Awaitable[None]]


def _answering(behaviour: Any, admit: Admit) -> Callable[[Any, Any], Awaitable[Any]]:
    """A handler with one reply (unary or client-streaming), admitted first."""

    async def admitted(request: Any, context: Any) -> Any:
        await admit(request, context)
        return await behaviour(request, context)

    return admitted


def _streaming(behaviour: Any, admit: Admit) -> Callable[[Any, Any], AsyncIterator[Any]]:
    """A handler streaming replies (asyncio handlers are async generators), admitted first."""

    async def admitted(request: Any, context: Any) -> AsyncIterator[Any]:
        await admit(request, context)
        async for reply in behaviour(request, context):
            yield reply

    return admitted


def guarded(handler: grpc.RpcMethodHandler[Any, Any], admit: Admit) -> grpc.RpcMethodHandler[Any, Any]:
    codec = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(_answering(handler.unary_unary, admit), **codec)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(_streaming(handler.unary_stream, admit), **codec)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(_answering(handler.stream_unary, admit), **codec)
    return grpc.stream_stream_rpc_method_handler(_streaming(handler.stream_stream, admit), **codec)


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

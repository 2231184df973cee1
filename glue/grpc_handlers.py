"""Rewrapping a gRPC method handler's behaviour, whatever its kind, for server interceptors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

Wrapper = Callable[[Any], Any]


def rewrapped(
    handler: grpc.RpcMethodHandler[Any, Any], one_reply: Wrapper, streamed: Wrapper
) -> grpc.RpcMethodHandler[Any, Any]:
    """The handler with its behaviour wrapped: `one_reply` for unary and client-streaming
    methods (a coroutine), `streamed` for those streaming replies (an async generator)."""
    codec = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(one_reply(handler.unary_unary), **codec)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(streamed(handler.unary_stream), **codec)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(one_reply(handler.stream_unary), **codec)
    return grpc.stream_stream_rpc_method_handler(streamed(handler.stream_stream), **codec)

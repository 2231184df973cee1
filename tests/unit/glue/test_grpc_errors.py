"""What a gRPC client gets when a handler raises: the interceptor every service's server runs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import grpc
import nats.errors
import psycopg
import pytest
from psycopg_pool import PoolTimeout

from glue.grpc_errors import INTERNAL_MESSAGE, ErrorInterceptor, ErrorMapping

METHOD = "/test.v1.Probe/Call"


class QuotaExceeded(Exception):
    pass


class DailyQuotaExceeded(QuotaExceeded):
    pass


class UpstreamDown(Exception):
    pass


MAPPING = ErrorMapping(
    {
        QuotaExceeded: grpc.StatusCode.RESOURCE_EXHAUSTED,
        UpstreamDown: (grpc.StatusCode.UNAVAILABLE, "the upstream is down; try again"),
    },
    unavailable_message="probe: the database is unavailable; try again",
)


class DownstreamError(grpc.aio.AioRpcError):
    def __init__(self, code: grpc.StatusCode):
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="downstream said no")


@asynccontextmanager
async def probe_server(name: str, handler: grpc.RpcMethodHandler) -> AsyncIterator[grpc.aio.Channel]:
    """A real in-process server with the interceptor, one method `test.v1.Probe/<name>`."""
    server = grpc.aio.server(interceptors=[ErrorInterceptor(MAPPING)])
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("test.v1.Probe", {name: handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield channel
    finally:
        await channel.close()
        await server.stop(0)


@pytest.fixture
async def call() -> AsyncIterator[Callable]:
    """call(behaviour) runs `behaviour(context)` as the handler of a real in-process RPC."""
    behaviours: list[Callable] = []

    async def handle(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return await behaviours[-1](context)

    async with probe_server("Call", grpc.unary_unary_rpc_method_handler(handle)) as channel:

        async def invoke(behaviour: Callable) -> bytes:
            behaviours.append(behaviour)
            return await channel.unary_unary(METHOD)(b"request", timeout=10)

        yield invoke


def raising(error: BaseException) -> Callable:
    async def behaviour(context) -> bytes:
        raise error

    return behaviour


async def status_of(call, error: BaseException) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(raising(error))
    return caught.value.code(), caught.value.details()


async def test_a_domain_error_gets_its_code_and_its_own_message(call):
    assert await status_of(call, QuotaExceeded("you have used all 40 credits")) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "you have used all 40 credits",
    )


async def test_a_subclass_of_a_mapped_error_is_mapped_like_it(call):
    assert await status_of(call, DailyQuotaExceeded("come back tomorrow")) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "come back tomorrow",
    )


async def test_a_mapping_can_give_a_fixed_message(call):
    assert await status_of(call, UpstreamDown("10.0.0.7:50052 refused")) == (
        grpc.StatusCode.UNAVAILABLE,
        "the upstream is down; try again",
    )


@pytest.mark.parametrize(
    "outage",
    [
        psycopg.OperationalError("connection to server at 10.0.0.5, port 5432 failed"),
        PoolTimeout("couldn't get a connection after 30.00 sec"),
        nats.errors.NoServersError(),
        nats.errors.ConnectionClosedError(),
        ConnectionRefusedError(111, "Connection refused"),
        DownstreamError(grpc.StatusCode.UNAVAILABLE),
        DownstreamError(grpc.StatusCode.DEADLINE_EXCEEDED),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_an_outage_of_a_dependency_is_unavailable_with_the_service_message(call, outage):
    assert await status_of(call, outage) == (
        grpc.StatusCode.UNAVAILABLE,
        "probe: the database is unavailable; try again",
    )


async def test_anything_else_is_internal_logged_in_full_and_never_shown_to_the_client(call, caplog):
    caplog.set_level(logging.ERROR, logger="glue.grpc_errors")
    code, message = await status_of(call, KeyError("owner_id of image 5f0c… in table visibility.images"))
    assert (code, message) == (grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)
    [record] = [r for r in caplog.records if r.name == "glue.grpc_errors"]
    assert record.exc_info is not None and "visibility.images" in str(record.exc_info[1])


async def test_a_downstream_refusal_that_is_not_an_outage_is_a_bug_not_an_outage(call):
    code, message = await status_of(call, DownstreamError(grpc.StatusCode.PERMISSION_DENIED))
    assert (code, message) == (grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)


async def test_a_handler_that_aborts_keeps_its_own_status(call):
    async def refuses(context) -> bytes:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(refuses)
    assert (caught.value.code(), caught.value.details()) == (grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")


async def test_a_successful_call_is_untouched(call):
    async def answers(context) -> bytes:
        return b"fine"

    assert await call(answers) == b"fine"


@pytest.fixture
async def stream_call() -> AsyncIterator[Callable]:
    """stream_call(replies, error) runs a server-streaming handler that sends `replies`, then raises
    `error`; returns what the client read and the status it ended with."""
    handlers: list[tuple[list[bytes], BaseException]] = []

    async def handle(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        replies, error = handlers[-1]
        for reply in replies:
            yield reply
        raise error

    async with probe_server("Watch", grpc.unary_stream_rpc_method_handler(handle)) as channel:

        async def invoke(replies: list[bytes], error: BaseException) -> tuple[list[bytes], grpc.StatusCode, str]:
            handlers.append((replies, error))
            read: list[bytes] = []
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                async for reply in channel.unary_stream("/test.v1.Probe/Watch")(b"request", timeout=10):
                    read.append(reply)
            return read, caught.value.code(), caught.value.details()

        yield invoke


async def test_a_streaming_handler_that_loses_its_dependency_ends_unavailable_after_what_it_sent(stream_call):
    outage = psycopg.OperationalError("connection to server at 10.0.0.5, port 5432 failed")
    assert await stream_call([b"listening"], outage) == (
        [b"listening"],
        grpc.StatusCode.UNAVAILABLE,
        "probe: the database is unavailable; try again",
    )


async def test_a_streaming_handler_never_shows_an_unexpected_error(stream_call):
    assert await stream_call([], KeyError("owner_id of generation 5f0c…")) == (
        [],
        grpc.StatusCode.INTERNAL,
        INTERNAL_MESSAGE,
    )

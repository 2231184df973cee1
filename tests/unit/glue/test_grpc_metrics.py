"""RED metrics of a gRPC server: every call counted by the code its caller got, and timed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import grpc
import pytest
from prometheus_client import REGISTRY

from glue.grpc_errors import ErrorInterceptor, ErrorMapping
from glue.grpc_metrics import RedMetricsInterceptor, split_method
from tests.support.waiting import eventually

SERVICE = "test.v1.Metered"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"grpc_service": SERVICE, **labels}) or 0.0


@pytest.fixture
async def call() -> AsyncIterator[Callable]:
    """call(method, behaviour) runs `behaviour(context)` as the handler of a real in-process RPC;
    `Stream` answers with two messages and then the behaviour."""
    behaviours: list[Callable] = []

    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return await behaviours[-1](context)

    async def stream(request: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        yield b"one"
        yield b"two"
        await behaviours[-1](context)

    server = grpc.aio.server(interceptors=[RedMetricsInterceptor(), ErrorInterceptor(ErrorMapping())])
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "Unary": grpc.unary_unary_rpc_method_handler(unary),
                    "Stream": grpc.unary_stream_rpc_method_handler(stream),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")

    async def invoke(method: str, behaviour: Callable) -> None:
        behaviours.append(behaviour)
        if method == "Stream":
            [_ async for _ in channel.unary_stream(f"/{SERVICE}/Stream")(b"", timeout=10)]
        else:
            await channel.unary_unary(f"/{SERVICE}/{method}")(b"", timeout=10)

    yield invoke
    await channel.close()
    await server.stop(0)


async def answer(context) -> bytes:
    return b"ok"


async def refuse(context) -> bytes:
    await context.abort(grpc.StatusCode.PERMISSION_DENIED, "no")
    return b""


async def crash(context) -> bytes:
    raise RuntimeError("bug")


async def test_calls_are_counted_by_the_code_the_caller_got(call) -> None:
    before = {
        code: sample("atelier_grpc_server_handled_total", grpc_method="Unary", grpc_code=code)
        for code in ("OK", "PERMISSION_DENIED", "INTERNAL")
    }
    started = sample("atelier_grpc_server_started_total", grpc_method="Unary")
    timed = sample("atelier_grpc_server_handling_seconds_count", grpc_method="Unary")

    await call("Unary", answer)
    for behaviour in (refuse, crash):
        with pytest.raises(grpc.aio.AioRpcError):
            await call("Unary", behaviour)

    # An abort sends the status before the server's handler has unwound: the count may follow the reply.
    def counted() -> dict[str, float]:
        return {
            code: sample("atelier_grpc_server_handled_total", grpc_method="Unary", grpc_code=code) - before[code]
            for code in before
        }

    await eventually(lambda: all(counted().values()), "every call counted", timeout=5, interval=0.01)
    assert counted() == {"OK": 1, "PERMISSION_DENIED": 1, "INTERNAL": 1}
    assert sample("atelier_grpc_server_started_total", grpc_method="Unary") == started + 3
    assert sample("atelier_grpc_server_handling_seconds_count", grpc_method="Unary") == timed + 3


async def test_streaming_calls_are_counted_when_the_stream_ends(call) -> None:
    ok = sample("atelier_grpc_server_handled_total", grpc_method="Stream", grpc_code="OK")
    denied = sample("atelier_grpc_server_handled_total", grpc_method="Stream", grpc_code="PERMISSION_DENIED")
    await call("Stream", answer)
    with pytest.raises(grpc.aio.AioRpcError):
        await call("Stream", refuse)
    await eventually(
        lambda: (
            sample("atelier_grpc_server_handled_total", grpc_method="Stream", grpc_code="PERMISSION_DENIED")
            == denied + 1
        ),
        "the refused stream counted",
        timeout=5,
        interval=0.01,
    )
    assert sample("atelier_grpc_server_handled_total", grpc_method="Stream", grpc_code="OK") == ok + 1


def test_method_names_split_into_service_and_method() -> None:
    assert split_method("/atelier.feed.v1.FeedService/ListPublic") == ("atelier.feed.v1.FeedService", "ListPublic")
    assert split_method("garbage") == ("unknown", "unknown")

"""What every gRPC client of the gateway does alike: a unary call with a deadline whose failure
becomes the problem a user should see (problems.problem_from_rpc_error, the one mapping), the
user token of the signed-in user the call is made for, and the health check behind /readyz."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from glue.user_token import UserTokenSigner
from services.gateway.problems import problem_from_rpc_error

Reply = TypeVar("Reply")
Metadata = tuple[tuple[str, str], ...]


class UserTokens:
    """The user token of each call made for a signed-in user (glue.user_token): the services
    check that the user a request names is the one the gateway authenticated. Without a signer
    (tests against fakes) calls carry none, and the real services refuse them."""

    def __init__(self, signer: UserTokenSigner | None):
        self._signer = signer

    def metadata(self, user_id: str) -> Metadata:
        """None for an anonymous call ("")."""
        return self._signer.metadata(user_id) if self._signer is not None else ()


class UserCalls:
    """One client's unary calls (`call` with its deadline, 404 detail and service name), each
    with the token of the user it is made for ("" for an anonymous viewer)."""

    def __init__(self, service: str, not_found: str, timeout_s: float, tokens: UserTokens | None):
        self._service = service
        self._not_found = not_found
        self._timeout_s = timeout_s
        self._tokens = tokens or UserTokens(None)

    async def __call__(self, method: Callable[..., Awaitable[Reply]], request: Any, user_id: str) -> Reply:
        return await call(
            method,
            request,
            timeout_s=self._timeout_s,
            not_found=self._not_found,
            service=self._service,
            metadata=self._tokens.metadata(user_id),
        )


async def call(
    method: Callable[..., Awaitable[Reply]],
    request: Any,
    *,
    timeout_s: float,
    not_found: str,
    service: str,
    metadata: Metadata = (),
) -> Reply:
    """`not_found`: the whole 404 detail (see problem_from_rpc_error)."""
    try:
        return await method(request, timeout=timeout_s, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        raise problem_from_rpc_error(error, not_found=not_found, service=service) from error


async def check_serving(health: health_pb2_grpc.HealthStub, service_name: str) -> None:
    response = await health.Check(health_pb2.HealthCheckRequest(service=service_name), timeout=2)
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        raise RuntimeError(f"{service_name} is {status}")

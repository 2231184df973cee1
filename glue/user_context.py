"""The user the call being served acts for (verified by glue.on_behalf), and its forwarding:
every outgoing channel (glue.service_identity.secure_channel) copies that user's token into the
calls a handler makes, so the next service checks the same user."""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

import grpc

from glue.user_token import METADATA_KEY, VerifiedUser

if TYPE_CHECKING:  # generic in the type stubs only
    _UnaryUnaryClientInterceptor = grpc.aio.UnaryUnaryClientInterceptor[Any, Any]
    _UnaryStreamClientInterceptor = grpc.aio.UnaryStreamClientInterceptor[Any, Any]
else:
    _UnaryUnaryClientInterceptor = grpc.aio.UnaryUnaryClientInterceptor
    _UnaryStreamClientInterceptor = grpc.aio.UnaryStreamClientInterceptor

# Set per call by the server interceptor; each gRPC call is served in a task of its own, so it
# never leaks into another call.
_serving: contextvars.ContextVar[VerifiedUser | None] = contextvars.ContextVar("atelier_user", default=None)


def serving_for(user: VerifiedUser | None) -> None:
    _serving.set(user)


def verified_user() -> str | None:
    """The user the call being served was verified to act for; None for anonymous and
    service-to-service calls."""
    current = _serving.get()
    return current.user_id if current is not None else None


def _forwarding(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    current = _serving.get()
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if current is None or METADATA_KEY in metadata:
        return details
    metadata.add(METADATA_KEY, current.token)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


class ForwardUserToken(_UnaryUnaryClientInterceptor, _UnaryStreamClientInterceptor):
    """A call made while serving a user's call carries that user's token (one that sets its own
    keeps it)."""

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_forwarding(client_call_details), request)

    async def intercept_unary_stream(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        return await continuation(_forwarding(client_call_details), request)

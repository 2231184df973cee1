"""Service identities for tests: one PKI per test session, and channels that present a chosen
identity to a chosen service (the caller a test acts as: the gateway, the operator, ...)."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from contracts import identities
from glue.service_identity import (
    CallerPolicy,
    IdentityFiles,
    secure_channel,
    secure_sync_channel,
    server_credentials,
)
from tools.devstack.pki import Pki, ensure_pki


@functools.cache
def session_pki() -> Pki:
    return ensure_pki(Path(tempfile.mkdtemp(prefix="atelier-pki-")))


def identity_files(pki: Pki, identity: str) -> IdentityFiles:
    return IdentityFiles(pki.ca_path, pki.cert_path(identity), pki.key_path(identity))


def channel_as(caller: str, server: str, address: str, pki: Pki | None = None) -> grpc.aio.Channel:
    """An asyncio channel to `server` (its identity) at `address`, presenting `caller`'s certificate."""
    return secure_channel(address, server, identity_files(pki or session_pki(), caller))


def sync_channel_as(caller: str, server: str, address: str, pki: Pki | None = None) -> grpc.Channel:
    return secure_sync_channel(address, server, identity_files(pki or session_pki(), caller))


def _policies() -> dict[str, CallerPolicy]:
    from services.billing.wiring import CALLERS as BILLING
    from services.feed.wiring import CALLERS as FEED
    from services.generation.wiring import CALLERS as GENERATION
    from services.visibility.wiring import CALLERS as VISIBILITY

    return {
        identities.BILLING: BILLING,
        identities.FEED: FEED,
        identities.GENERATION_API: GENERATION,
        identities.VISIBILITY: VISIBILITY,
    }


def allowed_caller(server: str, method: str) -> str:
    """An identity the server's policy lets call `method`: the gateway where it may."""
    allowed = _policies()[server].allowed.get(method) or {identities.GATEWAY}  # health, reflection
    return identities.GATEWAY if identities.GATEWAY in allowed else sorted(allowed)[0]


class _Routing:
    """Opens one channel per caller identity and sends each method through an allowed one, so a
    test that plays several callers of one service (the worker registering, the gateway toggling,
    the operator moderating) needs no bookkeeping. Tests of the policy itself pick the caller."""

    def __init__(self, server: str, open_as: Callable[[str], Any]):
        self._server = server
        self._open_as = open_as
        self._channels: dict[str, Any] = {}

    def _through(self, method: str) -> Any:
        caller = allowed_caller(self._server, method)
        if caller not in self._channels:
            self._channels[caller] = self._open_as(caller)
        return self._channels[caller]

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._through(method).unary_unary(method, *args, **kwargs)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._through(method).unary_stream(method, *args, **kwargs)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._through(method).stream_unary(method, *args, **kwargs)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._through(method).stream_stream(method, *args, **kwargs)


class RoutingChannel(_Routing):
    async def close(self, grace: float | None = None) -> None:
        for channel in self._channels.values():
            await channel.close(grace)

    async def __aenter__(self) -> RoutingChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class SyncRoutingChannel(_Routing):
    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()

    def __enter__(self) -> SyncRoutingChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def routing_channel(server: str, address: str, pki: Pki | None = None) -> RoutingChannel:
    """A channel to a real service or a fake serving as `server`, each method sent as a caller the
    real service allows."""
    return RoutingChannel(server, lambda who: channel_as(who, server, address, pki))


def add_port_as(grpc_server: grpc.aio.Server, address: str, identity: str, pki: Pki | None = None) -> int:
    """A test double listens as the service it stands for, so real services reach it as they would
    the real one (it checks no callers)."""
    return grpc_server.add_secure_port(address, server_credentials(identity_files(pki or session_pki(), identity)))

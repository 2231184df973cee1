"""Service identities for tests: one PKI per test session, channels that present a chosen
identity to a chosen service (the caller a test acts as: the gateway, the operator, ...), and user
tokens as the gateway signs them (the routing channels sign one for the user each request names,
as the gateway would; tests of the check itself mint their own)."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from contracts import identities
from glue.on_behalf import UserPolicy
from glue.service_identity import (
    CallerPolicy,
    IdentityFiles,
    secure_channel,
    secure_sync_channel,
    server_credentials,
)
from glue.user_token import METADATA_KEY, UserTokenSigner
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


def _wirings() -> dict[str, Any]:
    from services.billing import wiring as billing
    from services.feed import wiring as feed
    from services.generation import wiring as generation
    from services.visibility import wiring as visibility
    from services.webhooks import wiring as webhooks

    return {
        identities.BILLING: billing,
        identities.FEED: feed,
        identities.GENERATION_API: generation,
        identities.VISIBILITY: visibility,
        identities.WEBHOOKS: webhooks,
    }


def _policies() -> dict[str, CallerPolicy]:
    # A process serving several services (the generation API) names the policy over all of them.
    return {server: getattr(wiring, "API_CALLERS", wiring.CALLERS) for server, wiring in _wirings().items()}


def _user_policies() -> dict[str, UserPolicy]:
    return {server: getattr(wiring, "API_USERS", wiring.USERS) for server, wiring in _wirings().items()}


def user_signer(pki: Pki | None = None, lifetime_s: int = 30) -> UserTokenSigner:
    """The gateway's signer of the PKI (the session's unless given)."""
    return UserTokenSigner((pki or session_pki()).user_token_key_path.read_bytes(), lifetime_s)


def user_token(user_id: str, pki: Pki | None = None, now: float | None = None) -> str:
    return user_signer(pki).sign(user_id, now)


def as_user(user_id: str, pki: Pki | None = None) -> tuple[tuple[str, str], ...]:
    """Call metadata carrying `user_id`'s token, as the gateway sends it."""
    return ((METADATA_KEY, user_token(user_id, pki)),)


class _SignedCall:
    """A multicallable whose calls carry the token of the user their request names, unless the
    call sets its own."""

    def __init__(self, call: Any, field: str, signer: UserTokenSigner):
        self._call = call
        self._field = field
        self._signer = signer

    def _metadata(self, request: Any, metadata: Any) -> Any:
        given = tuple(metadata or ())
        if any(key == METADATA_KEY for key, _ in given):
            return given
        return (*given, *self._signer.metadata(getattr(request, self._field)))

    def __call__(self, request: Any, *args: Any, metadata: Any = None, **kwargs: Any) -> Any:
        return self._call(request, *args, metadata=self._metadata(request, metadata), **kwargs)

    def with_call(self, request: Any, *args: Any, metadata: Any = None, **kwargs: Any) -> Any:
        return self._call.with_call(request, *args, metadata=self._metadata(request, metadata), **kwargs)

    def future(self, request: Any, *args: Any, metadata: Any = None, **kwargs: Any) -> Any:
        return self._call.future(request, *args, metadata=self._metadata(request, metadata), **kwargs)


def allowed_caller(server: str, method: str) -> str:
    """An identity the server's policy lets call `method`: the gateway where it may."""
    allowed = _policies()[server].allowed.get(method) or {identities.GATEWAY}  # health, reflection
    return identities.GATEWAY if identities.GATEWAY in allowed else sorted(allowed)[0]


class _Routing:
    """Opens one channel per caller identity and sends each method through an allowed one, so a
    test that plays several callers of one service (the worker registering, the gateway toggling,
    the operator moderating) needs no bookkeeping. Tests of the policy itself pick the caller."""

    def __init__(self, server: str, open_as: Callable[[str], Any], pki: Pki | None = None):
        self._server = server
        self._open_as = open_as
        self._channels: dict[str, Any] = {}
        self._pki = pki

    def _signed(self, method: str, call: Any) -> Any:
        rule = _user_policies()[self._server].rule_for(method)
        return call if rule is None else _SignedCall(call, rule.field, user_signer(self._pki))

    def _through(self, method: str) -> Any:
        caller = allowed_caller(self._server, method)
        if caller not in self._channels:
            self._channels[caller] = self._open_as(caller)
        return self._channels[caller]

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._signed(method, self._through(method).unary_unary(method, *args, **kwargs))

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._signed(method, self._through(method).unary_stream(method, *args, **kwargs))

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
    real service allows, carrying a token of the user it names."""
    return RoutingChannel(server, lambda who: channel_as(who, server, address, pki), pki)


def add_port_as(grpc_server: grpc.aio.Server, address: str, identity: str, pki: Pki | None = None) -> int:
    """A test double listens as the service it stands for, so real services reach it as they would
    the real one (it checks no callers)."""
    return grpc_server.add_secure_port(address, server_credentials(identity_files(pki or session_pki(), identity)))

"""Authenticated service identity on gRPC: mutual TLS against the platform's own CA.

Every server asks each caller for a certificate signed by that CA and reads the caller's identity
from its subject CN; every client presents its own and checks that the server's certificate names
the service it meant to reach (the target name is the server's identity, whatever the address).
`CallerPolicy` then allows each method to the identities that need it: an unknown identity is
UNAUTHENTICATED, a known one calling what it may not is PERMISSION_DENIED. Only grpc.health.v1
answers anyone (probes), and only on its own plaintext port.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor

from glue.handler_guard import Admit, GuardInterceptor
from glue.user_context import ForwardUserToken

log = logging.getLogger(__name__)

REFLECTION_PREFIX = "/grpc.reflection."


class IdentityNotConfigured(SystemExit):
    pass


@dataclass(frozen=True)
class IdentityFiles:
    """PEM files: the platform CA, this process's certificate and its key."""

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def from_settings(cls, settings: Any) -> IdentityFiles:
        missing = [
            f"ATELIER_TLS_{name.upper()}" for name in ("ca", "cert", "key") if not getattr(settings, f"tls_{name}")
        ]
        if missing:
            raise IdentityNotConfigured(
                f"no service identity: set {', '.join(missing)} (PEM paths; `./atelierctl up` makes them "
                "under .atelier-data/pki)"
            )
        return cls(Path(settings.tls_ca), Path(settings.tls_cert), Path(settings.tls_key))

    def read(self) -> tuple[bytes, bytes, bytes]:
        try:
            return self.ca.read_bytes(), self.cert.read_bytes(), self.key.read_bytes()
        except OSError as error:
            raise IdentityNotConfigured(f"service identity unreadable: {error}") from error


def server_credentials(files: IdentityFiles) -> grpc.ServerCredentials:
    ca, cert, key = files.read()
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)


def _channel_arguments(files: IdentityFiles, server: str) -> tuple[grpc.ChannelCredentials, list[tuple[str, str]]]:
    ca, cert, key = files.read()
    credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    return credentials, [("grpc.ssl_target_name_override", server)]


def secure_channel(
    address: str, server: str, files: IdentityFiles, max_receive_bytes: int | None = None
) -> grpc.aio.Channel:
    """An asyncio channel to `server` (its identity) at `address`, presenting this process's identity.
    Calls made while serving a user's call carry that user's token (glue.user_context).
    max_receive_bytes: answers larger than gRPC's default 4 MB (image bytes)."""
    credentials, names = _channel_arguments(files, server)
    options: list[tuple[str, str | int]] = [*names]
    if max_receive_bytes is not None:
        options.append(("grpc.max_receive_message_length", max_receive_bytes))
    # grpc-stubs types aio channel interceptors as a placeholder that must be ignored.
    interceptors = [ForwardUserToken()]
    return grpc.aio.secure_channel(address, credentials, options=options, interceptors=interceptors)  # type: ignore[arg-type]


def secure_sync_channel(address: str, server: str, files: IdentityFiles) -> grpc.Channel:
    """The same for blocking callers (operator commands)."""
    credentials, options = _channel_arguments(files, server)
    return grpc.secure_channel(address, credentials, options=options)


class CallerPolicy:
    """Which identities may call each method of the services one server hosts. Every method of
    every hosted service needs an entry, so a new RPC is never open by omission."""

    def __init__(self, known: Collection[str], allowed: Mapping[str, frozenset[str]]):
        self.known = frozenset(known)
        self.allowed = dict(allowed)
        strangers = {name for callers in self.allowed.values() for name in callers} - self.known
        if strangers:
            raise ValueError(f"caller policy names unknown identities: {sorted(strangers)}")

    @classmethod
    def for_service(
        cls, known: Collection[str], service: ServiceDescriptor, callers: Mapping[str, Iterable[str]]
    ) -> CallerPolicy:
        methods = {method.name for method in service.methods}
        if set(callers) != methods:
            raise ValueError(
                f"{service.full_name}: caller policy must name exactly its methods; "
                f"missing {sorted(methods - set(callers))}, extra {sorted(set(callers) - methods)}"
            )
        return cls(known, {f"/{service.full_name}/{name}": frozenset(who) for name, who in callers.items()})

    def check(self, method: str, caller: str | None) -> tuple[grpc.StatusCode, str] | None:
        """None when `caller` may call `method`; else the status to refuse with."""
        if caller is None or caller not in self.known:
            return grpc.StatusCode.UNAUTHENTICATED, "unknown caller: present a platform service certificate"
        if method.startswith(REFLECTION_PREFIX):
            return None
        if caller not in self.allowed.get(method, frozenset()):
            return grpc.StatusCode.PERMISSION_DENIED, f"{caller} may not call {method}"
        return None


def peer_identity(context: grpc.aio.ServicerContext[Any, Any]) -> str | None:
    """The caller's identity: the CN of a certificate the TLS handshake verified against the CA."""
    names = list(context.auth_context().get("x509_common_name") or [])
    return names[0].decode() if len(names) == 1 else None


class IdentityInterceptor(GuardInterceptor):
    """Refuses a call before its handler runs unless the policy allows the caller."""

    def __init__(self, policy: CallerPolicy):
        self._policy = policy

    def admission(self, method: str) -> Admit:
        return _admission(self._policy, method)


def _admission(policy: CallerPolicy, method: str) -> Admit:
    async def admit(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        caller = peer_identity(context)
        refusal = policy.check(method, caller)
        if refusal is not None:
            log.warning("call refused", extra={"rpc": method, "caller": caller, "code": refusal[0].name})
            await context.abort(*refusal)

    return admit

"""Ports and credentials of the local stack, overridable through ATELIER_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

from tools.devstack.objectstore import DEFAULT_BUCKET
from tools.devstack.process import free_port_block, free_ports

# Ports a platform's processes may take above metrics_base (one each, at their metrics_port_offset).
METRICS_BLOCK = 16
# Ports field -> (environment variable, default)
PORT_SETTINGS: dict[str, tuple[str, int]] = {
    "postgres": ("ATELIER_PG_PORT", 15432),
    "nats": ("ATELIER_NATS_PORT", 14222),
    "s3": ("ATELIER_S3_PORT", 19000),
    "triton_http": ("ATELIER_TRITON_HTTP_PORT", 18000),
    "triton_grpc": ("ATELIER_TRITON_GRPC_PORT", 18001),
    "triton_metrics": ("ATELIER_TRITON_METRICS_PORT", 18002),
    "http": ("ATELIER_HTTP_PORT", 8080),
    "generation": ("ATELIER_GENERATION_PORT", 50051),
    "visibility": ("ATELIER_VISIBILITY_PORT", 50052),
    "feed": ("ATELIER_FEED_PORT", 50053),
    "billing": ("ATELIER_BILLING_PORT", 50054),
    "webhooks": ("ATELIER_WEBHOOKS_PORT", 50055),
    # Each service process exposes Prometheus metrics on metrics_base + its offset.
    "metrics_base": ("ATELIER_METRICS_PORT_BASE", 19100),
}


@dataclass(frozen=True)
class Ports:
    postgres: int
    nats: int
    s3: int
    triton_http: int
    triton_grpc: int
    triton_metrics: int
    http: int
    generation: int
    visibility: int
    feed: int
    billing: int
    webhooks: int
    metrics_base: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Ports:
        values = {}
        for name, (variable, default) in PORT_SETTINGS.items():
            raw = env.get(variable, str(default))
            try:
                values[name] = int(raw)
            except ValueError:
                raise ValueError(f"{variable}={raw!r} is not a port number") from None
        return cls(**values)

    @classmethod
    def free(cls) -> Ports:
        """Free loopback ports for a whole platform of one's own (benchmarks, the fault soak): all
        distinct, the metrics block (metrics_base + each process's offset) overlapping none."""
        names = [name for name in PORT_SETTINGS if name != "metrics_base"]
        return cls(**dict(zip(names, free_ports(len(names)), strict=True)), metrics_base=free_port_block(METRICS_BLOCK))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class ObjectStoreCredentials:
    access_key: str
    secret_key: str
    bucket: str = DEFAULT_BUCKET

    @classmethod
    def from_secrets(cls, secrets: Mapping[str, str], env: Mapping[str, str] = os.environ) -> ObjectStoreCredentials:
        """The stack's generated keys (tools/devstack/secrets.py); the bucket from ATELIER_S3_BUCKET."""
        return cls(
            access_key=secrets["s3_access_key"],
            secret_key=secrets["s3_secret_key"],
            bucket=env.get("ATELIER_S3_BUCKET", DEFAULT_BUCKET),
        )

"""The settings every service shares, read from ATELIER_* environment variables.

Each service subclasses `ServiceSettings` with its own fields and builds it once in `main()`;
pydantic-settings validates types so a bad value fails fast at start-up with a clear message.
"""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    log_level: str = "INFO"
    # Optional file that receives every finished span as one JSON line (tests, local debugging).
    trace_file: str | None = None
    # Prometheus /metrics endpoint of a gRPC service or worker; port 0 disables it. Loopback by
    # default; a cluster sets 0.0.0.0 so Prometheus can scrape the pod.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    # This process's service identity for gRPC, both ways (glue.service_identity): PEM files of
    # the platform's CA, this identity's certificate and its private key.
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # A plaintext port answering only grpc.health.v1 (kubelet probes cannot present a client
    # certificate); empty: none.
    health_listen: str = ""


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    database_url: str = "postgresql://atelier@127.0.0.1:15432/atelier"


class NatsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    nats_url: str = "nats://127.0.0.1:14222"
    # Copies of each stream a service owns, per deployment: 1 on a single NATS server, 3 on a
    # JetStream cluster so that losing a node loses no event.
    stream_replicas: int = Field(default=1, ge=1, le=5)


class ObjectStoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore")

    s3_endpoint: str = "127.0.0.1:19000"
    s3_access_key: str = "atelier"
    s3_secret_key: str = "atelier-dev-secret"
    s3_bucket: str = "atelier-images"
    s3_secure: bool = False

"""The settings every service shares, read from ATELIER_* environment variables.

Each service subclasses `ServiceSettings` with its own fields and builds it once in `main()`;
pydantic-settings validates types so a bad value fails fast at start-up with a clear message.
"""

from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# hide_input_in_errors: a validation error must not print the other settings, secrets among them.
SETTINGS_CONFIG = SettingsConfigDict(env_prefix="ATELIER_", extra="ignore", hide_input_in_errors=True)


class ServiceSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

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
    # PEM of the Ed25519 public key that verifies user tokens (glue.user_token): who a call is
    # made for. Only the gateway holds the private key.
    user_token_public_key: Path | None = None
    # A plaintext port answering only grpc.health.v1 (kubelet probes cannot present a client
    # certificate); empty: none.
    health_listen: str = ""


class DatabaseSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    database_url: str = "postgresql://atelier@127.0.0.1:15432/atelier"
    # Connections this process's pool may open. Every replica's pools together must fit the
    # server's max_connections (deploy/k8s sets each Deployment's; tests/unit/test_database_connections.py).
    db_pool_size: int = Field(default=10, ge=1)
    # A service with an outbox deletes its rows this long after they were published (JetStream
    # has them, and drops a republished duplicate for only 24 h), checking every interval.
    outbox_retention_s: float = Field(default=7 * 24 * 3600, gt=0)
    outbox_prune_interval_s: float = Field(default=3600, gt=0)


class NatsSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    nats_url: str = "nats://127.0.0.1:14222"
    # The service's NATS user (tools/devstack/nats_auth.py): put into nats_url, unless it carries its own.
    nats_user: str | None = None
    nats_password: str | None = None
    # Copies of each stream a service owns, per deployment: 1 on a single NATS server, 3 on a
    # JetStream cluster so that losing a node loses no event.
    stream_replicas: int = Field(default=1, ge=1, le=5)

    @model_validator(mode="after")
    def _credentials_in_url(self) -> "NatsSettings":
        if self.nats_user and self.nats_password and "@" not in self.nats_url:
            scheme, _, address = self.nats_url.partition("://")
            user, password = quote(self.nats_user, safe=""), quote(self.nats_password, safe="")
            self.nats_url = f"{scheme}://{user}:{password}@{address}"
        return self


def require_secrets(data: Any, *names: str) -> Any:
    """Secrets have no default: a value written in this repository would be every careless
    deployment's secret. Missing, the process stops at start with the variable to set."""
    if isinstance(data, dict):
        missing = [f"ATELIER_{name.upper()}" for name in names if not data.get(name)]
        if missing:
            raise ValueError(
                f"{', '.join(missing)} not set: secrets have no default"
                " (./atelierctl up generates them under .atelier-data/secrets; a cluster reads them from its Secret)"
            )
    return data


class ObjectStoreSettings(BaseSettings):
    model_config = SETTINGS_CONFIG

    s3_endpoint: str = "127.0.0.1:19000"
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str = "atelier-images"
    s3_secure: bool = False

    @model_validator(mode="before")
    @classmethod
    def _keys_given(cls, data: Any) -> Any:
        return require_secrets(data, "s3_access_key", "s3_secret_key")

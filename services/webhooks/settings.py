from pydantic import Field, field_validator, model_validator

from glue.settings import DatabaseSettings, NatsSettings, ServiceSettings

SCHEMA = "webhooks"


class WebhooksSettings(ServiceSettings, DatabaseSettings, NatsSettings):
    grpc_listen: str = "127.0.0.1:50055"
    # Endpoints whose host resolves to a loopback, private, link-local or otherwise non-global
    # address are refused at registration and at every delivery (SSRF). Only a development stack
    # or a test, whose receivers live on 127.0.0.1, sets this.
    webhook_allow_private_endpoints: bool = False
    # Plain http:// endpoints: the body and its signature would cross the network readable.
    webhook_allow_plain_http: bool = False
    # PEM bundle of the CAs endpoint certificates are checked against; empty: the system's (certifi).
    # A private CA is for a development stack or a test.
    webhook_ca_bundle: str = ""
    webhook_max_endpoints_per_account: int = Field(default=10, ge=1)
    # Attempts per delivery, the first included; then it is marked failed in the log.
    webhook_max_attempts: int = Field(default=8, ge=1, le=30)
    # Back-off before attempt n+1: base * 2**(n-1), at most max, plus up to a
    # quarter more at random so that an endpoint back from an outage is not hit by every retry at once.
    webhook_retry_base_s: float = Field(default=30.0, gt=0)
    webhook_retry_max_s: float = Field(default=3600.0, gt=0)
    # One attempt, connection included; longer counts as a failed attempt.
    webhook_request_timeout_s: float = Field(default=10.0, gt=0)
    # Deliveries in flight at once, per process.
    webhook_concurrency: int = Field(default=16, ge=1)
    # How often due retries are looked for when nothing woke the sender (new events wake it at once).
    webhook_poll_interval_s: float = Field(default=1.0, gt=0)
    # The delivery log is kept this long.
    webhook_log_retention_s: float = Field(default=30 * 24 * 3600, gt=0)

    @field_validator("grpc_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"must be host:port, got {value!r}")
        return value

    @model_validator(mode="after")
    def _retry_bounds(self) -> "WebhooksSettings":
        if self.webhook_retry_max_s < self.webhook_retry_base_s:
            raise ValueError("ATELIER_WEBHOOK_RETRY_MAX_S must be at least ATELIER_WEBHOOK_RETRY_BASE_S")
        return self

"""The gateway's settings, read from ATELIER_* environment variables (built once in main())."""

from pydantic import Field, field_validator

from glue.settings import DatabaseSettings, ObjectStoreSettings, ServiceSettings
from services.gateway.ratelimit.settings import RateLimitSettings


class GatewaySettings(ServiceSettings, DatabaseSettings, ObjectStoreSettings, RateLimitSettings):
    http_listen: str = "127.0.0.1:8080"
    generation_addr: str = "127.0.0.1:50051"
    visibility_addr: str = "127.0.0.1:50052"
    billing_addr: str = "127.0.0.1:50054"
    feed_addr: str = "127.0.0.1:50053"
    # The address people reach the web UI at, for share links (e.g. https://atelier.example.com);
    # empty: taken from each request's Host.
    public_url: str = ""
    # Session and CSRF cookies carry `Secure` except on plain-http requests to a loopback host;
    # false drops `Secure` everywhere (an http-only private network, knowingly).
    cookie_secure: bool = True
    # Comma-separated peer addresses (a TLS-terminating proxy) whose X-Forwarded-Proto is believed.
    trusted_proxies: str = ""
    # Strict-Transport-Security max-age on responses served over HTTPS; 0: no HSTS header.
    hsts_max_age_s: int = Field(default=365 * 24 * 3600, ge=0)
    # The largest request body read (bigger ones answer 413 before they are parsed); the payment
    # provider's webhook keeps its own limit.
    max_request_body_bytes: int = Field(default=1024 * 1024, gt=0)
    session_ttl_s: int = Field(default=30 * 24 * 3600, gt=0)
    # Deadline for each unary gRPC call to another service.
    grpc_timeout_s: float = Field(default=10.0, gt=0)
    # Server-sent events: how often the generation's state is polled, how often an idle stream
    # sends a heartbeat comment, and how long one stream may last (the browser reconnects).
    events_poll_interval_s: float = Field(default=1.0, gt=0)
    events_heartbeat_s: float = Field(default=15.0, gt=0)
    events_max_duration_s: float = Field(default=600.0, gt=0)

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an absolute http(s) URL, e.g. https://atelier.example.com")
        return value.rstrip("/")

    @field_validator("http_listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be HOST:PORT, e.g. 127.0.0.1:8080")
        return value

    @property
    def http_host(self) -> str:
        return self.http_listen.rpartition(":")[0]

    @property
    def http_port(self) -> int:
        return int(self.http_listen.rpartition(":")[2])

from pydantic import field_validator

from glue.settings import DatabaseSettings, NatsSettings, ServiceSettings

SCHEMA = "visibility"


class VisibilitySettings(ServiceSettings, DatabaseSettings, NatsSettings):
    grpc_listen: str = "127.0.0.1:50052"
    # BillingService (host:port): every SetVisibility asks it for the actor's plan; unreachable
    # means the change is refused with UNAVAILABLE (fail closed).
    billing_addr: str = "127.0.0.1:50054"
    billing_timeout_s: float = 3.0
    # Operator policy. True (Ideogram): a paid user may make any of their images private.
    # False (Leonardo): an image made without the privacy entitlement stays public for ever.
    retroactive_privacy: bool = True

    @field_validator("billing_addr", "grpc_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"must be host:port, got {value!r}")
        return value

    @field_validator("billing_timeout_s")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

"""The billing service's settings (ATELIER_* environment variables), built once in main()."""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator

from glue.settings import DatabaseSettings, NatsSettings, ServiceSettings
from services.billing.catalogue import DEFAULT_PLANS_FILE

SCHEMA = "billing"
MIN_WEBHOOK_SECRET = 16


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"must be host:port, got {value!r}")
    return value


class BillingSettings(ServiceSettings, DatabaseSettings, NatsSettings):
    grpc_listen: str = "127.0.0.1:50054"
    # Where the operator command (`python -m services.billing set-plan`) reaches the service.
    billing_addr: str = "127.0.0.1:50054"
    # The payment provider's webhook signing secret (Stripe: "whsec_..."). There is no default:
    # unset, every webhook is refused as unauthenticated (and a warning is logged at start), so a
    # deployment can never accept webhooks signed with a secret published in this repository.
    billing_webhook_secret: str | None = None
    # Signatures whose timestamp is further than this from now are stale (Stripe's default).
    billing_webhook_tolerance_s: int = 300
    # Who takes payments: "none" (plans change only by an operator), "stripe" (Stripe Checkout and
    # the Customer Portal; needs the API key and a Price id per plan for sale), or "standin"
    # (development and tests: pages on the gateway play Stripe's part, anyone can "pay"; needs the
    # webhook secret, which signs its events).
    billing_provider: Literal["none", "stripe", "standin"] = "none"
    # Stripe's secret API key ("sk_live_..." / "sk_test_...").
    billing_stripe_api_key: SecretStr | None = None
    # Plan name -> Stripe Price id, as JSON: {"basic": "price_...", "plus": "price_..."}.
    billing_stripe_prices: dict[str, str] = {}
    # The plan catalogue (TOML), validated at start.
    billing_plans_file: Path = DEFAULT_PLANS_FILE
    # A reservation neither committed nor refunded after this long is refunded by the sweep.
    billing_reservation_ttl_s: float = 24 * 3600
    # How often the sweep runs (expired reservations, unannounced lapses).
    billing_sweep_interval_s: float = 60.0
    # ImagesReady / GenerationFailed consumers: JetStream redelivery bounds.
    # With glue's back-off (1, 2, 5, then 10 s) 60 deliveries ride out ~10 min of database outage before
    # an event is dead-lettered (DEADLETTER keeps it 30 days; handlers are idempotent, so replaying it is safe).
    billing_consumer_max_deliver: int = 60
    # How long JetStream waits for an ack before redelivering (a crashed process's events).
    billing_consumer_ack_wait_s: float = 30.0

    @field_validator("grpc_listen", "billing_addr")
    @classmethod
    def _addresses(cls, value: str) -> str:
        return _host_port(value)

    @field_validator("billing_webhook_secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if len(value) < MIN_WEBHOOK_SECRET:
            raise ValueError(f"must be at least {MIN_WEBHOOK_SECRET} characters (Stripe's look like whsec_...)")
        return value

    @field_validator("billing_webhook_tolerance_s", "billing_consumer_max_deliver")
    @classmethod
    def _positive_int(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    @field_validator("billing_reservation_ttl_s", "billing_sweep_interval_s", "billing_consumer_ack_wait_s")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

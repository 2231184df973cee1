"""Bodies of the webhook endpoints' routes (services/gateway/api/routes/webhooks.py)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from atelier.webhooks.v1 import webhooks_pb2

EventName = Literal["generation.completed", "generation.failed", "image.visibility_changed"]


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(
        min_length=1,
        max_length=2048,
        description="An https:// URL whose host resolves to public addresses only (loopback, private and "
        "link-local ones are refused, at registration and at every delivery).",
    )
    events: list[EventName] = Field(
        default_factory=list, max_length=3, description="The events to deliver; empty or absent: all of them."
    )
    api_key_id: str | None = Field(
        default=None,
        max_length=64,
        description="The id of one of your live API keys (`GET /api/v1/api-keys`, never the key itself): the "
        "endpoint then receives only the events of generations submitted with that key, and of their "
        "images. Absent or null: every event of the account.",
    )


class WebhookApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str


class WebhookEndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    created_at: datetime
    api_key: WebhookApiKeyOut | None = Field(
        description="the API key whose generations' events it receives; null: the whole account's"
    )


class WebhookEndpointCreated(WebhookEndpointOut):
    signing_secret: str = Field(
        description="The HMAC-SHA256 key of the `Atelier-Signature` header of every delivery; shown only "
        "in this response."
    )


class WebhookEndpointList(BaseModel):
    items: list[WebhookEndpointOut]


class WebhookAttemptOut(BaseModel):
    attempt: int
    attempted_at: datetime
    response_status: int | None = Field(description="the endpoint's HTTP status; null when none came")
    error: str = Field(description="why the attempt failed; empty when it succeeded")
    duration_ms: int


class WebhookDeliveryOut(BaseModel):
    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: list[WebhookAttemptOut]
    body: dict[str, Any] = Field(description="the JSON that was (or will be) sent")


class WebhookDeliveryList(BaseModel):
    items: list[WebhookDeliveryOut]


def _time(stamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def endpoint_out(endpoint: webhooks_pb2.Endpoint, api_key: WebhookApiKeyOut | None) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=uuid.UUID(endpoint.endpoint_id),
        url=endpoint.url,
        events=list(endpoint.events),
        created_at=_time(endpoint.created_at),
        api_key=api_key,
    )


def delivery_out(delivery: webhooks_pb2.Delivery) -> WebhookDeliveryOut:
    return WebhookDeliveryOut(
        id=uuid.UUID(delivery.delivery_id),
        event_id=uuid.UUID(delivery.event_id),
        event_type=delivery.event_type,
        status=delivery.status,
        created_at=_time(delivery.created_at),
        next_attempt_at=_time(delivery.next_attempt_at) if delivery.HasField("next_attempt_at") else None,
        attempts=[
            WebhookAttemptOut(
                attempt=a.attempt,
                attempted_at=_time(a.attempted_at),
                response_status=a.response_status or None,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in delivery.attempts
        ],
        body=json.loads(delivery.body),
    )

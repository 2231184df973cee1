"""What a delivery says: one JSON object per event, built from the platform's events with ids and
statuses only. No image bytes, no object keys, no seeds and no prompt, whatever the event carries
(ImagesReady holds the prompt of a public generation): a webhook leaves the platform, and an
image made private later must not have its prompt sitting in a log outside it (ARCHITECTURE.md §3).
Every event is its owner's own, and only the owner's endpoints get it (consumers.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from atelier.common.v1 import envelope_pb2
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from contracts.common import SCOPE_FROM_PROTO
from glue.ids import parse_uuid

GENERATION_COMPLETED = "generation.completed"
GENERATION_FAILED = "generation.failed"
IMAGE_VISIBILITY_CHANGED = "image.visibility_changed"
EVENT_TYPES = (GENERATION_COMPLETED, GENERATION_FAILED, IMAGE_VISIBILITY_CHANGED)


class UnusableEvent(ValueError):
    """The event lacks what a delivery must name (its owner, a known visibility)."""


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    event_type: str
    owner_id: str
    body: bytes  # the JSON sent, exactly as signed
    # The owner's API key the generation was submitted with: its endpoints get the event too.
    # None (a web session's, or a malformed id): the account-wide endpoints only. Never in the body.
    api_key_id: UUID | None = None


def _body(envelope: envelope_pb2.EventEnvelope, event_type: str, data: dict[str, Any]) -> bytes:
    if parse_uuid(envelope.event_id) is None:
        raise UnusableEvent(f"event id {envelope.event_id!r} is not a UUID")
    document = {
        "id": envelope.event_id,
        "type": event_type,
        "created_at": envelope.occurred_at.ToJsonString(),
        "data": data,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _visibility(value: int) -> str:
    name = SCOPE_FROM_PROTO.get(value)
    if name is None:
        raise UnusableEvent(f"unknown visibility {value}")
    return name


def _owner(owner_id: str) -> str:
    if not owner_id:
        raise UnusableEvent("the event names no owner")
    return owner_id


def _submitted_with(api_key_id: str) -> UUID | None:
    return parse_uuid(api_key_id) if api_key_id else None


def generation_completed(envelope: envelope_pb2.EventEnvelope, event: generation_events.ImagesReady) -> WebhookEvent:
    data = {
        "generation_id": event.generation_id,
        "status": "succeeded",
        "visibility": _visibility(event.visibility),
        "image_ids": [image.image_id for image in event.images],
    }
    return WebhookEvent(
        envelope.event_id,
        GENERATION_COMPLETED,
        _owner(event.owner_id),
        _body(envelope, GENERATION_COMPLETED, data),
        _submitted_with(event.api_key_id),
    )


def generation_failed(envelope: envelope_pb2.EventEnvelope, event: generation_events.GenerationFailed) -> WebhookEvent:
    # The reason is the sentence the owner sees on the generation itself.
    data = {"generation_id": event.generation_id, "status": "failed", "reason": event.reason}
    return WebhookEvent(
        envelope.event_id,
        GENERATION_FAILED,
        _owner(event.owner_id),
        _body(envelope, GENERATION_FAILED, data),
        _submitted_with(event.api_key_id),
    )


def image_visibility_changed(
    envelope: envelope_pb2.EventEnvelope, event: visibility_events.VisibilityChanged
) -> WebhookEvent:
    """Names no key: the consumer looks up which key submitted the image's generation."""
    data = {"image_id": event.image_id, "visibility": _visibility(event.visibility), "version": event.version}
    return WebhookEvent(
        envelope.event_id,
        IMAGE_VISIBILITY_CHANGED,
        _owner(event.owner_id),
        _body(envelope, IMAGE_VISIBILITY_CHANGED, data),
    )

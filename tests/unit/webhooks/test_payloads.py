"""What a delivery says: ids and statuses of the owner's own event, never a prompt, seed or key."""

from __future__ import annotations

import json
import uuid

import pytest

from atelier.common.v1.visibility_pb2 import VISIBILITY_PRIVATE, VISIBILITY_PUBLIC, VISIBILITY_UNSPECIFIED
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from glue.events import make_envelope
from services.webhooks import payloads


def _ready(visibility=VISIBILITY_PUBLIC) -> generation_events.ImagesReady:
    return generation_events.ImagesReady(
        generation_id=str(uuid.uuid4()),
        owner_id="u1",
        prompt="a red circle on a secret blue square",
        visibility=visibility,
        source_image_id=str(uuid.uuid4()),
        images=[generation_events.ReadyImage(image_id=str(uuid.uuid4()), object_key="k/secret.png", seed=987654321)],
    )


def test_generation_completed_carries_ids_and_status_and_nothing_private():
    event = _ready()
    envelope = make_envelope(event, {})
    sent = payloads.generation_completed(envelope, event)
    body = json.loads(sent.body)
    assert body == {
        "id": envelope.event_id,
        "type": "generation.completed",
        "created_at": envelope.occurred_at.ToJsonString(),
        "data": {
            "generation_id": event.generation_id,
            "status": "succeeded",
            "visibility": "public",
            "image_ids": [event.images[0].image_id],
        },
    }
    for private in ("secret", "k/secret.png", "987654321", "seed", "prompt", event.source_image_id):
        assert private not in sent.body.decode()
    assert sent.owner_id == "u1"


def test_visibility_changed_to_private_carries_no_prompt():
    event = visibility_events.VisibilityChanged(
        image_id=str(uuid.uuid4()), owner_id="u1", visibility=VISIBILITY_PRIVATE, version=3
    )
    body = json.loads(payloads.image_visibility_changed(make_envelope(event, {}), event).body)
    assert body["data"] == {"image_id": event.image_id, "visibility": "private", "version": 3}


def test_generation_failed_carries_the_owners_reason():
    event = generation_events.GenerationFailed(generation_id=str(uuid.uuid4()), owner_id="u1", reason="Try again.")
    body = json.loads(payloads.generation_failed(make_envelope(event, {}), event).body)
    assert body["data"] == {"generation_id": event.generation_id, "status": "failed", "reason": "Try again."}


@pytest.mark.parametrize(
    "event",
    [
        generation_events.GenerationFailed(generation_id="g"),  # no owner
        visibility_events.VisibilityChanged(image_id="i", owner_id="u1", visibility=VISIBILITY_UNSPECIFIED),
    ],
)
def test_events_without_an_owner_or_a_known_visibility_are_unusable(event):
    build = (
        payloads.generation_failed
        if isinstance(event, generation_events.GenerationFailed)
        else payloads.image_visibility_changed
    )
    with pytest.raises(payloads.UnusableEvent):
        build(make_envelope(event, {}), event)


def test_the_submitting_key_routes_the_event_and_is_not_in_the_body():
    key_id = uuid.uuid4()
    ready = _ready()
    ready.api_key_id = str(key_id)
    failed = generation_events.GenerationFailed(generation_id="g", owner_id="u1", reason="r", api_key_id=str(key_id))
    for sent in (
        payloads.generation_completed(make_envelope(ready, {}), ready),
        payloads.generation_failed(make_envelope(failed, {}), failed),
    ):
        assert sent.api_key_id == key_id
        assert str(key_id) not in sent.body.decode()
    # None (a web session's) or a malformed id: the account-wide endpoints only.
    for value in ("", "not-a-key-id"):
        ready.api_key_id = value
        assert payloads.generation_completed(make_envelope(ready, {}), ready).api_key_id is None

"""Wire events become domain events; content that can never apply is a poison message."""

from datetime import UTC
from uuid import uuid4

import pytest

from atelier.common.v1 import visibility_pb2
from atelier.generation.v1 import events_pb2 as generation_events
from atelier.visibility.v1 import events_pb2 as visibility_events
from contracts.generation import IMAGE_DELETED, IMAGES_READY
from contracts.visibility import VISIBILITY_CHANGED
from glue.consumer import PoisonMessage
from glue.events import make_envelope
from services.feed.consumers import changes_of
from services.feed.projection import Deleted, ImageReady, Visibility, VisibilitySet


def test_images_ready_gives_one_change_per_image_created_when_the_event_occurred():
    ids = [str(uuid4()), str(uuid4())]
    event = generation_events.ImagesReady(
        owner_id="alice",
        prompt="a red circle",
        visibility=visibility_pb2.VISIBILITY_PUBLIC,
        visibility_version=1,
        images=[generation_events.ReadyImage(image_id=i, width=512, height=288) for i in ids],
    )
    envelope = make_envelope(event, {})
    changes = changes_of(IMAGES_READY, envelope, event)
    assert [str(i) for i, _ in changes] == ids
    change = changes[0][1]
    assert isinstance(change, ImageReady)
    assert change.created_at == envelope.occurred_at.ToDatetime(tzinfo=UTC)
    assert (change.owner_id, change.prompt, change.width, change.height, change.visibility, change.version) == (
        "alice",
        "a red circle",
        512,
        288,
        Visibility.PUBLIC,
        1,
    )


def test_an_unspecified_visibility_is_private():
    image_id = str(uuid4())
    event = visibility_events.VisibilityChanged(image_id=image_id, version=3)
    [(_, change)] = changes_of(VISIBILITY_CHANGED, make_envelope(event, {}), event)
    assert change == VisibilitySet(Visibility.PRIVATE, 3)


def test_image_deleted_deletes_every_image():
    ids = [str(uuid4()) for _ in range(4)]
    event = generation_events.ImageDeleted(image_ids=ids)
    assert [c for _, c in changes_of(IMAGE_DELETED, make_envelope(event, {}), event)] == [Deleted()] * 4


@pytest.mark.parametrize(
    "subject,event",
    [
        (VISIBILITY_CHANGED, visibility_events.VisibilityChanged(image_id=str(uuid4()), version=0)),
        (VISIBILITY_CHANGED, visibility_events.VisibilityChanged(image_id="../etc", version=2)),
        (IMAGE_DELETED, generation_events.ImageDeleted(image_ids=["nope"])),
    ],
)
def test_events_that_can_never_apply_are_poison(subject, event):
    with pytest.raises(PoisonMessage):
        changes_of(subject, make_envelope(event, {}), event)

"""The feed asks the generation service for the prompts of images made public, as an anonymous
viewer: only what it answers (images public now) reaches the projection."""

import uuid

from atelier.generation.v1 import generation_pb2
from services.feed.projection import Deleted, Visibility, VisibilitySet
from services.feed.prompts import PublicPrompts

STILL_PUBLIC, NO_LONGER_PUBLIC, PRIVATE_ONE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


class FakeGeneration:
    def __init__(self) -> None:
        self.requests: list[generation_pb2.BatchGetImagesRequest] = []

    async def BatchGetImages(self, request, timeout):
        self.requests.append(request)
        return generation_pb2.BatchGetImagesResponse(
            images=[generation_pb2.Image(image_id=str(STILL_PUBLIC), prompt="a red circle")]
        )


def prompts_with(fake: FakeGeneration) -> PublicPrompts:
    prompts = PublicPrompts.__new__(PublicPrompts)
    prompts._stub, prompts._timeout_s = fake, 1.0
    return prompts


async def test_only_images_made_public_are_asked_about_anonymously_and_get_what_is_answered():
    fake = FakeGeneration()
    changes = [
        (STILL_PUBLIC, VisibilitySet(Visibility.PUBLIC, 3)),
        (NO_LONGER_PUBLIC, VisibilitySet(Visibility.PUBLIC, 2)),
        (PRIVATE_ONE, VisibilitySet(Visibility.PRIVATE, 4)),
        (PRIVATE_ONE, Deleted()),
    ]
    attached = await prompts_with(fake).attach(changes)
    assert attached == [
        (STILL_PUBLIC, VisibilitySet(Visibility.PUBLIC, 3, "a red circle")),
        (NO_LONGER_PUBLIC, VisibilitySet(Visibility.PUBLIC, 2, "")),
        (PRIVATE_ONE, VisibilitySet(Visibility.PRIVATE, 4)),
        (PRIVATE_ONE, Deleted()),
    ]
    [request] = fake.requests
    assert request.viewer_id == "" and sorted(request.image_ids) == sorted(map(str, [STILL_PUBLIC, NO_LONGER_PUBLIC]))


async def test_no_image_made_public_asks_nothing():
    fake = FakeGeneration()
    changes = [(PRIVATE_ONE, VisibilitySet(Visibility.PRIVATE, 2))]
    assert await prompts_with(fake).attach(changes) == changes
    assert fake.requests == []

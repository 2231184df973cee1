"""The prompts of images made public after they were ready, as the generation service answers them.

ImagesReady carries the prompt only of images public when ready (ARCHITECTURE.md §3: internal
consumers never see a private image's prompt). When a VisibilityChanged to public arrives, the
feed asks the generation service, which answers an anonymous viewer only about images public right
now (it asks the visibility authority, failing closed). An image that is no longer public gets no
prompt: its newer private version, on its way, will find none to erase.
"""

from __future__ import annotations

import logging
from uuid import UUID

import grpc

from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from services.feed.metrics import PROMPT_LOOKUP_FAILURES
from services.feed.projection import Event, Visibility, VisibilitySet

log = logging.getLogger(__name__)

MAX_IDS_PER_CALL = 500
ANONYMOUS = ""


class PromptsUnavailable(Exception):
    """The generation service did not answer: the events are retried later."""


class PublicPrompts:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float):
        self._stub = generation_pb2_grpc.GenerationServiceStub(channel)
        self._timeout_s = timeout_s

    async def of(self, image_ids: list[UUID]) -> dict[UUID, str]:
        """image id → prompt, for those of image_ids that are public now."""
        prompts: dict[UUID, str] = {}
        for start in range(0, len(image_ids), MAX_IDS_PER_CALL):
            chunk = [str(i) for i in image_ids[start : start + MAX_IDS_PER_CALL]]
            try:
                reply = await self._stub.BatchGetImages(
                    generation_pb2.BatchGetImagesRequest(image_ids=chunk, viewer_id=ANONYMOUS),
                    timeout=self._timeout_s,
                )
            except grpc.aio.AioRpcError as error:
                PROMPT_LOOKUP_FAILURES.inc()
                raise PromptsUnavailable(error.details() or error.code().name) from error
            asked = set(chunk)
            prompts.update({UUID(image.image_id): image.prompt for image in reply.images if image.image_id in asked})
        return prompts

    async def attach(self, changes: list[tuple[UUID, Event]]) -> list[tuple[UUID, Event]]:
        """The changes, each VisibilitySet to public carrying the prompt the generation service
        answers now ("" for an image no longer public)."""
        wanted = sorted({i for i, e in changes if isinstance(e, VisibilitySet) and e.visibility is Visibility.PUBLIC})
        if not wanted:
            return changes
        prompts = await self.of(wanted)
        return [(image_id, _with_prompt(event, prompts.get(image_id, ""))) for image_id, event in changes]


def _with_prompt(event: Event, prompt: str) -> Event:
    if not isinstance(event, VisibilitySet) or event.visibility is not Visibility.PUBLIC:
        return event
    return VisibilitySet(event.visibility, event.version, prompt)

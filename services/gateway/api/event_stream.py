"""The server-sent-event stream of one generation, for its owner.

Events: `state` first (the generation as GET shows it, so that a late subscriber is never stuck),
then `progress` ({step, total, previews: [data URLs]}) as the worker reports it, and finally
`completed` or `failed` (the generation again, with its images or its error), after which the
stream ends. Progress comes from the generation service's WatchProgress (which relays the
worker's core NATS messages); the end comes from GetGeneration, fetched at once when the worker's
`finished` notice arrives and polled otherwise, so it stays the source of truth when a NATS
message is lost. Idle streams get a heartbeat comment.

The credential that opened the stream (session or API key) is checked again before every preview
and at every poll: once it is revoked, ended or expired the stream ends without another event.
"""

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass

from atelier.generation.v1 import events_pb2, generation_pb2
from services.gateway.api.views import generation_view
from services.gateway.clients.generation import GenerationClient, ProgressFeed
from services.gateway.problems import Problem

log = logging.getLogger(__name__)

RECONNECT_DELAY_MS = 3000


@dataclass(frozen=True)
class StreamTiming:
    poll_interval_s: float
    heartbeat_s: float
    max_duration_s: float


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


# The current visibility of a generation's images (image id → "public"/"private"), from the authority.
CurrentVisibility = Callable[[generation_pb2.Generation], Awaitable[Mapping[str, str]]]


async def _generation_event(generation: generation_pb2.Generation, current: CurrentVisibility) -> tuple[str, dict]:
    asks = generation.images or generation.params.source_image_id
    view = generation_view(generation, await current(generation) if asks else {})
    event = {"succeeded": "completed", "failed": "failed"}.get(view.status, "state")
    return event, view.model_dump(mode="json")


def _progress_data(progress: events_pb2.GenerationProgress) -> dict:
    previews = ["data:image/png;base64," + base64.b64encode(png).decode() for png in progress.previews_png]
    return {"step": progress.step, "total": progress.total, "previews": previews}


async def generation_events(
    generation_id: str,
    viewer_id: str,
    generations: GenerationClient,
    feed: ProgressFeed,
    timing: StreamTiming,
    current: CurrentVisibility,
    credential_valid: Callable[[], Awaitable[bool]],
) -> AsyncIterator[str]:
    """The caller has already checked that viewer_id owns the generation."""
    # Subscribe before reading the state, so that no progress falls between the two.
    async with feed.subscribe(generation_id, viewer_id) as queue:
        generation = await generations.get(generation_id, viewer_id)
        yield f"retry: {RECONNECT_DELAY_MS}\n\n"
        event, data = await _generation_event(generation, current)
        yield sse("state", data)
        if event != "state":
            yield sse(event, data)
            return
        last_step = generation.progress_step
        started = last_sent = time.monotonic()
        next_poll = started + timing.poll_interval_s
        while time.monotonic() - started < timing.max_duration_s:
            wait_s = max(0.0, min(next_poll, last_sent + timing.heartbeat_s) - time.monotonic())
            try:
                progress = await asyncio.wait_for(queue.get(), wait_s)
            except TimeoutError:
                progress = None
            # Defence in depth: the subject already names this generation, but a preview is only
            # ever relayed when the message itself says it belongs to this generation and viewer.
            if progress is not None and progress.generation_id == generation_id and progress.owner_id == viewer_id:
                if progress.finished:
                    next_poll = time.monotonic()  # the end is known: fetch it now, not at the next poll
                else:
                    if not await credential_valid():
                        return
                    last_step = max(last_step, progress.step)
                    yield sse("progress", _progress_data(progress))
                    last_sent = time.monotonic()
            if time.monotonic() >= next_poll:
                next_poll = time.monotonic() + timing.poll_interval_s
                if not await credential_valid():
                    return
                try:
                    generation = await generations.get(generation_id, viewer_id)
                    event, data = await _generation_event(generation, current)
                except Problem as problem:
                    if problem.status == 404:  # deleted meanwhile
                        yield sse(
                            "failed",
                            {
                                "generation_id": generation_id,
                                "status": "failed",
                                "error": "The generation no longer exists.",
                            },
                        )
                        return
                    log.warning(
                        "polling generation failed; will retry",
                        extra={"generation_id": generation_id, "status": problem.status},
                    )
                    continue
                if event != "state":
                    yield sse(event, data)
                    return
                if generation.progress_step > last_step:
                    # Progress known to the service but not seen on NATS (a lost message): report it
                    # without previews rather than leave the bar still.
                    last_step = generation.progress_step
                    yield sse(
                        "progress",
                        {"step": generation.progress_step, "total": generation.progress_total, "previews": []},
                    )
                    last_sent = time.monotonic()
            if time.monotonic() - last_sent >= timing.heartbeat_s:
                yield ": heartbeat\n\n"
                last_sent = time.monotonic()

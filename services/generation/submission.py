"""Accepting a generation: the row and its GenerationRequested event in one transaction."""

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool

from atelier.common.v1 import visibility_pb2
from atelier.generation.v1 import events_pb2, generation_pb2
from glue.events import enqueue_event
from services.generation import repository
from services.generation.events import GENERATION_REQUESTED
from services.generation.prompting import expand_prompt
from services.generation.records import GenerationRecord
from services.generation.requests import GenerationSpec

VISIBILITY_TO_PROTO = {"public": visibility_pb2.VISIBILITY_PUBLIC, "private": visibility_pb2.VISIBILITY_PRIVATE}


class IdempotencyConflict(Exception):
    """The idempotency key was used before for a different request."""


def request_hash(raw_request: dict) -> str:
    return hashlib.sha256(json.dumps(raw_request, sort_keys=True).encode()).hexdigest()


def new_record(owner_id: str, idempotency_key: str | None, spec: GenerationSpec, raw_hash: str) -> GenerationRecord:
    magic = expand_prompt(spec.prompt, spec.seed) if spec.magic_prompt else ""
    return GenerationRecord(
        id=uuid.uuid4(),
        owner_id=owner_id,
        idempotency_key=idempotency_key,
        status="queued",
        params={
            "negative_prompt": spec.negative_prompt,
            "aspect_ratio": spec.aspect_ratio,
            "magic_prompt": spec.magic_prompt,
            "color_palette": list(spec.color_palette),
            "steps": spec.steps,
            "guidance": spec.guidance,
            "source_image_id": spec.source_image_id,
            "mode": spec.mode,
        },
        request_hash=raw_hash,
        prompt=spec.prompt,
        effective_prompt=magic or spec.prompt,
        magic_prompt=magic,
        seed=spec.seed,
        num_images=spec.num_images,
        width=spec.width,
        height=spec.height,
        visibility=spec.visibility,
        storage_prefix=secrets.token_urlsafe(24),
        progress_step=0,
        progress_total=spec.steps,
        attempts=0,
        error="",
        created_at=datetime.now(UTC),
        started_at=None,
        completed_at=None,
    )


def requested_event(record: GenerationRecord) -> events_pb2.GenerationRequested:
    return events_pb2.GenerationRequested(
        generation_id=str(record.id),
        owner_id=record.owner_id,
        params=generation_pb2.GenerationParams(
            prompt=record.prompt,
            negative_prompt=record.params["negative_prompt"],
            seed=record.seed,
            num_images=record.num_images,
            aspect_ratio=record.params["aspect_ratio"],
            magic_prompt=record.params["magic_prompt"],
            color_palette=record.params["color_palette"],
            steps=record.params["steps"],
            guidance=record.params["guidance"],
            source_image_id=record.params["source_image_id"],
            mode=record.params["mode"],
        ),
        visibility=VISIBILITY_TO_PROTO[record.visibility],
        effective_prompt=record.effective_prompt,
        seed=record.seed,
    )


async def submit(
    pool: AsyncConnectionPool, owner_id: str, idempotency_key: str | None, spec: GenerationSpec, raw_hash: str
) -> tuple[GenerationRecord, bool]:
    """Returns (generation, created). A repeated idempotency key returns the first generation."""
    record = new_record(owner_id, idempotency_key, spec, raw_hash)
    async with pool.connection() as conn, conn.transaction():
        if await repository.insert_generation(conn, record):
            await enqueue_event(conn, GENERATION_REQUESTED, requested_event(record))
            return record, True
        existing = await repository.find_by_idempotency_key(conn, owner_id, idempotency_key or "")
    if existing is None:  # only reachable if the conflicting row vanished between statements
        raise IdempotencyConflict("the idempotency key's generation no longer exists")
    if existing.request_hash != raw_hash:
        raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
    async with pool.connection() as conn:
        return await repository.get_generation(conn, existing.id), False

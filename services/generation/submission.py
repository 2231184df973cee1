"""Accepting a generation: the row and its GenerationRequested event in one transaction."""

import hashlib
import json
import logging
import secrets
import uuid
from datetime import UTC, datetime

from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2, generation_pb2
from glue.events import enqueue_event
from services.generation import repository
from services.generation.clients import VISIBILITY_TO_PROTO, BillingClient
from services.generation.events import GENERATION_REQUESTED
from services.generation.prompting import expand_prompt
from services.generation.records import GenerationRecord
from services.generation.requests import GenerationSpec, denoising_steps

log = logging.getLogger(__name__)
CREDITS_PER_IMAGE = 1


class IdempotencyConflict(Exception):
    """The idempotency key was used before for a different request."""


class ConcurrencyLimit(Exception):
    """The owner already has as many generations in progress as the plan allows."""


class SourceImageNotFound(Exception):
    """A remix names an image this service does not hold (never existed, or deleted)."""


def request_hash(raw_request: dict) -> str:
    return hashlib.sha256(json.dumps(raw_request, sort_keys=True).encode()).hexdigest()


def new_record(
    owner_id: str, idempotency_key: str | None, spec: GenerationSpec, raw_hash: str, privacy_entitled: bool
) -> GenerationRecord:
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
            "strength": spec.strength,
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
        progress_total=denoising_steps(spec.steps, spec.strength),
        attempts=0,
        error="",
        created_at=datetime.now(UTC),
        started_at=None,
        completed_at=None,
        privacy_entitled=privacy_entitled,
        source_image_id=uuid.UUID(spec.source_image_id) if spec.source_image_id else None,
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
            strength=record.params.get("strength") or 0.0,
        ),
        visibility=VISIBILITY_TO_PROTO[record.visibility],
        effective_prompt=record.effective_prompt,
        seed=record.seed,
    )


async def _existing(pool: AsyncConnectionPool, owner_id: str, key: str, raw_hash: str) -> GenerationRecord | None:
    async with pool.connection() as conn:
        existing = await repository.find_by_idempotency_key(conn, owner_id, key)
        if existing is None:
            return None
        if existing.request_hash != raw_hash:
            raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
        return await repository.get_generation(conn, existing.id)


async def submit(
    pool: AsyncConnectionPool,
    billing: BillingClient,
    owner_id: str,
    idempotency_key: str | None,
    spec: GenerationSpec,
    raw_hash: str,
    *,
    privacy_entitled: bool = False,
    max_concurrent: int = 0,
) -> tuple[GenerationRecord, bool]:
    """Returns (generation, created). A repeated idempotency key returns the first generation
    and reserves nothing. A remix's source must be an image of this service (SourceImageNotFound).
    Credits are reserved before the generation exists and released again when it is not created,
    so a refused or failed submission costs nothing."""
    if idempotency_key and (existing := await _existing(pool, owner_id, idempotency_key, raw_hash)):
        return existing, False
    if spec.source_image_id:
        # Checked before credits are reserved. A source deleted after this point fails the
        # generation in the worker, with a message saying so.
        async with pool.connection() as conn:
            if await repository.get_image(conn, uuid.UUID(spec.source_image_id)) is None:
                raise SourceImageNotFound("source image not found")
    record = new_record(owner_id, idempotency_key, spec, raw_hash, privacy_entitled)
    await billing.reserve(owner_id, str(record.id), spec.num_images * CREDITS_PER_IMAGE)
    try:
        async with pool.connection() as conn, conn.transaction():
            await repository.lock_owner(conn, owner_id)
            if max_concurrent and (running := await repository.count_unfinished_of(conn, owner_id)) >= max_concurrent:
                raise ConcurrencyLimit(
                    f"You have {running} generation(s) in progress and your plan allows {max_concurrent} at a time."
                    " Wait for one to finish or upgrade your plan."
                )
            created = await repository.insert_generation(conn, record)
            if created:
                await enqueue_event(conn, GENERATION_REQUESTED, requested_event(record))
    except BaseException:
        await _release_quietly(billing, record)
        raise
    if created:
        return record, True
    await _release_quietly(billing, record)  # a concurrent twin with the same key won the insert
    existing = await _existing(pool, owner_id, idempotency_key or "", raw_hash)
    if existing is None:
        raise IdempotencyConflict("the idempotency key's generation no longer exists")
    return existing, False


async def _release_quietly(billing: BillingClient, record: GenerationRecord) -> None:
    try:
        await billing.release(str(record.id))
    except Exception as error:  # billing expires unclaimed reservations; never mask the real outcome
        log.warning("could not release credits", extra={"generation_id": str(record.id), "error": str(error)})

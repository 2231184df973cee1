"""Accepting a generation: this service decides it (visibility, concurrency, credits) from what
the owner asked for and one ReserveCredits answer of billing, then writes the row, with what was
decided, and its GenerationRequested event in one transaction."""

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

import psycopg
from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2, generation_pb2
from contracts.common import SCOPE_TO_PROTO
from contracts.generation import GENERATION_REQUESTED
from glue.events import enqueue_event
from imagemodel import magic_prompt, style
from services.generation import repository, reservations
from services.generation.clients import (
    BillingClient,
    NotEntitled,
    OutOfCredits,
    Reservation,
)
from services.generation.decision import (
    PRIVATE,
    PRIVATE_GENERATION,
    TEAM,
    VisibilityRefused,
    WantedVisibility,
    check_concurrency,
    decide_visibility,
    refusal_of,
    wanted_visibility,
)
from services.generation.inference import ImageAction
from services.generation.records import GenerationRecord
from services.generation.requests import GENERATE, GenerationSpec, denoising_steps, kind_to_proto, nearest_aspect_ratio

CREDITS_PER_IMAGE = 1


class TrainedModel(Protocol):
    @property
    def weights_key(self) -> str | None: ...


class CustomModelAuthority(Protocol):
    """Who may use which custom model (custom_model_use.ModelUse, handed over by wiring, so the
    models' tables and team rules stay off a generation's path): the model, or None."""

    async def usable(self, viewer_id: str, model_id: uuid.UUID) -> TrainedModel | None: ...


class IdempotencyConflict(Exception):
    """The idempotency key was used before for a different request."""


class SourceImageNotFound(Exception):
    """A remix names an image this service does not hold (never existed, or deleted), or an image
    action names one that is not the owner's."""


class CustomModelNotFound(SourceImageNotFound):
    """The custom model asked for is not one the owner may use (missing, deleted, untrained, or
    someone else's not shared with a team of theirs: the same answer)."""


class ActionNotEntitled(Exception):
    """The plan in force does not include this image action (nothing reserved)."""

    reason = "action_not_entitled"

    def __init__(self, action: ImageAction):
        super().__init__(f"{action.kind} needs the {action.entitlement} entitlement on an active plan")


def request_hash(raw_request: dict) -> str:
    return hashlib.sha256(json.dumps(raw_request, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Asked:
    """What the owner asked for beyond the parameters."""

    # None: nothing asked (the last choice applies).
    visibility: str | None = None
    # The visibility is a retry's copy of the original's, not a choice to remember.
    visibility_copied: bool = False
    seed_chosen: bool = False
    # With the team visibility: its team.
    team_id: str = ""
    # The owner's API key the request came with ("" from a web session): who submitted, not what
    # (outside the request hash), for the owner's key-scoped webhooks only.
    api_key_id: str = ""


def new_record(
    owner_id: str, idempotency_key: str | None, spec: GenerationSpec, raw_hash: str, asked: Asked
) -> GenerationRecord:
    """The generation as requested; what is decided (visibility, privacy_entitled) is set later."""
    magic = magic_prompt.expand(spec.prompt, spec.seed) if spec.magic_prompt else ""
    return GenerationRecord.queued(
        owner_id=owner_id,
        idempotency_key=idempotency_key,
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
            "kind": spec.kind,
            "style_image_id": spec.style_image_id,
            "style_strength": spec.style_strength,
            **({"options": dict(spec.options)} if spec.options else {}),
            **({"model_id": spec.model_id, "model_scale": spec.model_scale} if spec.model_id else {}),
            **({"team_id": asked.team_id} if asked.team_id else {}),
            **({"api_key_id": asked.api_key_id} if asked.api_key_id else {}),
        },
        request_hash=raw_hash,
        prompt=spec.prompt,
        effective_prompt=magic or spec.prompt,
        magic_prompt=magic,
        seed=spec.seed,
        num_images=spec.num_images,
        width=spec.width,
        height=spec.height,
        initial_visibility=spec.visibility,
        # An action is one step: the model's answer.
        progress_total=1 if spec.kind != GENERATE else denoising_steps(spec.steps, _redrawn(spec)),
        source_image_id=uuid.UUID(spec.source_image_id) if spec.source_image_id else None,
        seed_chosen=asked.seed_chosen,
        # An action's visibility is its source's, not a choice to remember; a team is never remembered.
        visibility_chosen=asked.visibility not in (None, TEAM)
        and not asked.visibility_copied
        and spec.kind == GENERATE,
    )


def _redrawn(spec: GenerationSpec) -> float | None:
    """The image-to-image strength the model runs at: a remix's, or a style reference's (which starts
    from the reference); None for text-to-image."""
    if spec.strength is None and spec.style_image_id and spec.style_strength is not None:
        return style.composition_strength(spec.style_strength)
    return spec.strength


def requested_event(record: GenerationRecord) -> events_pb2.GenerationRequested:
    return events_pb2.GenerationRequested(
        generation_id=str(record.id),
        owner_id=record.owner_id,
        params=generation_params(record),
        visibility=SCOPE_TO_PROTO[record.initial_visibility],
        effective_prompt=record.effective_prompt,
        seed=record.seed,
    )


def generation_params(record: GenerationRecord) -> generation_pb2.GenerationParams:
    """The request as stored. An action's own options (a mask, edit operations) stay with the job:
    the worker reads them from its record, and no reader of the params needs them back."""
    params = record.params
    return generation_pb2.GenerationParams(
        prompt=record.prompt,
        negative_prompt=params["negative_prompt"],
        seed=record.seed,
        num_images=record.num_images,
        aspect_ratio=params["aspect_ratio"],
        magic_prompt=params["magic_prompt"],
        color_palette=params["color_palette"],
        steps=params["steps"],
        guidance=params["guidance"],
        source_image_id=params["source_image_id"],
        mode=params["mode"],
        strength=params.get("strength") or 0.0,
        kind=kind_to_proto(record.kind),
        style_image_id=params.get("style_image_id") or "",
        style_strength=params.get("style_strength") or 0.0,
        model_id=params.get("model_id") or "",
        model_scale=params.get("model_scale") or 0.0,
        team_id=record.team_id,
    )


async def _for_source(conn, owner_id: str, spec: GenerationSpec, action: ImageAction) -> GenerationSpec:
    """An action's spec completed from its source, which must be the owner's image (anything else
    is not found, as a missing one): its prompt and seed, the result's size; no visibility asked
    is the source's as made (the gateway sends its current one; the worker tightens it to the
    source's when the job starts)."""
    source = await repository.get_image(conn, uuid.UUID(spec.source_image_id))
    if source is None or source.owner_id != owner_id:
        raise SourceImageNotFound("source image not found")
    # InvalidRequest: too large, a mask of another size, ...
    width, height = action.result_size_with(source.width, source.height, spec.options)
    return replace(
        spec,
        prompt=action.prompt_of(spec.options) or source.prompt,
        seed=source.seed,
        width=width,
        height=height,
        aspect_ratio=nearest_aspect_ratio(width, height),
        # A team image's derivative is its maker's alone.
        visibility=spec.visibility or (PRIVATE if source.initial_visibility == TEAM else source.initial_visibility),
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
    asked: Asked,
    actions: Mapping[str, ImageAction],
    models: CustomModelAuthority,
) -> tuple[GenerationRecord, bool]:
    """Returns (generation, created). A repeated idempotency key returns the first generation
    and reserves nothing. A remix's source must be an image of this service (SourceImageNotFound).
    Refusals: decision.VisibilityRefused (nothing reserved), clients.OutOfCredits,
    decision.ConcurrencyLimit. `actions`: the image actions this service runs, by job kind;
    `models`: who may use which custom model (CustomModelNotFound).
    Credits are reserved before the generation exists and released
    again when it is not created, so a refused or failed submission costs nothing."""
    if idempotency_key and (existing := await _existing(pool, owner_id, idempotency_key, raw_hash)):
        return existing, False
    action = actions.get(spec.kind)
    async with pool.connection() as conn:
        if action is not None:
            spec = await _for_source(conn, owner_id, spec, action)
        else:
            # Checked before credits are reserved. A source (or style reference) deleted after this
            # point fails the generation in the worker, with a message saying so.
            for image_id in (spec.source_image_id, spec.style_image_id):
                if image_id and await repository.get_image(conn, uuid.UUID(image_id)) is None:
                    raise SourceImageNotFound("source image not found")
        last_choice = (
            None
            if asked.visibility is not None or action is not None
            else await repository.last_chosen_visibility(conn, owner_id)
        )
    if spec.model_id and action is None:
        # Authorised again when the job starts (a member removed meanwhile: the job fails, refunded).
        model = await models.usable(owner_id, uuid.UUID(spec.model_id))
        if model is None or not model.weights_key:
            raise CustomModelNotFound("custom model not found")
    # An action's result inherits its source's visibility, whatever the plan: privacy is never
    # traded, and a derivative of a public image is as public as its source.
    if action is not None:
        wanted = WantedVisibility(spec.visibility, asked=True)
    else:
        wanted = wanted_visibility(asked.visibility, last_choice, asked.team_id)
    record = new_record(owner_id, idempotency_key, spec, raw_hash, asked)
    # Committed before the credits are reserved: if this process dies before the generation is
    # written, the sweep in reservations.py gives them back.
    await reservations.note_pending(pool, record.id, owner_id)
    try:
        reservation = await _reserve(billing, record, wanted, action)
    except (OutOfCredits, VisibilityRefused, ActionNotEntitled):
        await reservations.forget_pending(pool, record.id)  # refused: billing holds nothing
        raise
    except BaseException:
        await _release_quietly(pool, billing, record)  # it may have been reserved before the failure
        raise
    try:
        record = replace(
            record,
            initial_visibility=wanted.visibility if action else decide_visibility(wanted, reservation.entitlements),
            privacy_entitled=PRIVATE_GENERATION in reservation.entitlements,
        )
        created = await insert_job(pool, record, reservation.max_concurrent_generations)
    except BaseException:
        await _release_quietly(pool, billing, record)
        raise
    if created:
        return record, True
    await _release_quietly(pool, billing, record)  # a concurrent twin with the same key won the insert
    existing = await _existing(pool, owner_id, idempotency_key or "", raw_hash)
    if existing is None:
        raise IdempotencyConflict("the idempotency key's generation no longer exists")
    return existing, False


async def insert_job(
    pool: AsyncConnectionPool,
    record: GenerationRecord,
    max_concurrent: int,
    with_job: Callable[[psycopg.AsyncConnection], Awaitable[None]] | None = None,
) -> bool:
    """The job's row, what `with_job` writes beside it, and its GenerationRequested event, in one
    transaction within the owner's concurrency limit (ConcurrencyLimit); False when a twin with
    the same idempotency key was inserted first (nothing written)."""
    async with pool.connection() as conn, conn.transaction():
        await repository.lock_owner(conn, record.owner_id)
        check_concurrency(await repository.count_unfinished_of(conn, record.owner_id), max_concurrent)
        created = await repository.insert_generation(conn, record)
        if created:
            await reservations.claim_pending(conn, record.id)
            if with_job is not None:
                await with_job(conn)
            await enqueue_event(conn, GENERATION_REQUESTED, requested_event(record))
    return created


async def _reserve(
    billing: BillingClient, record: GenerationRecord, wanted: WantedVisibility, action: ImageAction | None
) -> Reservation:
    """Billing refuses, writing nothing, when the plan in force lacks what the visibility or the
    action needs. An action's price is billing's (its catalogue); a generation's one per image."""
    try:
        if action is not None:
            needs = (action.entitlement,) if action.entitlement else ()  # None or "": every plan
            return await billing.reserve(record.owner_id, str(record.id), 0, needs, action=action.kind)
        return await billing.reserve(
            record.owner_id, str(record.id), record.num_images * CREDITS_PER_IMAGE, wanted.required_entitlements
        )
    except NotEntitled:
        if action is not None:
            raise ActionNotEntitled(action) from None
        raise refusal_of(wanted) from None


async def _release_quietly(pool: AsyncConnectionPool, billing: BillingClient, record: GenerationRecord) -> None:
    await reservations.release_quietly(pool, billing, record.id)

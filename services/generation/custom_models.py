"""Private custom models (styles): created from 5–30 of the owner's images, trained by a TRAIN_STYLE
job on the generations' own path (one row and its GenerationRequested event in one transaction,
credits reserved before and released on any refusal, the worker's retries and dead letters), read
by their owner, or by their team's current members when shared with a team (custom_model_access.py
says who, from the visibility authority's answer at each read). Anyone else's model is "not
found", exactly as a missing one; training images are the owner's only.

The uploads are stored under the model's random prefix in the private bucket (never a public URL)
only once billing has accepted the training; nothing is stored or charged on a refusal."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import psycopg
from minio.error import S3Error
from psycopg_pool import AsyncConnectionPool

from glue.ids import parse_uuid
from glue.storage import is_missing_object
from services.generation import custom_models_repository as models_repository
from services.generation import repository, reservations
from services.generation.clients import BillingClient, NotEntitled, OutOfCredits
from services.generation.custom_model_access import may_delete, may_share_with
from services.generation.custom_model_uploads import (
    EXTENSIONS,
    CheckedUpload,
    check_count,
    check_image_ids,
    check_name,
    check_uploads,
)
from services.generation.custom_model_use import ModelUse
from services.generation.custom_models_repository import CustomModelRecord, TrainingImageRecord
from services.generation.records import GenerationRecord
from services.generation.requests import MAX_PROMPT_CHARS, TRAIN_STYLE, InvalidRequest
from services.generation.submission import IdempotencyConflict, insert_job, request_hash

log = logging.getLogger(__name__)

# Billing's entitlement for custom models (services/billing/plans.toml); the catalogue prices the job.
CUSTOM_MODELS = "custom_models"


class ModelNotFound(Exception):
    """No such model of this user (missing, deleted, or someone else's: the same answer)."""


class NotTheModelsToChange(Exception):
    """A team member who may use the model (so knows it exists) but not delete or share it."""


class TeamNotFound(Exception):
    """A team the owner is not a current member of (or that lapsed): as a missing one."""

    def __init__(self) -> None:
        super().__init__("team not found")


class TrainingImageNotFound(Exception):
    """A picked creation that is not the owner's (or no longer exists): as a missing one."""

    def __init__(self, field: str):
        super().__init__(f"{field}: image not found")


class CustomModelsNotEntitled(Exception):
    reason = "action_not_entitled"

    def __init__(self) -> None:
        super().__init__(f"custom models need the {CUSTOM_MODELS} entitlement on an active plan")


class ObjectStore(Protocol):
    """The object store as custom models use it (glue.storage.ObjectStore is one)."""

    async def get(self, key: str) -> bytes: ...

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class NewModel:
    name: str
    uploads: Sequence[bytes] = ()
    image_ids: Sequence[str] = ()
    idempotency_key: str | None = None
    # Shared with this team from the start ("": the owner's only).
    team_id: str = ""


def training_job(
    owner_id: str, idempotency_key: str | None, raw_hash: str, model_id: uuid.UUID, steps: int
) -> GenerationRecord:
    """The TRAIN_STYLE job's generations row: no prompt and no images; private (it makes none)."""
    return GenerationRecord.queued(
        owner_id=owner_id,
        idempotency_key=idempotency_key,
        params={
            "negative_prompt": "",
            "aspect_ratio": "",
            "magic_prompt": False,
            "color_palette": [],
            "steps": steps,
            "guidance": 0.0,
            "source_image_id": "",
            "mode": "",
            "kind": TRAIN_STYLE,
            "options": {"model_id": str(model_id)},
        },
        request_hash=raw_hash,
        prompt="",
        effective_prompt="",
        magic_prompt="",
        seed=int.from_bytes(hashlib.sha256(model_id.bytes).digest()[:4], "big"),
        num_images=0,
        width=0,
        height=0,
        initial_visibility="private",
        progress_total=steps or 1,
    )


class CustomModels:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        billing: BillingClient,
        store: ObjectStore,
        use: ModelUse,
        train_steps: int = 0,
    ):
        """train_steps: the steps each training runs (0: the model's default)."""
        self._pool = pool
        self._billing = billing
        self._store = store
        self._use = use
        self._train_steps = train_steps

    async def create(self, owner_id: str, new: NewModel) -> tuple[CustomModelRecord, bool]:
        """(model, created). Raises InvalidRequest, TrainingImageNotFound, TeamNotFound,
        CustomModelsNotEntitled, OutOfCredits, ConcurrencyLimit, IdempotencyConflict; on each,
        nothing stays stored or held."""
        name = check_name(new.name)
        team_id = parse_uuid(new.team_id) if new.team_id else None
        if new.team_id and team_id is None:
            raise InvalidRequest("team_id", "must be a team id")
        check_count(len(new.uploads) or len(new.image_ids), bool(new.uploads), bool(new.image_ids))
        uploads = await asyncio.to_thread(check_uploads, new.uploads) if new.uploads else []
        picked_ids = check_image_ids(new.image_ids)
        raw_hash = request_hash(
            {
                "name": name,
                "uploads": [hashlib.sha256(content).hexdigest() for content in new.uploads],
                "image_ids": [str(i) for i in picked_ids],
                **({"team_id": str(team_id)} if team_id else {}),
            }
        )
        if new.idempotency_key and (existing := await self._existing(owner_id, new.idempotency_key, raw_hash)):
            return existing, False
        if team_id and not may_share_with(owner_id, str(team_id), await self._use.teams_of(owner_id)):
            raise TeamNotFound()
        model_id = uuid.uuid4()
        job = training_job(owner_id, new.idempotency_key, raw_hash, model_id, self._train_steps)
        if uploads:
            images = _upload_records(job.storage_prefix, uploads)
        else:
            images = await self._picked(owner_id, picked_ids)
        await reservations.note_pending(self._pool, job.id, owner_id)
        try:
            reservation = await self._billing.reserve(owner_id, str(job.id), 0, (CUSTOM_MODELS,), action=TRAIN_STYLE)
        except (NotEntitled, OutOfCredits) as refusal:
            await reservations.forget_pending(self._pool, job.id)  # refused: billing holds nothing
            if isinstance(refusal, NotEntitled):
                raise CustomModelsNotEntitled() from None
            raise
        except BaseException:
            await self._release_quietly(job)
            raise
        try:
            for upload, image in zip(uploads, images, strict=False):
                await self._store.put(image.object_key, upload.content, upload.content_type)

            async def with_model(conn: psycopg.AsyncConnection) -> None:
                await models_repository.insert_model(
                    conn, model_id, owner_id, name, job.id, job.storage_prefix, images, team_id
                )

            created = await insert_job(self._pool, job, reservation.max_concurrent_generations, with_model)
        except BaseException:
            await self._remove_uploads(images[: len(uploads)])
            await self._release_quietly(job)
            raise
        if not created:  # a concurrent twin with the same key won the insert
            await self._remove_uploads(images[: len(uploads)])
            await self._release_quietly(job)
            existing = await self._existing(owner_id, new.idempotency_key or "", raw_hash)
            if existing is None:
                raise IdempotencyConflict("the idempotency key's model no longer exists")
            return existing, False
        return await self.get(model_id, owner_id), True

    async def _existing(self, owner_id: str, key: str, raw_hash: str) -> CustomModelRecord | None:
        async with self._pool.connection() as conn:
            job = await repository.find_by_idempotency_key(conn, owner_id, key)
            if job is None:
                return None
            if job.request_hash != raw_hash:
                raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
            model = await models_repository.get_model_of_job(conn, job.id)
        if model is None:
            raise IdempotencyConflict("this Idempotency-Key was already used for a different request")
        return await self.get(model.id, owner_id)

    async def _picked(self, owner_id: str, image_ids: Sequence[uuid.UUID]) -> list[TrainingImageRecord]:
        """The owner's own creations (their prompts the captions); anyone else's is not found."""
        async with self._pool.connection() as conn:
            found = {i.id: i for i in await repository.batch_get_images(conn, list(image_ids))}
        records = []
        for index, image_id in enumerate(image_ids):
            image = found.get(image_id)
            if image is None or image.owner_id != owner_id:
                raise TrainingImageNotFound(f"image_ids[{index}]")
            records.append(
                TrainingImageRecord(
                    idx=index,
                    object_key=image.object_key,
                    source_image_id=image.id,
                    content_type=image.content_type,
                    width=image.width,
                    height=image.height,
                    caption=image.prompt[:MAX_PROMPT_CHARS],
                )
            )
        return records

    async def get(self, model_id: uuid.UUID | str, viewer_id: str) -> CustomModelRecord:
        """The model as the viewer may see it: a team member's view withholds the training images."""
        model = await self._usable(model_id, viewer_id)
        return _seen_by(model, viewer_id)

    async def list(self, viewer_id: str) -> list[CustomModelRecord]:
        """The viewer's own models and their teams' (a team member's view withholds the images)."""
        return [_seen_by(model, viewer_id) for model in await self._use.visible_list(viewer_id)]

    async def share(self, model_id: str, actor_id: str, team_id: str) -> CustomModelRecord:
        """The owner shares the model with a team of theirs ("" takes it back). Raises
        ModelNotFound (not one the actor may use), NotTheModelsToChange (a team member's),
        TeamNotFound, InvalidRequest."""
        parsed, team = parse_uuid(model_id), parse_uuid(team_id) if team_id else None
        if team_id and team is None:
            raise InvalidRequest("team_id", "must be a team id")
        if parsed is None or not actor_id:
            raise ModelNotFound()
        model = await self._usable(parsed, actor_id)
        if model.owner_id != actor_id:
            raise NotTheModelsToChange("only the model's owner may share it")
        if team is not None and not may_share_with(actor_id, str(team), await self._use.teams_of(actor_id)):
            raise TeamNotFound()
        async with self._pool.connection() as conn:
            if not await models_repository.set_team(conn, parsed, actor_id, team):
                raise ModelNotFound()
        return await self.get(parsed, actor_id)

    async def _usable(self, model_id: uuid.UUID | str, viewer_id: str) -> CustomModelRecord:
        parsed = model_id if isinstance(model_id, uuid.UUID) else parse_uuid(model_id)
        if parsed is None or not viewer_id:
            raise ModelNotFound()
        model = await self._use.usable(viewer_id, parsed, with_images=True)
        if model is None:
            raise ModelNotFound()
        return model

    async def training_image(self, model_id: str, index: int, viewer_id: str) -> tuple[bytes, str]:
        model = await self.get(model_id, viewer_id)  # a team member's view has no images
        image = next((i for i in model.images if i.idx == index), None)
        if image is None:
            raise ModelNotFound()
        try:
            return await self._store.get(image.object_key), image.content_type
        except S3Error as error:
            if is_missing_object(error):  # a picked creation its owner has deleted since
                raise ModelNotFound() from error
            raise

    async def delete(self, model_id: str, actor_id: str) -> None:
        """By its owner, or an owner or admin of its team. Hidden from every reader at once (a
        queued generation with it then fails), then its weights and uploads removed (picked
        creations stay the owner's), then its rows. A failure in between leaves it hidden;
        deleting again (its owner) finishes the job."""
        parsed = parse_uuid(model_id)
        if parsed is None or not actor_id:
            raise ModelNotFound()
        owner_id = actor_id
        model = await self._use.usable(actor_id, parsed)
        if model is not None and model.owner_id != actor_id:
            team_id = str(model.team_id or "")
            if not may_delete(model.owner_id, team_id, actor_id, await self._use.teams_of(actor_id)):
                raise NotTheModelsToChange("only the model's owner or its team's owners and admins may delete it")
            owner_id = model.owner_id
        async with self._pool.connection() as conn, conn.transaction():
            if not await models_repository.mark_deleted(conn, parsed, owner_id):
                raise ModelNotFound()
            model = await models_repository.deleted_model(conn, parsed)
        if model is None:
            raise ModelNotFound()
        keys = [i.object_key for i in model.images if i.source_image_id is None]
        if model.weights_key:
            keys.append(model.weights_key)
        for key in keys:
            await self._store.delete(key)
        async with self._pool.connection() as conn:
            await models_repository.remove(conn, parsed)

    async def _remove_uploads(self, images: Sequence[TrainingImageRecord]) -> None:
        for image in images:
            try:
                await self._store.delete(image.object_key)
            except Exception as error:  # never mask the real outcome; the key is random and private
                log.warning("could not remove an upload", extra={"key": image.object_key, "error": str(error)})

    async def _release_quietly(self, job: GenerationRecord) -> None:
        await reservations.release_quietly(self._pool, self._billing, job.id)


def _seen_by(model: CustomModelRecord, viewer_id: str) -> CustomModelRecord:
    """Training images (and their captions, the owner's prompts) are the owner's only."""
    if model.owner_id == viewer_id:
        return model
    return replace(model, images=[], withheld_images=model.image_count)


def _upload_records(prefix: str, uploads: Sequence[CheckedUpload]) -> list[TrainingImageRecord]:
    return [
        TrainingImageRecord(
            idx=index,
            object_key=f"{prefix}/training/{index}.{EXTENSIONS[upload.content_type]}",
            source_image_id=None,
            content_type=upload.content_type,
            width=upload.width,
            height=upload.height,
        )
        for index, upload in enumerate(uploads)
    ]

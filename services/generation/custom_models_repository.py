"""SQL for custom models (migrations 0009, 0011). A model's status and progress are its TRAIN_STYLE
job's (the generations row `job_id` names); a model being deleted (deleted_at) is read by nobody.
`team_id` is the owner's choice to share it; who may use it is custom_model_access.py's to say."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import class_row


@dataclass(frozen=True)
class TrainingImageRecord:
    idx: int
    object_key: str
    source_image_id: UUID | None
    content_type: str
    width: int
    height: int
    caption: str = ""


@dataclass(frozen=True)
class CustomModelRecord:
    id: UUID
    owner_id: str
    name: str
    job_id: UUID
    storage_prefix: str
    weights_key: str | None
    created_at: datetime
    team_id: UUID | None = None
    # The job's.
    job_status: str = "queued"
    progress_step: int = 0
    progress_total: int = 0
    error: str = ""
    images: list[TrainingImageRecord] = field(default_factory=list)
    # Training images kept from this viewer (a team member sees how many, never which).
    withheld_images: int = 0

    @property
    def image_count(self) -> int:
        return len(self.images) + self.withheld_images

    @property
    def status(self) -> str:
        """training, ready or failed."""
        if self.weights_key:
            return "ready"
        return "failed" if self.job_status in ("failed", "succeeded") else "training"


_MODEL_FIELDS = (
    "m.id, m.owner_id, m.name, m.job_id, m.storage_prefix, m.weights_key, m.created_at, m.team_id,"
    " g.status AS job_status, g.progress_step, g.progress_total, g.error"
)
_FROM = "custom_models m JOIN generations g ON g.id = m.job_id"


async def insert_model(
    conn: psycopg.AsyncConnection,
    model_id: UUID,
    owner_id: str,
    name: str,
    job_id: UUID,
    storage_prefix: str,
    images: Sequence[TrainingImageRecord],
    team_id: UUID | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO custom_models (id, owner_id, name, job_id, storage_prefix, team_id)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (model_id, owner_id, name, job_id, storage_prefix, team_id),
    )
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO custom_model_images"
            " (model_id, idx, object_key, source_image_id, content_type, width, height, caption)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (model_id, i.idx, i.object_key, i.source_image_id, i.content_type, i.width, i.height, i.caption)
                for i in images
            ],
        )


async def get_model(
    conn: psycopg.AsyncConnection, model_id: UUID, *, with_images: bool = False, for_update: bool = False
) -> CustomModelRecord | None:
    """A model not being deleted, or None."""
    lock = " FOR UPDATE OF m" if for_update else ""
    async with conn.cursor(row_factory=class_row(CustomModelRecord)) as cursor:
        await cursor.execute(
            f"SELECT {_MODEL_FIELDS} FROM {_FROM} WHERE m.id = %s AND m.deleted_at IS NULL{lock}", (model_id,)
        )
        model = await cursor.fetchone()
    if model is None or not with_images:
        return model
    return CustomModelRecord(**{**model.__dict__, "images": await training_images(conn, model_id)})


async def get_model_of_job(conn: psycopg.AsyncConnection, job_id: UUID) -> CustomModelRecord | None:
    async with conn.cursor(row_factory=class_row(CustomModelRecord)) as cursor:
        await cursor.execute(f"SELECT {_MODEL_FIELDS} FROM {_FROM} WHERE m.job_id = %s", (job_id,))
        return await cursor.fetchone()


async def list_models(
    conn: psycopg.AsyncConnection, owner_id: str, team_ids: Sequence[UUID] = ()
) -> list[CustomModelRecord]:
    """The owner's models and those shared with any of `team_ids` (the caller decides who may see
    which), newest first."""
    async with conn.cursor(row_factory=class_row(CustomModelRecord)) as cursor:
        await cursor.execute(
            f"SELECT {_MODEL_FIELDS} FROM {_FROM}"
            " WHERE (m.owner_id = %s OR m.team_id = ANY(%s)) AND m.deleted_at IS NULL"
            " ORDER BY m.created_at DESC, m.id DESC",
            (owner_id, list(team_ids)),
        )
        models = await cursor.fetchall()
    return [CustomModelRecord(**{**m.__dict__, "images": await training_images(conn, m.id)}) for m in models]


async def training_images(conn: psycopg.AsyncConnection, model_id: UUID) -> list[TrainingImageRecord]:
    async with conn.cursor(row_factory=class_row(TrainingImageRecord)) as cursor:
        await cursor.execute(
            "SELECT idx, object_key, source_image_id, content_type, width, height, caption"
            " FROM custom_model_images WHERE model_id = %s ORDER BY idx",
            (model_id,),
        )
        return await cursor.fetchall()


async def set_weights(conn: psycopg.AsyncConnection, model_id: UUID, weights_key: str) -> bool:
    """False when the model was deleted meanwhile (its weights are then not wanted)."""
    cursor = await conn.execute(
        "UPDATE custom_models SET weights_key = %s WHERE id = %s AND deleted_at IS NULL", (weights_key, model_id)
    )
    return cursor.rowcount == 1


async def mark_deleted(conn: psycopg.AsyncConnection, model_id: UUID, owner_id: str) -> bool:
    """Hides the model from every reader at once, if it is still `owner_id`'s (the caller checked
    that the actor may delete it); False when there is none to hide."""
    cursor = await conn.execute(
        "UPDATE custom_models SET deleted_at = coalesce(deleted_at, now()) WHERE id = %s AND owner_id = %s",
        (model_id, owner_id),
    )
    return cursor.rowcount == 1


async def set_team(conn: psycopg.AsyncConnection, model_id: UUID, owner_id: str, team_id: UUID | None) -> bool:
    """Shares the owner's model with a team (None: takes it back); False when there is no such model."""
    cursor = await conn.execute(
        "UPDATE custom_models SET team_id = %s WHERE id = %s AND owner_id = %s AND deleted_at IS NULL",
        (team_id, model_id, owner_id),
    )
    return cursor.rowcount == 1


async def deleted_model(conn: psycopg.AsyncConnection, model_id: UUID) -> CustomModelRecord | None:
    """A model whose deletion was begun (its objects may still be there)."""
    async with conn.cursor(row_factory=class_row(CustomModelRecord)) as cursor:
        await cursor.execute(
            f"SELECT {_MODEL_FIELDS} FROM {_FROM} WHERE m.id = %s AND m.deleted_at IS NOT NULL", (model_id,)
        )
        model = await cursor.fetchone()
    if model is None:
        return None
    return CustomModelRecord(**{**model.__dict__, "images": await training_images(conn, model_id)})


async def remove(conn: psycopg.AsyncConnection, model_id: UUID) -> None:
    await conn.execute("DELETE FROM custom_models WHERE id = %s", (model_id,))

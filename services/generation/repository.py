"""SQL for the generation schema (psycopg 3). Connections come pinned to the schema."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from glue.db import one_row
from services.generation.records import GenerationRecord, ImageRecord

_GENERATION_COLUMNS = (
    "id, owner_id, idempotency_key, status, params, request_hash, prompt, effective_prompt, magic_prompt,"
    " seed, num_images, width, height, visibility, storage_prefix, progress_step, progress_total, attempts,"
    " error, created_at, started_at, completed_at, privacy_entitled, source_image_id, seed_chosen, visibility_chosen"
)
_GENERATION_PLACEHOLDERS = ", ".join(["%s"] * len(_GENERATION_COLUMNS.split(",")))
# The column keeps its first name; the record says what it holds: the visibility at submission.
# Written when the generation finishes (record_unknown_prompt_words), never at submission.
_GENERATION_FIELDS = (
    _GENERATION_COLUMNS.replace(" visibility,", " visibility AS initial_visibility,")
    + ", unknown_prompt_words, suggestions"
)
# A custom model's training job is shown with its model (custom_models.py), not among creations.
_NOT_TRAINING = "params->>'kind' IS DISTINCT FROM 'train_style'"
_IMAGE_COLUMNS = (
    "i.id, i.generation_id, i.owner_id, i.idx, i.seed, i.width, i.height, i.native_width, i.native_height,"
    " i.object_key, i.content_type, i.created_at, g.prompt, g.visibility AS initial_visibility, g.source_image_id"
)


async def insert_generation(conn: psycopg.AsyncConnection, record: GenerationRecord) -> bool:
    """Inserts unless (owner, idempotency key) exists already; True when inserted."""
    cursor = await conn.execute(
        f"INSERT INTO generations ({_GENERATION_COLUMNS}) VALUES"
        f" ({_GENERATION_PLACEHOLDERS})"
        " ON CONFLICT (owner_id, idempotency_key) DO NOTHING",
        (
            record.id,
            record.owner_id,
            record.idempotency_key,
            record.status,
            Jsonb(record.params),
            record.request_hash,
            record.prompt,
            record.effective_prompt,
            record.magic_prompt,
            record.seed,
            record.num_images,
            record.width,
            record.height,
            record.initial_visibility,
            record.storage_prefix,
            record.progress_step,
            record.progress_total,
            record.attempts,
            record.error,
            record.created_at,
            record.started_at,
            record.completed_at,
            record.privacy_entitled,
            record.source_image_id,
            record.seed_chosen,
            record.visibility_chosen,
        ),
    )
    return cursor.rowcount == 1


async def find_by_idempotency_key(conn: psycopg.AsyncConnection, owner_id: str, key: str) -> GenerationRecord | None:
    cursor = conn.cursor(row_factory=class_row(GenerationRecord))
    await cursor.execute(
        f"SELECT {_GENERATION_FIELDS} FROM generations WHERE owner_id = %s AND idempotency_key = %s",
        (owner_id, key),
    )
    return await cursor.fetchone()


async def get_generation(
    conn: psycopg.AsyncConnection, generation_id: UUID, *, for_update: bool = False, shown_only: bool = False
) -> GenerationRecord | None:
    """`shown_only`: None for a generation whose undoable deletion is pending (as if it were gone)."""
    cursor = conn.cursor(row_factory=class_row(GenerationRecord))
    lock = " FOR UPDATE" if for_update else ""
    shown = " AND delete_after IS NULL" if shown_only else ""
    await cursor.execute(f"SELECT {_GENERATION_FIELDS} FROM generations WHERE id = %s{shown}{lock}", (generation_id,))
    record = await cursor.fetchone()
    if record is None:
        return None
    record.images.extend(await images_of(conn, [generation_id]))
    return record


async def images_of(conn: psycopg.AsyncConnection, generation_ids: list[UUID]) -> list[ImageRecord]:
    cursor = conn.cursor(row_factory=class_row(ImageRecord))
    await cursor.execute(
        f"SELECT {_IMAGE_COLUMNS} FROM images i JOIN generations g ON g.id = i.generation_id"
        " WHERE i.generation_id = ANY(%s) ORDER BY i.generation_id, i.idx",
        (generation_ids,),
    )
    return await cursor.fetchall()


async def list_generations(
    conn: psycopg.AsyncConnection, owner_id: str, limit: int, after: tuple | None
) -> list[GenerationRecord]:
    """Newest first; `after` is the (created_at, id) of the last row of the previous page."""
    cursor = conn.cursor(row_factory=class_row(GenerationRecord))
    if after is None:
        await cursor.execute(
            f"SELECT {_GENERATION_FIELDS} FROM generations WHERE owner_id = %s AND delete_after IS NULL"
            f" AND {_NOT_TRAINING}"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            (owner_id, limit),
        )
    else:
        await cursor.execute(
            f"SELECT {_GENERATION_FIELDS} FROM generations WHERE owner_id = %s AND delete_after IS NULL"
            f" AND {_NOT_TRAINING}"
            " AND (created_at, id) < (%s, %s)"
            " ORDER BY created_at DESC, id DESC LIMIT %s",
            (owner_id, *after, limit),
        )
    records = await cursor.fetchall()
    by_id = {r.id: r for r in records}
    for image in await images_of(conn, list(by_id)):
        by_id[image.generation_id].images.append(image)
    return records


async def batch_get_images(conn: psycopg.AsyncConnection, image_ids: list[UUID]) -> list[ImageRecord]:
    cursor = conn.cursor(row_factory=class_row(ImageRecord))
    await cursor.execute(
        f"SELECT {_IMAGE_COLUMNS} FROM images i JOIN generations g ON g.id = i.generation_id"
        " WHERE i.id = ANY(%s) AND g.delete_after IS NULL",
        (image_ids,),
    )
    return await cursor.fetchall()


async def get_image(conn: psycopg.AsyncConnection, image_id: UUID) -> ImageRecord | None:
    """An image of any owner (remix sources: the caller authorised the requester), or None."""
    images = await batch_get_images(conn, [image_id])
    return images[0] if images else None


async def mark_running(conn: psycopg.AsyncConnection, generation_id: UUID, total_steps: int) -> None:
    await conn.execute(
        "UPDATE generations SET status = 'running', attempts = attempts + 1, started_at = now(),"
        " progress_step = 0, progress_total = %s WHERE id = %s AND status IN ('queued', 'running')",
        (total_steps, generation_id),
    )


async def set_initial_visibility(conn: psycopg.AsyncConnection, generation_id: UUID, visibility: str) -> None:
    """An unfinished image action's result made private before its images exist (its source was
    made private meanwhile): the visibility its images are registered and announced with."""
    await conn.execute(
        "UPDATE generations SET visibility = %s WHERE id = %s AND status IN ('queued', 'running')",
        (visibility, generation_id),
    )


async def record_progress(conn: psycopg.AsyncConnection, generation_id: UUID, step: int, total: int) -> None:
    await conn.execute(
        "UPDATE generations SET progress_step = %s, progress_total = %s WHERE id = %s AND status = 'running'",
        (step, total, generation_id),
    )


async def insert_images(conn: psycopg.AsyncConnection, images: list[ImageRecord]) -> None:
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO images (id, generation_id, owner_id, idx, seed, width, height, native_width,"
            " native_height, object_key, content_type) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    i.id,
                    i.generation_id,
                    i.owner_id,
                    i.idx,
                    i.seed,
                    i.width,
                    i.height,
                    i.native_width,
                    i.native_height,
                    i.object_key,
                    i.content_type,
                )
                for i in images
            ],
        )


async def mark_finished(conn: psycopg.AsyncConnection, generation_id: UUID, status: str, error: str = "") -> None:
    await conn.execute(
        "UPDATE generations SET status = %s, error = %s, completed_at = now(),"
        " progress_step = CASE WHEN %s = 'succeeded' THEN progress_total ELSE progress_step END WHERE id = %s",
        (status, error, status, generation_id),
    )


async def record_unknown_prompt_words(conn: psycopg.AsyncConnection, generation_id: UUID, words: Sequence[str]) -> None:
    await conn.execute("UPDATE generations SET unknown_prompt_words = %s WHERE id = %s", (list(words), generation_id))


async def record_suggestions(conn: psycopg.AsyncConnection, generation_id: UUID, suggestions: Sequence[str]) -> None:
    await conn.execute("UPDATE generations SET suggestions = %s WHERE id = %s", (list(suggestions), generation_id))


async def lock_owner(conn: psycopg.AsyncConnection, owner_id: str) -> None:
    """Serialises one owner's submissions for the rest of the transaction (concurrency limit)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (owner_id,))


async def last_chosen_visibility(conn: psycopg.AsyncConnection, owner_id: str) -> str | None:
    """The visibility the owner asked for in their latest generation that asked for one."""
    cursor = await conn.execute(
        "SELECT visibility FROM generations WHERE owner_id = %s AND visibility_chosen"
        " ORDER BY created_at DESC, id DESC LIMIT 1",
        (owner_id,),
    )
    row = await cursor.fetchone()
    return row[0] if row else None


async def count_unfinished_of(conn: psycopg.AsyncConnection, owner_id: str) -> int:
    cursor = await conn.execute(
        "SELECT count(*) FROM generations WHERE owner_id = %s AND status IN ('queued', 'running')", (owner_id,)
    )
    return (await one_row(cursor))[0]


async def delete_generation(conn: psycopg.AsyncConnection, generation_id: UUID) -> None:
    await conn.execute("DELETE FROM generations WHERE id = %s", (generation_id,))


async def delete_later(conn: psycopg.AsyncConnection, generation_id: UUID, window_s: float) -> datetime:
    """Marks the generation's deletion pending until now + window (a pending one keeps its moment)."""
    cursor = await conn.execute(
        "UPDATE generations SET delete_after = coalesce(delete_after, now() + make_interval(secs => %s))"
        " WHERE id = %s RETURNING delete_after",
        (window_s, generation_id),
    )
    return (await one_row(cursor))[0]


async def undo_pending_deletion(conn: psycopg.AsyncConnection, generation_id: UUID) -> bool:
    """Within the caller's transaction, with the row locked: True when a deletion was pending and
    its window still open, now undone."""
    cursor = await conn.execute(
        "UPDATE generations SET delete_after = NULL WHERE id = %s AND delete_after > now()", (generation_id,)
    )
    return cursor.rowcount == 1


async def deletions_due(conn: psycopg.AsyncConnection, limit: int) -> list[tuple[UUID, str]]:
    cursor = await conn.execute(
        "SELECT id, owner_id FROM generations WHERE delete_after <= now() ORDER BY delete_after LIMIT %s", (limit,)
    )
    return [(row[0], row[1]) for row in await cursor.fetchall()]


async def deletion_pending(conn: psycopg.AsyncConnection, generation_id: UUID) -> datetime | None:
    cursor = await conn.execute("SELECT delete_after FROM generations WHERE id = %s", (generation_id,))
    row = await cursor.fetchone()
    return row[0] if row else None


async def count_unfinished(conn: psycopg.AsyncConnection) -> dict[str, int]:
    cursor = await conn.execute(
        "SELECT status, count(*) FROM generations WHERE status IN ('queued', 'running') GROUP BY status"
    )
    return dict(await cursor.fetchall())


@dataclass(frozen=True)
class ExportCandidate:
    """An image the consent export may send, if the authority and its owner's terms allow it."""

    id: UUID
    owner_id: str
    width: int
    height: int
    object_key: str
    content_type: str
    created_at: datetime
    prompt: str
    negative_prompt: str


async def export_candidates(conn: psycopg.AsyncConnection, after: UUID | None, limit: int) -> list[ExportCandidate]:
    """The next page, by image id, of images of finished generations not being deleted."""
    cursor = conn.cursor(row_factory=class_row(ExportCandidate))
    await cursor.execute(
        "SELECT i.id, i.owner_id, i.width, i.height, i.object_key, i.content_type, i.created_at, g.prompt,"
        " coalesce(g.params->>'negative_prompt', '') AS negative_prompt"
        " FROM images i JOIN generations g ON g.id = i.generation_id"
        " WHERE g.status = 'succeeded' AND g.delete_after IS NULL AND (%(after)s::uuid IS NULL OR i.id > %(after)s)"
        " ORDER BY i.id LIMIT %(limit)s",
        {"after": after, "limit": limit},
    )
    return await cursor.fetchall()

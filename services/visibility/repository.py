"""SQL for the visibility schema (psycopg 3). Connections come pinned to the schema.

Every lookup by image goes through the primary key with one `image_id = ANY(%s)` per batch.
"""

from __future__ import annotations

from uuid import UUID

import psycopg

from services.visibility.policy import ImageState

IMAGE_COLUMNS = "image_id, owner_id, visibility, version, deleted, made_with_privacy_entitlement, team_id"


def image_state(row: tuple) -> ImageState:
    image_id, owner_id, visibility, version, deleted, made_with, team_id = row[:7]
    return ImageState(str(image_id), owner_id, visibility, version, deleted, made_with, str(team_id or ""))


async def get_images(
    conn: psycopg.AsyncConnection, image_ids: list[UUID], *, for_update: bool = False
) -> dict[str, ImageState]:
    """The rows of these images (missing ones are absent). With for_update the rows are locked in
    image_id order, so two bulk changes over overlapping images never deadlock."""
    if not image_ids:
        return {}
    if for_update:
        query = f"SELECT {IMAGE_COLUMNS} FROM images WHERE image_id = ANY(%s) ORDER BY image_id FOR UPDATE"
    else:
        query = f"SELECT {IMAGE_COLUMNS} FROM images WHERE image_id = ANY(%s)"
    cursor = await conn.execute(query, (image_ids,))
    return {str(row[0]): image_state(row) for row in await cursor.fetchall()}


async def get_images_for_viewer(
    conn: psycopg.AsyncConnection, image_ids: list[UUID], viewer_id: str
) -> dict[str, tuple[ImageState, bool]]:
    """The rows of these images, each with whether the viewer is a member of its team now: one
    statement, so a membership change committed before it starts is always seen (P2)."""
    if not image_ids:
        return {}
    cursor = await conn.execute(
        f"SELECT {IMAGE_COLUMNS}, (%s <> '' AND EXISTS (SELECT 1 FROM team_members m"
        " WHERE m.team_id = images.team_id AND m.user_id = %s)) FROM images WHERE image_id = ANY(%s)",
        (viewer_id, viewer_id, image_ids),
    )
    return {str(row[0]): (image_state(row), bool(row[7])) for row in await cursor.fetchall()}


async def register(
    conn: psycopg.AsyncConnection,
    owner_id: str,
    generation_id: UUID | None,
    image_ids: list[UUID],
    visibility: str,
    made_with_privacy_entitlement: bool,
    *,
    authoritative: bool,
    team_id: UUID | None = None,
) -> None:
    """Inserts the images at version 1; images already known keep their visibility, version and
    deleted flag. An authoritative registration (the RegisterImages call, which knows the plan
    the images were made on) may still raise made_with_privacy_entitlement of a row the
    ImagesReady fallback wrote first; it never lowers it."""
    conflict = (
        "ON CONFLICT (image_id) DO UPDATE SET made_with_privacy_entitlement = true"
        " WHERE images.owner_id = EXCLUDED.owner_id AND EXCLUDED.made_with_privacy_entitlement"
        " AND NOT images.made_with_privacy_entitlement"
        if authoritative
        else "ON CONFLICT (image_id) DO NOTHING"
    )
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO images (image_id, owner_id, generation_id, visibility, version, deleted,"
            f" made_with_privacy_entitlement, team_id) VALUES (%s, %s, %s, %s, 1, false, %s, %s) {conflict}",
            [
                (image_id, owner_id, generation_id, visibility, made_with_privacy_entitlement, team_id)
                for image_id in image_ids
            ],
        )


async def set_visibility(conn: psycopg.AsyncConnection, image: ImageState) -> None:
    """Writes an already-decided change (the row is locked by the caller's transaction)."""
    await conn.execute(
        "UPDATE images SET visibility = %s, team_id = %s, version = %s, updated_at = now() WHERE image_id = %s",
        (image.visibility, UUID(image.team_id) if image.team_id else None, image.version, UUID(image.image_id)),
    )


async def mark_deleted(conn: psycopg.AsyncConnection, image_ids: list[UUID], owner_id: str) -> list[str]:
    """Marks the owner's images deleted (again, if they were); returns the ids that are the owner's."""
    if not image_ids:
        return []
    cursor = await conn.execute(
        "UPDATE images SET deleted = true, updated_at = CASE WHEN deleted THEN updated_at ELSE now() END"
        " WHERE image_id = ANY(%s) AND owner_id = %s RETURNING image_id",
        (image_ids, owner_id),
    )
    return [str(row[0]) for row in await cursor.fetchall()]


async def restore(conn: psycopg.AsyncConnection, image_ids: list[UUID], owner_id: str) -> list[str]:
    """Undoes mark_deleted for the owner's images; returns the ids brought back."""
    if not image_ids:
        return []
    cursor = await conn.execute(
        "UPDATE images SET deleted = false, updated_at = now()"
        " WHERE image_id = ANY(%s) AND owner_id = %s AND deleted RETURNING image_id",
        (image_ids, owner_id),
    )
    return [str(row[0]) for row in await cursor.fetchall()]


async def delete_or_tombstone(
    conn: psycopg.AsyncConnection, owner_id: str, generation_id: UUID | None, image_ids: list[UUID]
) -> None:
    """ImageDeleted: marks known images deleted, and writes a deleted, private tombstone for images
    not registered yet, so that an ImagesReady arriving after the deletion cannot bring them back."""
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO images (image_id, owner_id, generation_id, visibility, version, deleted,"
            " made_with_privacy_entitlement) VALUES (%s, %s, %s, 'private', 1, true, false)"
            " ON CONFLICT (image_id) DO UPDATE SET deleted = true, updated_at = now() WHERE NOT images.deleted",
            [(image_id, owner_id, generation_id) for image_id in image_ids],
        )

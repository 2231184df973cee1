"""Deleting a whole generation set: the authority first (so reads are denied from the moment we
return), then rows and the ImageDeleted event in one transaction, then the objects."""

import logging
import uuid
from typing import Protocol

from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2
from glue.events import enqueue_event
from services.generation import repository
from services.generation.clients import VisibilityClient
from services.generation.events import IMAGE_DELETED

log = logging.getLogger(__name__)


class GenerationRunning(Exception):
    """A generation still queued or running cannot be deleted yet."""


class ObjectDeleter(Protocol):
    """The object store as deletion uses it (glue.storage.ObjectStore is one)."""

    async def delete(self, key: str) -> None: ...


class GenerationDeleter:
    def __init__(self, pool: AsyncConnectionPool, visibility: VisibilityClient, store: ObjectDeleter):
        self._pool = pool
        self._visibility = visibility
        self._store = store

    async def __call__(self, generation_id: uuid.UUID, actor_id: str) -> list[str] | None:
        """The deleted image ids, or None when there is no such generation of this actor."""
        async with self._pool.connection() as conn:
            record = await repository.get_generation(conn, generation_id)
        if record is None or record.owner_id != actor_id:
            return None
        if not record.finished:
            raise GenerationRunning("This generation is still running; delete it once it has finished.")
        image_ids = [str(i.id) for i in record.images]
        if image_ids:
            await self._visibility.mark_deleted(actor_id, image_ids)
        async with self._pool.connection() as conn, conn.transaction():
            if await repository.get_generation(conn, generation_id, for_update=True) is None:
                return image_ids  # a concurrent delete finished first
            await repository.delete_generation(conn, generation_id)
            await enqueue_event(
                conn,
                IMAGE_DELETED,
                events_pb2.ImageDeleted(generation_id=str(generation_id), owner_id=actor_id, image_ids=image_ids),
            )
        for image in record.images:
            try:
                await self._store.delete(image.object_key)
            except Exception as error:  # rows are gone: the object is unreachable either way
                log.warning("object left behind", extra={"object_key": image.object_key, "error": str(error)})
        log.info("generation deleted", extra={"generation_id": str(generation_id), "images": len(image_ids)})
        return image_ids

"""Deleting a whole generation set: the authority first (so reads are denied from the moment we
return), then rows and the ImageDeleted event in one transaction, then the objects.

An undoable deletion stops after the first step: the authority hides the images from everyone, the
owner included, at once, and the generation is marked to be deleted once the undo window has
passed (`delete_after`); until then it is absent from every read of this service (GetGeneration,
ListGenerations, BatchGetImages). Undo (restore) brings the authority's records back as they were
and clears the mark, with the row locked; the deletion sweep finishes what is due, with the row
locked too, so an undo and the sweep never both win."""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from psycopg_pool import AsyncConnectionPool

from atelier.generation.v1 import events_pb2
from contracts.generation import IMAGE_DELETED
from glue.events import enqueue_event
from services.generation import repository
from services.generation.clients import VisibilityClient

log = logging.getLogger(__name__)

SWEEP_BATCH = 50


class GenerationRunning(Exception):
    """A generation still queued or running cannot be deleted yet."""


class ObjectDeleter(Protocol):
    """The object store as deletion uses it (glue.storage.ObjectStore is one)."""

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class Deleted:
    image_ids: list[str]
    undo_until: datetime | None = None  # an undoable deletion: restorable until then


class GenerationDeleter:
    def __init__(
        self, pool: AsyncConnectionPool, visibility: VisibilityClient, store: ObjectDeleter, undo_window_s: float = 0
    ):
        self._pool = pool
        self._visibility = visibility
        self._store = store
        self._undo_window_s = undo_window_s

    async def __call__(self, generation_id: uuid.UUID, actor_id: str, undoable: bool = False) -> Deleted | None:
        """What was deleted, or None when there is no such generation of this actor."""
        async with self._pool.connection() as conn:
            record = await repository.get_generation(conn, generation_id)
        if record is None or record.owner_id != actor_id:
            return None
        if not record.finished:
            raise GenerationRunning("This generation is still running; delete it once it has finished.")
        image_ids = [str(i.id) for i in record.images]
        if image_ids:
            await self._visibility.mark_deleted(actor_id, image_ids)
        if undoable and self._undo_window_s > 0:
            async with self._pool.connection() as conn, conn.transaction():
                if await repository.get_generation(conn, generation_id, for_update=True) is None:
                    return Deleted(image_ids)  # a concurrent delete finished first
                undo_until = await repository.delete_later(conn, generation_id, self._undo_window_s)
            log.info("generation deletion pending", extra={"generation_id": str(generation_id)})
            return Deleted(image_ids, undo_until)
        await self._finish(generation_id, actor_id, due_only=False)
        return Deleted(image_ids)

    async def restore(self, generation_id: uuid.UUID, actor_id: str) -> list[str] | None:
        """The restored image ids; None when nothing of this actor's can be restored (not deleted
        with undo, the window has passed, or not theirs)."""
        async with self._pool.connection() as conn, conn.transaction():
            record = await repository.get_generation(conn, generation_id, for_update=True)
            if record is None or record.owner_id != actor_id:
                return None
            if not await repository.undo_pending_deletion(conn, generation_id):
                return None
            image_ids = [str(i.id) for i in record.images]
            # Inside the transaction, row locked: should this call fail, the mark stays and the
            # sweep deletes as the owner asked first.
            if image_ids:
                await self._visibility.restore(actor_id, image_ids)
        log.info("generation deletion undone", extra={"generation_id": str(generation_id)})
        return image_ids

    async def sweep(self) -> int:
        """Finishes the undoable deletions whose window has passed; how many."""
        async with self._pool.connection() as conn:
            due = await repository.deletions_due(conn, SWEEP_BATCH)
        for generation_id, owner_id in due:
            await self._finish(generation_id, owner_id, due_only=True)
        return len(due)

    async def _finish(self, generation_id: uuid.UUID, owner_id: str, *, due_only: bool) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            record = await repository.get_generation(conn, generation_id, for_update=True)
            if record is None:
                return  # a concurrent delete finished first
            if due_only:
                delete_after = await repository.deletion_pending(conn, generation_id)
                if delete_after is None or delete_after > datetime.now(delete_after.tzinfo):
                    return  # undone, or not due yet
            image_ids = [str(i.id) for i in record.images]
            await repository.delete_generation(conn, generation_id)
            await enqueue_event(
                conn,
                IMAGE_DELETED,
                events_pb2.ImageDeleted(generation_id=str(generation_id), owner_id=owner_id, image_ids=image_ids),
            )
        for image in record.images:
            try:
                await self._store.delete(image.object_key)
            except Exception as error:  # rows are gone: the object is unreachable either way
                log.warning("object left behind", extra={"object_key": image.object_key, "error": str(error)})
        log.info("generation deleted", extra={"generation_id": str(generation_id), "images": len(image_ids)})

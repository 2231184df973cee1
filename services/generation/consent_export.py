"""The consent export (ARCHITECTURE.md P7): every image that is public now and whose owner's plan
terms allow training use, with its prompt and licence, read batch by batch.

This service holds the bytes and the prompts, so it is the one that sends them; it decides nothing
about who may see what. Each batch is checked at read time, just before it is sent: the visibility
authority says which images an anonymous viewer may see (public now: private, team, deleted and
unknown images are denied), billing says which owners' terms consent. Fail closed: when either
cannot answer, or the object store cannot give bytes, the export stops with an error; nothing is
ever sent unchecked, and the caller throws the incomplete stream away (the summary comes last only
when every batch was checked).

Only the public recipe leaves: prompt and negative prompt (what a public image shows everyone);
never lineage, which can name a private source.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from minio.error import S3Error
from psycopg_pool import AsyncConnectionPool
from urllib3.exceptions import HTTPError

from atelier.billing.v1.billing_pb2 import LicenceTerms
from glue.storage import ObjectStore, is_missing_object
from services.generation import repository
from services.generation.clients import BillingClient, DependencyUnavailable, VisibilityClient
from services.generation.repository import ExportCandidate

log = logging.getLogger(__name__)

MAX_BATCH = 500  # the authority's most ids per Authorize
ANONYMOUS = ""  # the viewer the authority shows public images only
FETCH_CONCURRENCY = 8


@dataclass(frozen=True)
class ConsentedImage:
    image: ExportCandidate
    content: bytes
    plan: str
    terms_version: str
    checked_at: datetime


@dataclass(frozen=True)
class ExportTotals:
    scanned: int = 0
    public: int = 0
    exported: int = 0


class ExportUnavailable(Exception):
    """A check or a read the export needs failed: the export stops, nothing unchecked was sent."""


class ConsentExporter:
    def __init__(
        self, pool: AsyncConnectionPool, visibility: VisibilityClient, billing: BillingClient, store: ObjectStore
    ):
        self._pool = pool
        self._visibility = visibility
        self._billing = billing
        self._store = store

    async def export(self, batch_size: int = MAX_BATCH) -> AsyncIterator[ConsentedImage | ExportTotals]:
        """Consenting public images in image-id order, then the totals (last, only when complete)."""
        batch_size = min(batch_size or MAX_BATCH, MAX_BATCH)
        scanned = public = exported = 0
        after = None
        while True:
            async with self._pool.connection() as conn:
                page = await repository.export_candidates(conn, after, batch_size)
            if not page:
                break
            after = page[-1].id
            scanned += len(page)
            visible, checked_at = await self._public_now(page)
            public += len(visible)
            consenting = await self._consenting(visible)
            for (candidate, terms), content in zip(consenting, await self._contents(consenting), strict=True):
                if content is None:
                    continue
                exported += 1
                yield ConsentedImage(candidate, content, terms.plan, terms.terms_version, checked_at)
        log.info("consent export done", extra={"scanned": scanned, "public": public, "exported": exported})
        yield ExportTotals(scanned, public, exported)

    async def _public_now(self, page: list[ExportCandidate]) -> tuple[list[ExportCandidate], datetime]:
        checked_at = datetime.now(UTC)
        try:
            allowed = await self._visibility.visible_to(ANONYMOUS, [str(c.id) for c in page])
        except DependencyUnavailable as error:
            raise ExportUnavailable(f"cannot check which images are public ({error})") from error
        return [c for c in page if str(c.id) in allowed], checked_at

    async def _consenting(self, visible: list[ExportCandidate]) -> list[tuple[ExportCandidate, LicenceTerms]]:
        try:
            terms = await self._billing.licence_terms({c.owner_id for c in visible})
        except DependencyUnavailable as error:
            raise ExportUnavailable(f"cannot read the owners' licence terms ({error})") from error
        # An owner billing did not answer for has not consented.
        return [(c, terms[c.owner_id]) for c in visible if c.owner_id in terms and terms[c.owner_id].training_use]

    async def _contents(self, consenting: list[tuple[ExportCandidate, LicenceTerms]]) -> list[bytes | None]:
        limit = asyncio.Semaphore(FETCH_CONCURRENCY)

        async def fetch(candidate: ExportCandidate) -> bytes | None:
            async with limit:
                try:
                    return await self._store.get(candidate.object_key)
                except S3Error as error:
                    if is_missing_object(error):  # removed by a deletion since the page was read
                        return None
                    raise ExportUnavailable(f"cannot read image bytes ({error.code})") from error
                except (OSError, HTTPError) as error:
                    raise ExportUnavailable(f"cannot read image bytes ({error})") from error

        return list(await asyncio.gather(*(fetch(candidate) for candidate, _ in consenting)))

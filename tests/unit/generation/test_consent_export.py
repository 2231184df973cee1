"""The consent export's checks with fakes of the authority, billing and the store: only public,
consenting images are sent; any dependency that cannot answer stops the export before anything
unchecked is sent; an object removed by a deletion meanwhile is left out."""

import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from minio.error import S3Error

from atelier.billing.v1 import billing_pb2
from services.generation import consent_export, repository
from services.generation.clients import DependencyUnavailable
from services.generation.consent_export import ConsentedImage, ConsentExporter, ExportTotals, ExportUnavailable
from services.generation.repository import ExportCandidate

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def candidate(owner: str) -> ExportCandidate:
    image_id = uuid.uuid4()
    return ExportCandidate(image_id, owner, 8, 8, f"key-{image_id}", "image/png", NOW, f"prompt {image_id}", "")


class Pool:
    @asynccontextmanager
    async def connection(self):
        yield None


class Authority:
    def __init__(self, public: set[str], down: bool = False):
        self.public, self.down, self.asked = public, down, []

    async def visible_to(self, viewer_id: str, image_ids: list[str]) -> set[str]:
        self.asked.append(viewer_id)
        if self.down:
            raise DependencyUnavailable("visibility: down")
        return self.public & set(image_ids)


class Billing:
    def __init__(self, consenting: set[str], down: bool = False):
        self.consenting, self.down = consenting, down

    async def licence_terms(self, user_ids):
        if self.down:
            raise DependencyUnavailable("billing: down")
        return {
            u: billing_pb2.LicenceTerms(user_id=u, plan="free", training_use=u in self.consenting, terms_version="v")
            for u in user_ids
            if u != "unanswered"
        }


class Store:
    def __init__(self, missing: set[str] = frozenset(), broken: bool = False):
        self.missing, self.broken = missing, broken

    async def get(self, key: str) -> bytes:
        if self.broken:
            raise OSError("connection refused")
        if key in self.missing:
            raise S3Error(None, "NoSuchKey", "gone", key, "r", "h")  # type: ignore[arg-type]
        return b"png:" + key.encode()


@pytest.fixture
def images(monkeypatch):
    rows = [candidate(owner) for owner in ["alice", "alice", "bob", "carol", "unanswered"] * 3]
    rows.sort(key=lambda c: c.id)

    async def page(conn, after, limit):
        return [c for c in rows if after is None or c.id > after][:limit]

    monkeypatch.setattr(repository, "export_candidates", page)
    return rows


async def run(exporter: ConsentExporter, batch: int = 4) -> list:
    return [item async for item in exporter.export(batch)]


async def test_only_images_public_now_of_consenting_owners_are_sent_then_the_totals(images):
    public = {str(c.id) for c in images[::2]}
    authority = Authority(public)
    exporter = ConsentExporter(Pool(), authority, Billing({"alice", "carol", "unanswered"}), Store())  # type: ignore[arg-type]
    items = await run(exporter)
    sent = [item for item in items if isinstance(item, ConsentedImage)]
    expected = [c for c in images if str(c.id) in public and c.owner_id in {"alice", "carol"}]
    assert [item.image for item in sent] == expected
    assert all(item.content == b"png:" + item.image.object_key.encode() for item in sent)
    assert items[-1] == ExportTotals(scanned=len(images), public=len(public), exported=len(expected))
    assert set(authority.asked) == {consent_export.ANONYMOUS}  # asked as nobody: public images only


@pytest.mark.parametrize(
    ("authority_down", "billing_down", "store_broken", "words"),
    [
        (True, False, False, "cannot check which images are public"),
        (False, True, False, "cannot read the owners' licence terms"),
        (False, False, True, "cannot read image bytes"),
    ],
)
async def test_a_dependency_that_cannot_answer_stops_the_export_before_anything_unchecked_goes(
    images, authority_down, billing_down, store_broken, words
):
    everything = {str(c.id) for c in images}
    exporter = ConsentExporter(
        Pool(),
        Authority(everything, down=authority_down),  # type: ignore[arg-type]
        Billing({"alice", "bob", "carol"}, down=billing_down),  # type: ignore[arg-type]
        Store(broken=store_broken),  # type: ignore[arg-type]
    )
    sent = []
    with pytest.raises(ExportUnavailable, match=words):
        async for item in exporter.export(4):
            sent.append(item)
    assert not any(isinstance(item, ExportTotals) for item in sent)


async def test_an_object_deleted_meanwhile_is_left_out_and_not_counted(images):
    everything = {str(c.id) for c in images}
    gone = images[0]
    exporter = ConsentExporter(
        Pool(),
        Authority(everything),
        Billing({"alice", "bob", "carol"}),
        Store(missing={gone.object_key}),  # type: ignore[arg-type]
    )
    items = await run(exporter)
    assert gone not in [item.image for item in items if isinstance(item, ConsentedImage)]
    assert items[-1].exported == sum(1 for c in images if c.owner_id != "unanswered") - (gone.owner_id != "unanswered")

"""ImagesReady carries the private content of a generation (prompt, seeds, lineage) only for images
public when ready: internal consumers never see a private image's (ARCHITECTURE.md §3)."""

import uuid
from datetime import UTC, datetime

from atelier.common.v1 import visibility_pb2
from services.generation.records import GenerationRecord, ImageRecord
from services.generation.worker import images_ready

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SOURCE = uuid.uuid4()


def generation(visibility: str) -> tuple[GenerationRecord, list[ImageRecord]]:
    record = GenerationRecord(
        id=uuid.uuid4(),
        owner_id="alice",
        idempotency_key=None,
        status="running",
        params={},
        request_hash="",
        prompt="my secret prompt",
        effective_prompt="my secret prompt, expanded",
        magic_prompt="",
        seed=41,
        num_images=2,
        width=512,
        height=512,
        initial_visibility=visibility,
        storage_prefix="p",
        progress_step=0,
        progress_total=0,
        attempts=1,
        error="",
        created_at=NOW,
        started_at=NOW,
        completed_at=None,
        source_image_id=SOURCE,
    )
    images = [
        ImageRecord(uuid.uuid4(), record.id, "alice", i, 41 + i, 512, 512, 512, 512, f"k{i}", "image/png", NOW)
        for i in range(2)
    ]
    return record, images


def test_a_private_generation_announces_its_images_without_prompt_seeds_or_lineage():
    event = images_ready(*generation("private"))
    assert event.visibility == visibility_pb2.VISIBILITY_PRIVATE and event.owner_id == "alice"
    assert (event.prompt, event.source_image_id) == ("", "")
    assert [(i.seed, i.object_key, i.width) for i in event.images] == [(0, "k0", 512), (0, "k1", 512)]
    assert b"secret" not in event.SerializeToString()


def test_a_public_generation_announces_them_whole():
    event = images_ready(*generation("public"))
    assert (event.prompt, event.source_image_id) == ("my secret prompt", str(SOURCE))
    assert [i.seed for i in event.images] == [41, 42]

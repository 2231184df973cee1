"""The consent export's directory: whole exports only (an interrupted one leaves nothing), a
manifest whose checksum covers every file, and withdrawals against the previous export."""

import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from atelier.generation.v1 import export_pb2
from services.generation.export_writer import ExportFailed, ExportWriter, complete_exports, exported_ids

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def image(image_id: str, owner: str = "alice", prompt: str = "a red circle") -> export_pb2.ConsentedImage:
    item = export_pb2.ConsentedImage(
        image_id=image_id,
        owner_id=owner,
        prompt=prompt,
        width=8,
        height=8,
        content_type="image/png",
        content=f"png of {image_id}".encode(),
        plan="free",
        terms_version="v1",
    )
    item.created_at.FromDatetime(NOW)
    item.checked_at.FromDatetime(NOW)
    return item


def write(root: Path, images: list[export_pb2.ConsentedImage]) -> Path:
    with ExportWriter(root) as writer:
        for item in images:
            writer.add(item)
        return writer.finish(export_pb2.ExportSummary(scanned=9, public_images=len(images), exported=len(images)))


def ids(count: int) -> list[str]:
    return sorted(str(uuid.uuid4()) for _ in range(count))


def test_an_export_holds_images_prompts_licences_and_a_manifest_that_checks(tmp_path: Path):
    a, b = ids(2)
    path = write(tmp_path, [image(a), image(b, "bob", "a blue square")])
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["counts"] == {"images": 2, "withdrawn": 0, "scanned": 9, "public": 2}
    assert manifest["previous_export"] is None and manifest["sequence"] == 1
    for relative, digest in manifest["files"].items():
        assert hashlib.sha256((path / relative).read_bytes()).hexdigest() == digest
    listing = "".join(f"{d}  {p}\n" for p, d in sorted(manifest["files"].items()))
    assert hashlib.sha256(listing.encode()).hexdigest() == manifest["checksum"]
    records = [json.loads(line) for line in (path / "records.jsonl").read_text().splitlines()]
    assert [(r["image_id"], r["prompt"]) for r in records] == [(a, "a red circle"), (b, "a blue square")]
    assert records[1]["licence"] == {
        "owner_id": "bob",
        "image_id": b,
        "plan": "free",
        "terms_version": "v1",
        "use": "training",
        "checked_at": "2026-12-07T03:00:00Z",
        "exported_at": manifest["started_at"],
    }
    assert (path / records[0]["file"]).read_bytes() == f"png of {a}".encode()
    assert (path / "withdrawn.jsonl").read_text() == ""


def test_the_next_export_lists_what_left_since_the_previous_one(tmp_path: Path):
    a, b, c = ids(3)
    first = write(tmp_path, [image(a), image(b, "bob")])
    second = write(tmp_path, [image(a), image(c)])
    withdrawn = [json.loads(line) for line in (second / "withdrawn.jsonl").read_text().splitlines()]
    assert withdrawn == [{"image_id": b, "owner_id": "bob", "exported_in": first.name}]
    assert set(exported_ids(second)) == {a, c}
    third = write(tmp_path, [])
    assert sorted(json.loads(line)["image_id"] for line in (third / "withdrawn.jsonl").read_text().splitlines()) == [
        a,
        c,
    ]
    assert [path for _, path in complete_exports(tmp_path)] == [first, second, third]


def _only_whole_exports(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".lock"))


def test_an_interrupted_export_leaves_nothing_and_the_next_one_compares_with_the_last_whole_one(tmp_path: Path):
    a, b = ids(2)
    first = write(tmp_path, [image(a)])
    with pytest.raises(KeyboardInterrupt), ExportWriter(tmp_path) as writer:
        writer.add(image(b))
        raise KeyboardInterrupt  # an operator's Ctrl-C, a lost connection: no finish()
    with pytest.raises(ExportFailed, match="counted 3 images but sent 1"), ExportWriter(tmp_path) as writer:
        writer.add(image(b))
        writer.finish(export_pb2.ExportSummary(exported=3))
    assert _only_whole_exports(tmp_path) == [first.name]
    second = write(tmp_path, [image(b)])
    assert json.loads((second / "manifest.json").read_text())["previous_export"] == first.name


def test_a_partial_export_left_by_a_killed_process_is_never_an_export_and_is_cleared(tmp_path: Path):
    (tmp_path / ".export-export-000001-20261207T030000000000Z.partial" / "images").mkdir(parents=True)
    (tmp_path / "export-000009-20261207T030000000000Z").mkdir()  # no manifest: not a whole export
    assert complete_exports(tmp_path) == []
    path = write(tmp_path, [image(ids(1)[0])])
    assert path.name.startswith("export-000001-")
    assert not list(tmp_path.glob(".export-*.partial"))


def test_two_exports_never_run_at_once_in_one_directory(tmp_path: Path):
    with ExportWriter(tmp_path), pytest.raises(ExportFailed, match="another export is running"):
        ExportWriter(tmp_path).__enter__()


def test_a_repeated_or_malformed_image_id_fails_the_export(tmp_path: Path):
    a = ids(1)[0]
    with pytest.raises(ExportFailed, match="bad or repeated"), ExportWriter(tmp_path) as writer:
        writer.add(image(a))
        writer.add(image(a))
    with pytest.raises(ExportFailed, match="bad or repeated"), ExportWriter(tmp_path) as writer:
        writer.add(image("../../etc/passwd"))
    assert complete_exports(tmp_path) == []

"""Writes one consent export into a directory of exports, atomically.

Layout of DIR (each export a directory, never changed once written):

    DIR/export-000007-20261207T031500123456Z/
        images/<image_id>.png       the bytes
        records.jsonl               one line per image: prompt, size, file, sha256, licence
        withdrawn.jsonl             images of the previous export that are not in this one (made
                                    private, deleted, or their owner's terms no longer consent):
                                    whoever holds the previous export must delete them
        manifest.json               counts, every file's sha256, and one checksum over them all

An export is written under DIR/.export-<name>.partial and renamed to its name only once complete
(after the server's summary came and everything was synced to disk); any failure removes the
partial directory, and a partial one left by a killed process is removed by the next export. So a
directory named export-* is always a whole export. A lock file (DIR/.lock) keeps two exports from
running at once; the previous export is the one with the highest sequence number.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from atelier.generation.v1 import export_pb2

FORMAT = "atelier-consent-export/1"
RECORDS = "records.jsonl"
WITHDRAWN = "withdrawn.jsonl"
MANIFEST = "manifest.json"
IMAGES = "images"
_EXPORT = re.compile(r"^export-(\d{6,})-\d{8}T\d{12}Z$")
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if ctypes.util.find_library("c") else None
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


class ExportFailed(Exception):
    """The export could not be completed; nothing of it was left in the directory."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def complete_exports(root: Path) -> list[tuple[int, Path]]:
    """Whole exports in root, oldest first (a directory with a manifest and a well-formed name)."""
    found = []
    for path in root.iterdir() if root.is_dir() else ():
        match = _EXPORT.match(path.name)
        if match and (path / MANIFEST).is_file():
            found.append((int(match.group(1)), path))
    return sorted(found)


def exported_ids(export: Path) -> dict[str, str]:
    """image id → owner id of every image in a whole export."""
    with open(export / RECORDS, encoding="utf-8") as records:
        return {r["image_id"]: r["owner_id"] for r in map(json.loads, records)}


def _sync_filesystem(directory: Path) -> None:
    """Flushes the filesystem holding `directory` (syncfs: one call for 100k files, where an fsync
    each would take minutes), and the directory's own entries."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        if _LIBC is None or _LIBC.syncfs(fd) != 0:
            os.sync()
        os.fsync(fd)
    finally:
        os.close(fd)


class _HashingFile:
    """A file written once, whose sha256 is known when it is closed."""

    def __init__(self, path: Path):
        self.path = path
        self._file: IO[bytes] = open(path, "xb")
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)

    def discard(self) -> None:
        self._file.close()

    def close(self) -> str:
        self._file.close()  # synced with the rest of the export, in one syncfs (finish)
        return self._hash.hexdigest()


class ExportWriter:
    """`with ExportWriter(root) as export: export.add(image) ...; export.finish(summary)`"""

    def __init__(self, root: Path, now: datetime | None = None):
        self.root = root
        self.started_at = now or datetime.now(UTC)
        self._files: dict[str, str] = {}
        self._ids: set[str] = set()
        self.path: Path | None = None

    def __enter__(self) -> ExportWriter:
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.root / ".lock", "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise ExportFailed(f"another export is running in {self.root}") from None
        for stale in self.root.glob(".export-*.partial"):  # left by a killed export; we hold the lock
            shutil.rmtree(stale)
        exports = complete_exports(self.root)
        self._previous = exports[-1][1] if exports else None
        sequence = exports[-1][0] + 1 if exports else 1
        self.name = f"export-{sequence:06d}-{_stamp(self.started_at)}"
        self.sequence = sequence
        self._partial = self.root / f".export-{self.name}.partial"
        (self._partial / IMAGES).mkdir(parents=True)
        self._records = _HashingFile(self._partial / RECORDS)
        return self

    def add(self, image: export_pb2.ConsentedImage) -> None:
        if image.image_id in self._ids or not re.fullmatch(r"[0-9a-f-]{36}", image.image_id):
            raise ExportFailed(f"the service sent a bad or repeated image id {image.image_id!r}")
        self._ids.add(image.image_id)
        relative = f"{IMAGES}/{image.image_id}{_EXTENSIONS.get(image.content_type, '.bin')}"
        content = _HashingFile(self._partial / relative)
        content.write(image.content)
        digest = self._files[relative] = content.close()
        record = {
            "image_id": image.image_id,
            "owner_id": image.owner_id,
            "file": relative,
            "sha256": digest,
            "content_type": image.content_type,
            "width": image.width,
            "height": image.height,
            "prompt": image.prompt,
            "negative_prompt": image.negative_prompt,
            "created_at": _iso(image.created_at.ToDatetime(UTC)),
            "licence": {
                "owner_id": image.owner_id,
                "image_id": image.image_id,
                "plan": image.plan,
                "terms_version": image.terms_version,
                "use": "training",
                "checked_at": _iso(image.checked_at.ToDatetime(UTC)),
                "exported_at": _iso(self.started_at),
            },
        }
        self._records.write((json.dumps(record, sort_keys=True) + "\n").encode())

    def finish(self, summary: export_pb2.ExportSummary) -> Path:
        """Writes withdrawals and manifest, then makes the export visible under its name."""
        if summary.exported != len(self._ids):
            raise ExportFailed(f"the service counted {summary.exported} images but sent {len(self._ids)}")
        self._files[RECORDS] = self._records.close()
        before = exported_ids(self._previous) if self._previous is not None else {}
        withdrawn = _HashingFile(self._partial / WITHDRAWN)
        gone = sorted(set(before) - self._ids)
        for image_id in gone:
            line = {"image_id": image_id, "owner_id": before[image_id], "exported_in": self._previous_name}
            withdrawn.write((json.dumps(line, sort_keys=True) + "\n").encode())
        self._files[WITHDRAWN] = withdrawn.close()
        listing = "".join(f"{digest}  {path}\n" for path, digest in sorted(self._files.items()))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "export": self.name,
            "sequence": self.sequence,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(datetime.now(UTC)),
            "previous_export": self._previous_name,
            "counts": {
                "images": len(self._ids),
                "withdrawn": len(gone),
                "scanned": summary.scanned,
                "public": summary.public_images,
            },
            "files": dict(sorted(self._files.items())),
            # sha256 of the lines "<sha256>  <path>" of every file above, sorted by path.
            "checksum": hashlib.sha256(listing.encode()).hexdigest(),
        }
        with open(self._partial / MANIFEST, "x", encoding="utf-8") as file:
            json.dump(manifest, file, indent=2, sort_keys=True)
        _sync_filesystem(self._partial)  # every file on disk before the name says the export is whole
        final = self.root / self.name
        os.rename(self._partial, final)
        _sync_filesystem(self.root)
        self.path = final
        return final

    @property
    def _previous_name(self) -> str | None:
        return self._previous.name if self._previous is not None else None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self.path is None:  # not finished: an error, an interrupt, or a missing finish()
                self._records.discard()
                shutil.rmtree(self._partial, ignore_errors=True)
        finally:
            self._lock.close()

"""The consent export at 100k public images: total time, p50 per 1k images, and the dataset's size.

    .venv/bin/python -m bench.bench_consent_export [--images 100000] [--private 0.1] [--objects 1000]
                                                   [--exports 2]

Starts its own Postgres, NATS and S3 store (tools.devstack, free ports, throwaway data dir) and the
real billing, visibility and generation API services as subprocesses, then seeds rows directly in
Postgres with COPY, as the services would hold them after `ImagesReady`:
  - generation.generations (4 images each, succeeded) and generation.images, owners spread over
    1000 users, none with a billing account: all on the free plan, whose terms consent;
  - visibility.images: the authority's rows, `--private` of them private (checked, never exported);
  - the object store: `--objects` distinct tiny PNGs (8x8, ~70 bytes) that the image rows point at
    round-robin, so seeding takes seconds; each exported image is still its own S3 GET.
Then runs the operator's export (services/generation/export_cli.export, the command's own code)
twice: the first into an empty directory, the second with the first as the previous export (its
withdrawal file computed against 100k records). Before, the object store's own GET rate, the
bound of the export. Never fails on timing.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import shutil
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from PIL import Image

from atelier.generation.v1 import export_pb2, export_pb2_grpc
from contracts import identities
from services.generation.export_writer import ExportWriter
from tests.support.services import Infra, ServiceStack
from tools.devstack import NatsServer, ObjectStore, PostgresServer, free_port

OWNERS = 1000
PER_GENERATION = 4


def tiny_png(rng: random.Random) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), tuple(rng.randrange(256) for _ in range(3))).save(buffer, "PNG")
    return buffer.getvalue()


def seed(
    database_url: str, store: ObjectStore, images: int, private: float, objects: int, rng: random.Random
) -> list[str]:
    started = time.perf_counter()
    client = store.client()
    keys = []
    for n in range(objects):
        key = f"bench/{uuid.uuid4().hex}/{n}.png"
        data = tiny_png(rng)
        client.put_object(store.bucket, key, io.BytesIO(data), len(data), content_type="image/png")
        keys.append(key)
    now = datetime.now(UTC)
    params = json.dumps({"negative_prompt": "blurry", "aspect_ratio": "1:1"})
    with psycopg.connect(database_url) as conn:
        generations = []
        with conn.cursor().copy(
            "COPY generation.generations (id, owner_id, status, params, request_hash, prompt, effective_prompt,"
            " seed, num_images, width, height, visibility, storage_prefix, created_at, completed_at) FROM STDIN"
        ) as copy:
            for g in range((images + PER_GENERATION - 1) // PER_GENERATION):
                generation_id, owner = uuid.uuid4(), f"user-{rng.randrange(OWNERS)}"
                generations.append((generation_id, owner))
                prompt = f"a red circle on a blue background #{g}"
                copy.write_row(
                    (
                        generation_id,
                        owner,
                        "succeeded",
                        params,
                        "x",
                        prompt,
                        prompt,
                        g,
                        4,
                        8,
                        8,
                        "public",
                        "p",
                        now,
                        now,
                    )
                )
        rows = []
        with conn.cursor().copy(
            "COPY generation.images (id, generation_id, owner_id, idx, seed, width, height, native_width,"
            " native_height, object_key, content_type, created_at) FROM STDIN"
        ) as copy:
            for n in range(images):
                generation_id, owner = generations[n // PER_GENERATION]
                image_id = uuid.uuid4()
                rows.append((image_id, owner, generation_id))
                copy.write_row(
                    (image_id, generation_id, owner, n % 4, n, 8, 8, 8, 8, keys[n % objects], "image/png", now)
                )
        with conn.cursor().copy(
            "COPY visibility.images (image_id, owner_id, generation_id, visibility, version) FROM STDIN"
        ) as copy:
            for image_id, owner, generation_id in rows:
                copy.write_row((image_id, owner, generation_id, "private" if rng.random() < private else "public", 1))
        conn.execute("ANALYZE generation.images")
        conn.execute("ANALYZE generation.generations")
        conn.execute("ANALYZE visibility.images")
        conn.commit()
    print(f"seeded {images} images ({objects} distinct objects) in {time.perf_counter() - started:.1f} s")
    return keys


def store_baseline(store: ObjectStore, keys: list[str], gets: int = 2000) -> None:
    """The object store alone: GETs per second one at a time and with 6 threads (what the export's
    default executor has on 2 cores), the bound of an export that reads every image's bytes."""
    client = store.client()

    def get(key: str) -> bytes:
        response = client.get_object(store.bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    work = [keys[n % len(keys)] for n in range(gets)]
    started = time.perf_counter()
    for key in work:
        get(key)
    sequential = gets / (time.perf_counter() - started)
    with ThreadPoolExecutor(6) as pool:
        started = time.perf_counter()
        list(pool.map(get, work))
        threaded = gets / (time.perf_counter() - started)
    print(f"object store alone: {sequential:.0f} GETs/s one at a time, {threaded:.0f} GETs/s with 6 threads")


def run_export(stack: ServiceStack, into: Path) -> None:
    """The command's loop (export_cli.export), timed per 1000 images received."""
    per_thousand: list[float] = []
    with stack.sync_channel(identities.GENERATION_API, caller=identities.OPERATOR) as channel:
        stub = export_pb2_grpc.ConsentExportServiceStub(channel)
        started = mark = time.perf_counter()
        with ExportWriter(into) as writer:
            count = 0
            for item in stub.ExportConsentedImages(export_pb2.ExportConsentedImagesRequest(), timeout=3600):
                if item.HasField("summary"):
                    summary = item.summary
                    continue
                writer.add(item.image)
                count += 1
                if count % 1000 == 0:
                    now = time.perf_counter()
                    per_thousand.append(now - mark)
                    mark = now
            path = writer.finish(summary)
        total = time.perf_counter() - started
    manifest = json.loads((path / "manifest.json").read_text())
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    files = sum(1 for f in path.rglob("*") if f.is_file())
    counts = manifest["counts"]
    print(
        f"export {manifest['sequence']}: {counts['images']} images exported of {counts['scanned']} scanned"
        f" ({counts['public']} public), {counts['withdrawn']} withdrawn; total {total:.1f} s"
        f" ({counts['images'] / total:.0f} images/s); per 1k images p50 {statistics.median(per_thousand):.3f} s,"
        f" p95 {sorted(per_thousand)[int(len(per_thousand) * 0.95)]:.3f} s;"
        f" dataset {size / 1e6:.1f} MB in {files} files (records.jsonl"
        f" {(path / 'records.jsonl').stat().st_size / 1e6:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--private", type=float, default=0.1, help="share of images that are private")
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--exports", type=int, default=2, help="exports in a row (the second has a previous one)")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(20261207)
    root = Path(tempfile.mkdtemp(prefix="atelier-bench-export-"))
    root.chmod(0o711)
    postgres = PostgresServer(root / "postgres", free_port(), durable=False)
    nats_server = NatsServer(root / "nats", free_port())
    store = ObjectStore(root / "objectstore", free_port())
    stack = None
    try:
        postgres.start()
        nats_server.start()
        store.start()
        infra = Infra.on(postgres.url, nats_server.url, store, "127.0.0.1:1")
        stack = ServiceStack(infra, root / "logs", overrides={"ATELIER_LOG_LEVEL": "WARNING"})
        stack.start_billing()
        stack.start_visibility()
        stack.start_generation_api()
        keys = seed(infra.database_url, store, options.images, options.private, options.objects, rng)
        store_baseline(store, keys)
        for _ in range(options.exports):
            run_export(stack, root / "exports")
    finally:
        if stack is not None:
            stack.stop_all()
        store.stop()
        nats_server.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

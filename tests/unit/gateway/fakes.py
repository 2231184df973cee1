"""Test doubles for the gateway's unit tests: an in-process GenerationService gRPC server, an
in-memory progress feed and object store. Integration tests use the real ones."""

import asyncio
import io
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from minio.error import S3Error
from PIL import Image

from atelier.common.v1 import visibility_pb2
from atelier.generation.v1 import events_pb2, generation_pb2, generation_pb2_grpc
from services.gateway.generation_client import SERVICE_NAME


def png_bytes(colour: tuple[int, int, int], size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


@dataclass
class InjectedError:
    code: grpc.StatusCode
    message: str
    trailing_metadata: tuple[tuple[str, str], ...] = ()


class FakeGenerationService(generation_pb2_grpc.GenerationServiceServicer):
    """Keeps generations in memory with the real service's owner rules: NOT_FOUND for non-owners."""

    def __init__(self, objects: "InMemoryObjects") -> None:
        # Where the images of completed generations are written, as the real worker does.
        self.objects = objects
        self.generations: dict[str, generation_pb2.Generation] = {}
        self.order: list[str] = []
        self.submissions: list[generation_pb2.SubmitRequest] = []
        self.by_idempotency_key: dict[tuple[str, str], str] = {}
        self.images: dict[str, generation_pb2.Image] = {}
        self.next_error: InjectedError | None = None
        self.get_calls: defaultdict[str, int] = defaultdict(int)
        # generation id -> number of GetGeneration calls after which it completes
        self._complete_on_read: dict[str, int] = {}

    async def _raise_injected(self, context: grpc.aio.ServicerContext) -> None:
        if self.next_error is not None:
            error, self.next_error = self.next_error, None
            if error.trailing_metadata:
                context.set_trailing_metadata(error.trailing_metadata)
            await context.abort(error.code, error.message)

    async def Submit(self, request, context):  # noqa: N802 - gRPC method name
        await self._raise_injected(context)
        self.submissions.append(request)
        key = (request.owner_id, request.idempotency_key)
        if request.idempotency_key and key in self.by_idempotency_key:
            existing = self.generations[self.by_idempotency_key[key]]
            return generation_pb2.SubmitResponse(generation=existing, created=False)
        created_at = Timestamp()
        created_at.GetCurrentTime()
        generation = generation_pb2.Generation(
            generation_id=str(uuid.uuid4()),
            owner_id=request.owner_id,
            status=generation_pb2.GENERATION_STATUS_QUEUED,
            params=request.params,
            visibility=request.visibility,
            progress_total=20,
            created_at=created_at,
            seed=request.params.seed if request.params.HasField("seed") else 1234,
        )
        self.generations[generation.generation_id] = generation
        self.order.append(generation.generation_id)
        if request.idempotency_key:
            self.by_idempotency_key[key] = generation.generation_id
        return generation_pb2.SubmitResponse(generation=generation, created=True)

    async def GetGeneration(self, request, context):  # noqa: N802
        await self._raise_injected(context)
        self.get_calls[request.generation_id] += 1
        reads_left = self._complete_on_read.get(request.generation_id)
        if reads_left is not None and self.get_calls[request.generation_id] >= reads_left:
            del self._complete_on_read[request.generation_id]
            self.succeed(request.generation_id)
        generation = self.generations.get(request.generation_id)
        if generation is None or generation.owner_id != request.viewer_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        return generation_pb2.GetGenerationResponse(generation=generation)

    async def ListGenerations(self, request, context):  # noqa: N802
        await self._raise_injected(context)
        newest_first = [self.generations[gid] for gid in reversed(self.order)]
        mine = [generation for generation in newest_first if generation.owner_id == request.owner_id]
        start = int(request.cursor) if request.cursor else 0
        page = mine[start:start + request.page_size]
        more = start + request.page_size < len(mine)
        return generation_pb2.ListGenerationsResponse(
            generations=page, next_cursor=str(start + request.page_size) if more else ""
        )

    async def BatchGetImages(self, request, context):  # noqa: N802
        await self._raise_injected(context)
        return generation_pb2.BatchGetImagesResponse(
            images=[self.images[i] for i in request.image_ids if i in self.images]
        )

    # test controls

    def add(self, owner_id: str, prompt: str = "a red circle") -> generation_pb2.Generation:
        generation = generation_pb2.Generation(
            generation_id=str(uuid.uuid4()), owner_id=owner_id, status=generation_pb2.GENERATION_STATUS_QUEUED,
            params=generation_pb2.GenerationParams(prompt=prompt, num_images=4, aspect_ratio="1:1"),
            visibility=visibility_pb2.VISIBILITY_PUBLIC, progress_total=20, seed=7,
        )
        self.generations[generation.generation_id] = generation
        self.order.append(generation.generation_id)
        return generation

    def set_progress(self, generation_id: str, step: int) -> None:
        generation = self.generations[generation_id]
        generation.status = generation_pb2.GENERATION_STATUS_RUNNING
        generation.progress_step = step

    def succeed(self, generation_id: str) -> list[str]:
        generation = self.generations[generation_id]
        generation.status = generation_pb2.GENERATION_STATUS_SUCCEEDED
        generation.progress_step = generation.progress_total
        for index in range(generation.params.num_images or 4):
            image = generation_pb2.Image(
                image_id=str(uuid.uuid4()), generation_id=generation_id, owner_id=generation.owner_id, index=index,
                seed=generation.seed + index, width=64, height=64, object_key=f"{uuid.uuid4().hex}/{index}.png",
                content_type="image/png", visibility=generation.visibility, prompt=generation.params.prompt,
            )
            generation.images.append(image)
            self.images[image.image_id] = image
            self.objects.data[image.object_key] = png_bytes((40 * index, 90, 200))
        return [image.image_id for image in generation.images]

    def fail(self, generation_id: str, error: str) -> None:
        generation = self.generations[generation_id]
        generation.status = generation_pb2.GENERATION_STATUS_FAILED
        generation.error = error

    def succeed_on_read(self, generation_id: str, reads: int) -> None:
        """Completes the generation when GetGeneration has been called `reads` times for it."""
        self._complete_on_read[generation_id] = reads


@asynccontextmanager
async def running_generation_service(fake: FakeGenerationService) -> AsyncIterator[str]:
    """Serves the fake (and a SERVING health service) on a free loopback port; yields host:port."""
    server = grpc.aio.server()
    generation_pb2_grpc.add_GenerationServiceServicer_to_server(fake, server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


@dataclass
class InMemoryObjects:
    data: dict[str, bytes] = field(default_factory=dict)

    async def get(self, key: str) -> bytes:
        if key not in self.data:
            raise S3Error(None, "NoSuchKey", "no such key", key, "", "")  # type: ignore[arg-type]
        return self.data[key]


class InMemoryProgressFeed:
    """Delivers published progress to the subscribers of its generation, like core NATS."""

    def __init__(self) -> None:
        self._queues: defaultdict[str, list[asyncio.Queue]] = defaultdict(list)
        self._subscribed: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.subscribed_ids: list[str] = []

    def is_connected(self) -> bool:
        return True

    @asynccontextmanager
    async def subscribe(self, generation_id: str):
        queue: asyncio.Queue = asyncio.Queue()
        self._queues[generation_id].append(queue)
        self.subscribed_ids.append(generation_id)
        self._subscribed[generation_id].set()
        try:
            yield queue
        finally:
            self._queues[generation_id].remove(queue)

    async def wait_for_subscriber(self, generation_id: str) -> None:
        await self._subscribed[generation_id].wait()

    def publish(self, progress: events_pb2.GenerationProgress) -> None:
        for queue in self._queues[progress.generation_id]:
            queue.put_nowait(progress)

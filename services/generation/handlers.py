"""GenerationService gRPC handlers: protobuf ↔ domain, and domain errors → gRPC status."""

import base64
import uuid
from collections.abc import Mapping
from datetime import datetime

import grpc
from google.protobuf import json_format, timestamp_pb2
from psycopg_pool import AsyncConnectionPool

from atelier.common.v1 import visibility_pb2 as common_visibility
from atelier.generation.v1 import generation_pb2, generation_pb2_grpc
from contracts.common import SCOPE_FROM_PROTO, SCOPE_TO_PROTO, TEAM, VISIBILITY_TO_PROTO
from glue.grpc_errors import ErrorMapping
from glue.ids import canonical_uuid, parse_uuid
from services.generation import repository
from services.generation.clients import BillingClient, DependencyUnavailable, OutOfCredits, VisibilityClient
from services.generation.decision import CONCURRENCY_LIMIT, ConcurrencyLimit, TeamWithoutTeamId, VisibilityRefused
from services.generation.deletion import GenerationDeleter, GenerationRunning
from services.generation.inference import ImageAction
from services.generation.progress_relay import NotTheOwners, ProgressRelay
from services.generation.records import GenerationRecord, ImageRecord
from services.generation.requests import (
    GENERATE,
    GenerationSpec,
    InvalidRequest,
    kind_from_proto,
    validate,
    validate_action,
)
from services.generation.submission import (
    ActionNotEntitled,
    Asked,
    CustomModelAuthority,
    CustomModelNotFound,
    IdempotencyConflict,
    SourceImageNotFound,
    generation_params,
    request_hash,
    submit,
)

STATUS_TO_PROTO = {
    "queued": generation_pb2.GENERATION_STATUS_QUEUED,
    "running": generation_pb2.GENERATION_STATUS_RUNNING,
    "succeeded": generation_pb2.GENERATION_STATUS_SUCCEEDED,
    "failed": generation_pb2.GENERATION_STATUS_FAILED,
}
UNSPECIFIED = common_visibility.VISIBILITY_UNSPECIFIED
MAX_PAGE_SIZE = 100
MAX_BATCH = 500
MAX_IDEMPOTENCY_KEY = 200

# Refusals with a per-RPC message or trailing metadata stay in the handlers.
ERRORS = ErrorMapping(
    {
        InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
        GenerationRunning: grpc.StatusCode.FAILED_PRECONDITION,
        # The visibility authority could not say who may use a team's custom model: nothing is used.
        DependencyUnavailable: grpc.StatusCode.UNAVAILABLE,
    },
    unavailable_message="generation: the database is unavailable; try again",
)


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def image_to_proto(image: ImageRecord) -> generation_pb2.Image:
    return generation_pb2.Image(
        image_id=str(image.id),
        generation_id=str(image.generation_id),
        owner_id=image.owner_id,
        index=image.idx,
        seed=image.seed,
        width=image.width,
        height=image.height,
        native_width=image.native_width,
        native_height=image.native_height,
        object_key=image.object_key,
        content_type=image.content_type,
        visibility=SCOPE_TO_PROTO[image.initial_visibility],
        prompt=image.prompt,
        created_at=_timestamp(image.created_at),
        source_image_id=str(image.source_image_id) if image.source_image_id else "",
    )


def generation_to_proto(record: GenerationRecord) -> generation_pb2.Generation:
    return generation_pb2.Generation(
        generation_id=str(record.id),
        owner_id=record.owner_id,
        status=STATUS_TO_PROTO[record.status],
        params=generation_params(record),
        magic_prompt=record.magic_prompt,
        visibility=SCOPE_TO_PROTO[record.initial_visibility],
        progress_step=record.progress_step,
        progress_total=record.progress_total,
        images=[image_to_proto(i) for i in record.images],
        error=record.error,
        created_at=_timestamp(record.created_at),
        completed_at=_timestamp(record.completed_at),
        seed=record.seed,
        seed_chosen=record.seed_chosen,
        unknown_prompt_words=record.unknown_prompt_words,
        suggestions=record.suggestions,
    )


def encode_cursor(record: GenerationRecord) -> str:
    return base64.urlsafe_b64encode(f"{record.created_at.isoformat()}|{record.id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        created_at, generation_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(generation_id)
    except ValueError as error:
        raise InvalidRequest("cursor", "is not a cursor this service issued") from error


async def _refuse(context: grpc.aio.ServicerContext, code: grpc.StatusCode, reason: str, message: str) -> None:
    """Aborts with a machine-readable reason beside the human message (the gateway maps
    out_of_credits to 402, concurrency_limit to 429, the visibility refusals to 403 in words)."""
    context.set_trailing_metadata((("atelier-reason", reason),))
    await context.abort(code, message)


def _spec_of(request: generation_pb2.SubmitRequest, actions: Mapping[str, ImageAction]) -> GenerationSpec:
    """The checked spec of a submission: a generation's parameters, or an image action's source."""
    params = request.params
    # A team generation's spec is checked as a private one's (hidden from the public); the team
    # itself goes with what the owner asked (submission.Asked).
    visibility = SCOPE_FROM_PROTO.get(request.visibility, "")
    if visibility == TEAM:
        visibility = "private"
    kind = kind_from_proto(params.kind)
    if kind is None or (kind != GENERATE and kind not in actions):
        raise InvalidRequest("kind", "is not a job kind this service runs")
    if request.team_id and kind != GENERATE:
        raise InvalidRequest("team_id", "an image action's result is its maker's alone")
    if kind != GENERATE:
        return validate_action(
            kind,
            source_image_id=params.source_image_id,
            visibility=visibility,
            options=actions[kind].options_of(params),
        )
    if params.edit_operations:
        raise InvalidRequest("edit_operations", "apply only to an edit job")
    return validate(
        prompt=params.prompt,
        negative_prompt=params.negative_prompt,
        seed=params.seed if params.HasField("seed") else None,
        num_images=params.num_images,
        aspect_ratio=params.aspect_ratio,
        magic_prompt=params.magic_prompt,
        color_palette=list(params.color_palette),
        steps=params.steps,
        guidance=params.guidance,
        visibility=visibility,
        source_image_id=params.source_image_id,
        mode=params.mode,
        strength=params.strength,
        style_image_id=params.style_image_id,
        style_strength=params.style_strength,
        model_id=params.model_id,
        model_scale=params.model_scale,
    )


class GenerationServicer(generation_pb2_grpc.GenerationServiceServicer):
    def __init__(
        self,
        pool: AsyncConnectionPool,
        billing: BillingClient,
        visibility: VisibilityClient,
        deleter: GenerationDeleter,
        progress: ProgressRelay,
        actions: Mapping[str, ImageAction],
        models: CustomModelAuthority,
    ):
        """actions: the image actions this service runs, by job kind; models: who may use which
        custom model."""
        self._pool = pool
        self._models = models
        self._actions = actions
        self._billing = billing
        self._visibility = visibility
        self._delete = deleter
        self._progress = progress

    async def Submit(self, request: generation_pb2.SubmitRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        if len(request.idempotency_key) > MAX_IDEMPOTENCY_KEY:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"idempotency_key: at most {MAX_IDEMPOTENCY_KEY} characters"
            )
        if request.visibility not in SCOPE_FROM_PROTO and request.visibility != UNSPECIFIED:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "visibility: must be public, private or team")
        team_id = canonical_uuid(request.team_id) if request.team_id else ""
        if team_id is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "team_id: not a UUID")
        api_key_id = canonical_uuid(request.api_key_id) if request.api_key_id else ""
        if api_key_id is None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "api_key_id: not a UUID")
        params = request.params
        try:
            spec = _spec_of(request, self._actions)
        except InvalidRequest as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        raw = {"params": json_format.MessageToDict(params), "visibility": request.visibility}
        if team_id:
            raw["team_id"] = team_id
        try:
            record, created = await submit(
                self._pool,
                self._billing,
                request.owner_id,
                request.idempotency_key or None,
                spec,
                request_hash(raw),
                Asked(
                    visibility=SCOPE_FROM_PROTO.get(request.visibility),
                    visibility_copied=request.visibility_copied,
                    seed_chosen=params.HasField("seed"),
                    team_id=team_id or "",
                    api_key_id=api_key_id or "",
                ),
                self._actions,
                self._models,
            )
        except IdempotencyConflict as error:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(error))
        except CustomModelNotFound as error:
            await _refuse(context, grpc.StatusCode.NOT_FOUND, "custom_model_not_found", str(error))
        except TeamWithoutTeamId as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except SourceImageNotFound as error:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        except OutOfCredits as error:
            await _refuse(context, grpc.StatusCode.RESOURCE_EXHAUSTED, "out_of_credits", str(error))
        except ConcurrencyLimit as error:
            await _refuse(context, grpc.StatusCode.RESOURCE_EXHAUSTED, CONCURRENCY_LIMIT, str(error))
        except (VisibilityRefused, ActionNotEntitled) as error:
            await _refuse(context, grpc.StatusCode.PERMISSION_DENIED, error.reason, str(error))
        except DependencyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot accept generations right now ({error})")
        return generation_pb2.SubmitResponse(generation=generation_to_proto(record), created=created)

    async def GetLastVisibility(
        self, request: generation_pb2.GetLastVisibilityRequest, context: grpc.aio.ServicerContext
    ):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        async with self._pool.connection() as conn:
            last = await repository.last_chosen_visibility(conn, request.owner_id)
        return generation_pb2.GetLastVisibilityResponse(visibility=VISIBILITY_TO_PROTO[last] if last else UNSPECIFIED)

    async def GetGeneration(self, request: generation_pb2.GetGenerationRequest, context: grpc.aio.ServicerContext):
        generation_id = parse_uuid(request.generation_id)
        record = None
        if generation_id is not None:
            async with self._pool.connection() as conn:
                record = await repository.get_generation(conn, generation_id, shown_only=True)
        # Another user's generation is indistinguishable from a missing one.
        if record is None or not request.viewer_id or record.owner_id != request.viewer_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        return generation_pb2.GetGenerationResponse(generation=generation_to_proto(record))

    async def ListGenerations(self, request: generation_pb2.ListGenerationsRequest, context: grpc.aio.ServicerContext):
        if not request.owner_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "owner_id: is required")
        page_size = request.page_size or 20
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"page_size: must be between 1 and {MAX_PAGE_SIZE}")
        after = decode_cursor(request.cursor) if request.cursor else None
        async with self._pool.connection() as conn:
            records = await repository.list_generations(conn, request.owner_id, page_size + 1, after)
        next_cursor = encode_cursor(records[page_size - 1]) if len(records) > page_size else ""
        return generation_pb2.ListGenerationsResponse(
            generations=[generation_to_proto(r) for r in records[:page_size]], next_cursor=next_cursor
        )

    async def BatchGetImages(self, request: generation_pb2.BatchGetImagesRequest, context: grpc.aio.ServicerContext):
        if len(request.image_ids) > MAX_BATCH:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"image_ids: at most {MAX_BATCH} per call")
        ids = [i for i in (parse_uuid(v) for v in request.image_ids) if i is not None]
        async with self._pool.connection() as conn:
            images = await repository.batch_get_images(conn, ids)
        # Private content never leaves this service but to its owner (ARCHITECTURE.md §3): the
        # viewer's own images, and those the authority lets the viewer see now; fail closed.
        others = [str(i.id) for i in images if not request.viewer_id or i.owner_id != request.viewer_id]
        try:
            visible = await self._visibility.visible_to(request.viewer_id, others)
        except DependencyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot check who may see these images ({error})")
        shown = [i for i in images if str(i.id) in visible or (request.viewer_id and i.owner_id == request.viewer_id)]
        return generation_pb2.BatchGetImagesResponse(images=[image_to_proto(i) for i in shown])

    async def DeleteGeneration(
        self, request: generation_pb2.DeleteGenerationRequest, context: grpc.aio.ServicerContext
    ):
        generation_id = parse_uuid(request.generation_id)
        if generation_id is None or not request.actor_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        try:
            deleted = await self._delete(generation_id, request.actor_id, request.undoable)
        except DependencyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot delete right now ({error})")
        if deleted is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        response = generation_pb2.DeleteGenerationResponse(deleted_image_ids=deleted.image_ids)
        if deleted.undo_until is not None:
            response.undo_until.FromDatetime(deleted.undo_until)
        return response

    async def RestoreGeneration(
        self, request: generation_pb2.RestoreGenerationRequest, context: grpc.aio.ServicerContext
    ):
        generation_id = parse_uuid(request.generation_id)
        if generation_id is None or not request.actor_id:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        try:
            restored = await self._delete.restore(generation_id, request.actor_id)
        except DependencyUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"cannot restore right now ({error})")
        if restored is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")
        return generation_pb2.RestoreGenerationResponse(restored_image_ids=restored)

    async def WatchProgress(self, request: generation_pb2.WatchProgressRequest, context: grpc.aio.ServicerContext):
        try:
            async for reply in self._progress.watch(request.generation_id, request.viewer_id):
                yield reply
        except NotTheOwners:
            await context.abort(grpc.StatusCode.NOT_FOUND, "generation not found")

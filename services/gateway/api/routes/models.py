"""Custom models (styles): train one from 5–30 of my images (uploads, or my own creations),
follow its training, list, read and delete mine, share one with a team of mine (`team_id` when
created, or PATCH), and generate with one (`model_id` on POST /api/v1/generations). The generation
service owns them and checks every upload and, with the visibility authority, every use: a model is
its owner's, and its team's current members' while it is shared (never its training images), and
anyone else's id answers the same 404 as a missing one on every route. Paid plans only (the
`custom_models` entitlement): a free plan's refusal names the plan that has it, and nothing is
stored or charged."""

from __future__ import annotations

import asyncio
import io

from fastapi import APIRouter, Request, Response, status
from PIL import Image
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from atelier.generation.v1 import custom_models_pb2 as pb
from glue.ids import canonical_uuid
from services.gateway.api.access import PRIVATE_NO_STORE, OpenApiResponses
from services.gateway.api.model_schemas import ModelCreateFromCreations, ModelList, ModelOut, ModelShare, model_out
from services.gateway.api.schemas import IdempotencyKey
from services.gateway.auth.security import CurrentCaller
from services.gateway.clients.billing import billing_client
from services.gateway.clients.custom_models import MODEL_NOT_FOUND, CustomModelsClient, ModelsRefused
from services.gateway.clients.teams import teams_client
from services.gateway.dependencies import deps_of
from services.gateway.plans import CUSTOM_MODELS, refusal
from services.gateway.problems import Problem, available, uuid_or_404
from services.gateway.request_guard import NOT_TEXT, UNUSABLE_CHARACTERS

router = APIRouter(prefix="/api/v1/models", tags=["custom models"])

NOT_FOUND: OpenApiResponses = {404: {"description": "no such model of yours or your team's"}}
# More files than any model takes are refused before they are read (the service says how many fit).
MAX_FORM_FILES = 40
THUMBNAIL_SIDE = 256


def _client(request: Request) -> CustomModelsClient:
    return available(deps_of(request).custom_models, CustomModelsClient, "Custom models")


def _model_id(model_id: str) -> str:
    return uuid_or_404(model_id, MODEL_NOT_FOUND)


async def _create_request(request: Request, owner_id: str, idempotency_key: str | None) -> pb.CreateCustomModelRequest:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_FORM_FILES, max_fields=10)
        files = [value for value in form.getlist("images") if isinstance(value, UploadFile)]
        uploads = [pb.TrainingUpload(content=await f.read(), filename=f.filename or "") for f in files]
        name = form.get("name")
        if isinstance(name, str) and UNUSABLE_CHARACTERS.search(name):
            raise Problem(422, f"name: {NOT_TEXT}", errors=[{"field": "name", "message": NOT_TEXT}])
        team_id = form.get("team_id")
        return pb.CreateCustomModelRequest(
            owner_id=owner_id,
            name=name if isinstance(name, str) else "",
            uploads=uploads,
            idempotency_key=idempotency_key or "",
            team_id=_team_id(team_id if isinstance(team_id, str) else ""),
        )
    try:
        body = ModelCreateFromCreations.model_validate_json(await request.body())
    except ValidationError as error:
        errors = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in error.errors()]
        raise Problem(
            422,
            "Send multipart/form-data with `name` and `images`, or JSON with `name` and `image_ids`.",
            errors=errors,
        ) from None
    return pb.CreateCustomModelRequest(
        owner_id=owner_id,
        name=body.name,
        image_ids=body.image_ids,
        idempotency_key=idempotency_key or "",
        team_id=str(body.team_id or ""),
    )


def _team_id(value: str) -> str:
    """A form's team_id ("" or blank: none); 422 when it is not a team id."""
    value = value.strip()
    if not value:
        return ""
    canonical = canonical_uuid(value)
    if canonical is None:
        message = "must be a team id"
        raise Problem(422, f"team_id: {message}", errors=[{"field": "team_id", "message": message}])
    return canonical


async def _shown_to(request: Request, viewer_id: str, models: list[pb.CustomModel]) -> list[pb.CustomModel]:
    """Checked again here, as a response that mixed owners would be a leak: the viewer's own, and
    those shared with a team the viewer is a current member of (the generation service decided
    with the authority; this asks the authority too)."""
    if all(m.owner_id == viewer_id for m in models):
        return models
    teams, _ = await teams_client(request).of_user(viewer_id)
    mine = {team.team_id for team in teams if not team.lapsed}
    return [m for m in models if m.owner_id == viewer_id or (m.team_id and m.team_id in mine)]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ModelOut,
    summary="Train a custom model (style) from 5–30 of my images",
    description="multipart/form-data with `name` and 5–30 `images` (PNG, JPEG or WebP by content; each at "
    "most 10 MB and 64–4096 px a side; 50 MB in all), or JSON `{name, image_ids}` naming 5–30 of my own "
    "creations. `team_id` (a form field, or in the JSON) shares it with a team I am a current member of: its "
    "current members list and use it, never see its images. Training runs as a job: follow `events_url`, or "
    "poll GET /api/v1/models/{model_id}.",
    responses={
        402: {"description": "out of credits"},
        403: {"description": "the plan does not include custom models; the detail names the plan that does"},
        404: {"description": "an image id that is not one of mine, or a team I am not a member of"},
        413: {"description": "the upload is larger than the server takes"},
        422: {"description": "invalid input; the detail names the field (`images[3]`, `image_ids`, `name`)"},
        429: {"description": "as many jobs in progress as the plan allows"},
    },
)
async def create_model(
    caller: CurrentCaller, request: Request, response: Response, idempotency_key: IdempotencyKey = None
) -> ModelOut:
    create = await _create_request(request, caller.user_id, idempotency_key)
    try:
        created = await _client(request).create(create)
    except ModelsRefused:
        billing = billing_client(request)
        account = await billing.account(caller.user_id)
        raise Problem(403, refusal(account, CUSTOM_MODELS, await billing.plans_or_empty())) from None
    response.headers["Location"] = f"/api/v1/models/{created.model.model_id}"
    return model_out(created.model, caller.user_id, with_images=True)


@router.get("", response_model=ModelList, summary="My custom models and my teams', newest first")
async def list_models(caller: CurrentCaller, request: Request) -> ModelList:
    models = await _shown_to(request, caller.user_id, await _client(request).list(caller.user_id))
    return ModelList(items=[model_out(m, caller.user_id, with_images=False) for m in models])


@router.get("/{model_id}", response_model=ModelOut, summary="One of my custom models or my team's", responses=NOT_FOUND)
async def get_model(model_id: str, caller: CurrentCaller, request: Request) -> ModelOut:
    model = await _client(request).get(_model_id(model_id), caller.user_id)
    if not await _shown_to(request, caller.user_id, [model]):
        raise Problem(404, MODEL_NOT_FOUND)
    return model_out(model, caller.user_id, with_images=True)


@router.patch(
    "/{model_id}",
    response_model=ModelOut,
    summary="Share my custom model with a team of mine, or take it back (`team_id`: null)",
    description="The team's current members list and use it (never its training images) while I am one of them "
    "and the team has not lapsed. Only the model's owner may share it.",
    responses={
        **NOT_FOUND,
        403: {"description": "a team member's model: only its owner shares it"},
        422: {"description": "team_id is not a team id"},
    },
)
async def share_model(model_id: str, body: ModelShare, caller: CurrentCaller, request: Request) -> ModelOut:
    team_id = str(body.team_id) if body.team_id else ""
    model = await _client(request).share(_model_id(model_id), caller.user_id, team_id)
    return model_out(model, caller.user_id, with_images=True)


@router.get(
    "/{model_id}/images/{index}",
    response_class=Response,
    summary="A thumbnail of one of my custom model's training images (its owner's only)",
    responses={200: {"content": {"image/png": {}}}, **NOT_FOUND},
)
async def training_image(model_id: str, index: int, caller: CurrentCaller, request: Request) -> Response:
    if not 0 <= index < 1000:
        raise Problem(404, MODEL_NOT_FOUND)
    image = await _client(request).training_image(_model_id(model_id), index, caller.user_id)
    thumbnail = await asyncio.to_thread(_thumbnail, image.content)
    return Response(thumbnail, media_type="image/png", headers={"Cache-Control": PRIVATE_NO_STORE})


@router.delete(
    "/{model_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete one of my custom models: its weights and uploaded training images",
    description="Its owner, or an owner or admin of the team it is shared with, may delete it. The creations "
    "picked to train it stay their owner's. Generations still queued with it fail (credits refunded).",
    responses={**NOT_FOUND, 403: {"description": "a plain member of its team: they use it, not delete it"}},
)
async def delete_model(model_id: str, caller: CurrentCaller, request: Request) -> Response:
    await _client(request).delete(_model_id(model_id), caller.user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _thumbnail(content: bytes) -> bytes:
    with Image.open(io.BytesIO(content)) as image:
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="PNG")
    return buffer.getvalue()

"""Custom models as the privacy state machine models them (tests/integration/test_privacy_properties.py):
who may see and use one, what creating one sends, and how each of its read endpoints answers
someone who may not see it.

Written from the API's documentation (services/gateway/README.md, "Custom models"), not from the
service's code. A model is its owner's alone: `may_see` is the one place that says who else may
(a team scope would widen it there, and every probe follows)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import httpx
from PIL import Image

from tests.support.waiting import wait_until

MIN_IMAGES = 5
TRAINING_PRICE = 20  # services/billing/plans.toml, action_prices.train_style
# Training steps of the privacy platform's models: a training takes seconds (the model's default, minutes).
TRAIN_STEPS = "2"
# This platform's procedural txt2img refuses a style's weights in these words (the job fails, its
# credit refunded; tests/integration/test_custom_models_api.py): a generation with a model shows
# who may start one, not what it draws.
NO_STYLES_HERE = "draws no custom styles"
# A model's reads besides the list: its view (which lists its training images) and a thumbnail.
READS = ("", "/images/0")
MISSING_MODEL = "Custom model not found."


@dataclass
class Model:
    owner: int
    token: str  # in its name: never in anyone else's answer
    job_id: str
    picked: list[str] | None  # the creations it was made from (None: uploads)
    status: str = "training"
    deleted: bool = False


def may_see(viewer: int, model: Model) -> bool:
    """Who may list it, read it and its training images: its owner, until they delete it."""
    return viewer == model.owner and not model.deleted


def may_generate_with(viewer: int, model: Model) -> bool:
    return may_see(viewer, model) and model.status == "ready"


def uploads() -> list[tuple[str, tuple[str, bytes, str]]]:
    """Five small PNGs of different colours, as a browser's form sends them."""
    files = []
    for index in range(MIN_IMAGES):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), (50 * index, 120, 200 - 40 * index)).save(buffer, format="PNG")
        files.append(("images", (f"style{index}.png", buffer.getvalue(), "image/png")))
    return files


def create(
    http: httpx.Client, headers: dict[str, str], name: str, image_ids: list[str] | None, key: str | None = None
) -> httpx.Response:
    """From `image_ids` (creations) or, with None, from uploads; `key`: an Idempotency-Key."""
    headers = {**headers, **({"Idempotency-Key": key} if key else {})}
    if image_ids is not None:
        return http.post("/api/v1/models", json={"name": name, "image_ids": image_ids}, headers=headers)
    return http.post("/api/v1/models", data={"name": name}, files=uploads(), headers=headers)


def unknown_model_reads(http: httpx.Client, headers: dict[str, str]) -> dict[str, httpx.Response]:
    """How each model read answers for an id that never existed (the reference 404s; anonymous: 401)."""
    unknown = uuid.uuid4()
    return {path: http.get(f"/api/v1/models/{unknown}{path}", headers=headers) for path in READS}


def wait_trained(http: httpx.Client, headers: dict[str, str], model_id: str) -> dict:
    """The model's view once its training has ended (ready or failed)."""

    def finished() -> dict | None:
        reply = http.get(f"/api/v1/models/{model_id}", headers=headers)
        assert reply.status_code == 200, reply.text
        return reply.json() if reply.json()["status"] != "training" else None

    return wait_until(finished, f"model {model_id} trained", 120, interval=0.2)

"""Magic fill and extend through the public HTTP API on the real platform (gateway, generation API
and worker, billing, visibility; real Postgres, NATS, S3 store, Triton's txt2img model with MASK):
the painted region redrawn and every other pixel kept, the canvas grown with the original at its
offset, lineage and privacy, and refusals (a wrong-size mask, not an image, an extend past the
limit, someone else's image) that charge nothing."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from tests.integration.test_privacy_support import Account, Platform, fingerprint, running_platform

pytestmark = pytest.mark.integration

PROMPT = "a red circle on a white background"


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    with running_platform(postgres_url, object_store, triton_url) as running:
        yield running


def mask_png(width: int, height: int) -> str:
    mask = np.zeros((height, width), np.uint8)
    mask[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = 255
    buffer = io.BytesIO()
    Image.fromarray(mask).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def pixels(platform: Platform, user: Account, image_id: str) -> np.ndarray:
    reply = platform.http.get(f"/api/v1/images/{image_id}/content", params={"format": "png"}, headers=user.headers)
    assert reply.status_code == 200, reply.text
    with Image.open(io.BytesIO(reply.content)) as image:
        return np.asarray(image.convert("RGB"))


def finished(platform: Platform, user: Account, reply) -> dict:
    assert reply.status_code == 202, reply.text
    result = platform.wait(user, reply.json()["generation_id"])
    assert result["status"] == "succeeded", result
    return result


def test_fill_redraws_the_painted_region_keeps_the_rest_and_refusals_charge_nothing(platform: Platform) -> None:
    alice = platform.sign_up("alice")
    platform.change_plan(alice, "basic")  # full-quality PNG downloads, to compare pixels exactly
    [source] = platform.generate(alice, PROMPT)["images"]
    before = pixels(platform, alice, source["image_id"])
    url = f"/api/v1/images/{source['image_id']}/fill"
    credits = platform.me(alice)["credits"]

    wrong_size = platform.http.post(
        url, json={"prompt": "a blue square", "mask": mask_png(64, 64)}, headers=alice.headers
    )
    not_an_image = platform.http.post(url, json={"prompt": "a blue square", "mask": "aGVsbG8="}, headers=alice.headers)
    bob = platform.sign_up("bob")
    others = platform.http.post(url, json={"prompt": "x", "mask": mask_png(512, 512)}, headers=bob.headers)
    unknown = platform.http.post(
        f"/api/v1/images/{uuid.uuid4()}/fill", json={"prompt": "x", "mask": mask_png(512, 512)}, headers=bob.headers
    )

    assert wrong_size.status_code == 422 and wrong_size.headers["content-type"] == "application/problem+json"
    assert "it must be the image's size, 512x512" in wrong_size.json()["detail"]
    assert not_an_image.status_code == 422 and "is not an image" in not_an_image.json()["detail"]
    assert others.status_code == unknown.status_code == 404 and fingerprint(others) == fingerprint(unknown)
    assert platform.me(alice)["credits"] == credits

    result = finished(
        platform,
        alice,
        platform.http.post(url, json={"prompt": "a blue square", "mask": mask_png(512, 512)}, headers=alice.headers),
    )

    [image] = result["images"]
    after = pixels(platform, alice, image["image_id"])
    outside = np.ones((512, 512), bool)
    outside[128:384, 128:384] = False
    assert after.shape == before.shape == (512, 512, 3)
    assert np.abs(after[outside].astype(int) - before[outside]).mean() == 0
    assert np.abs(after[~outside].astype(int) - before[~outside]).mean() > 10
    assert result["params"]["kind"] == "fill" and result["prompt"] == "a blue square"
    assert result["progress"]["step"] == result["progress"]["total"]
    assert platform.me(alice)["credits"] == credits - 1
    detail = platform.http.get(f"/api/v1/images/{image['image_id']}", headers=alice.headers).json()
    assert detail["remixed_from"] == {
        "image_id": source["image_id"],
        "url": f"/api/v1/images/{source['image_id']}/content",
        "by": "fill",
    }


def test_extend_grows_the_canvas_with_the_original_at_its_offset_and_refuses_past_the_limit(
    platform: Platform,
) -> None:
    carol = platform.sign_up("carol")  # the free plan: canvas actions are on every plan
    [source] = platform.generate(carol, PROMPT)["images"]
    before = pixels(platform, carol, source["image_id"])
    url = f"/api/v1/images/{source['image_id']}/extend"
    credits = platform.me(carol)["credits"]

    too_far = platform.http.post(url, json={"direction": "left", "pixels": 520}, headers=carol.headers)
    assert too_far.status_code == 422 and "beyond the limit" in too_far.json()["detail"]
    assert platform.me(carol)["credits"] == credits

    result = finished(
        platform, carol, platform.http.post(url, json={"direction": "left", "pixels": 256}, headers=carol.headers)
    )

    [image] = result["images"]
    assert (image["width"], image["height"]) == (768, 512)
    after = pixels(platform, carol, image["image_id"])
    # The free plan downloads a slightly compressed JPG: near, not exact (the exact check is fill's).
    assert np.abs(after[:, 256:].astype(int) - before).mean() < 2
    assert result["params"]["kind"] == "extend" and result["prompt"] == PROMPT
    assert platform.me(carol)["credits"] == credits - 1

"""The image actions through the public HTTP API on the real platform (gateway, generation API and
worker, billing, visibility, feed; real Postgres, NATS, S3 store, Triton's models), one platform for
all (starting one is the costly part): upscale (exactly 2x the pixels), remove background (alpha 0
where the background was, the object's pixels kept), magic fill (the painted region redrawn, every
other pixel kept), extend (the original at its offset) and replace background (the object's pixels
kept exactly, the rest redrawn), each watched like a generation, with
lineage to the source, privacy inherited and refusals that charge nothing."""

from __future__ import annotations

import base64
import io
import uuid

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from tritonclient.grpc import InferenceServerClient, InferInput

from segmenter.evaluate import colour_distance_mask
from tests.integration.test_privacy_support import (
    ANONYMOUS,
    Account,
    Platform,
    assert_hidden,
    fingerprint,
    missing_image_answers,
)

pytestmark = pytest.mark.integration

PROMPT = "a red circle on a blue background"


@pytest.fixture(scope="module")
def platform(shared_platform: Platform) -> Platform:
    return shared_platform


def act(platform: Platform, user: Account, image_id: str, action: str) -> dict:
    """POST /api/v1/images/{image_id}/{action}, accepted and watched to success."""
    reply = platform.http.post(f"/api/v1/images/{image_id}/{action}", headers=user.headers)
    assert reply.status_code == 202, reply.text
    assert reply.headers["location"] == f"/api/v1/generations/{reply.json()['generation_id']}"
    result = platform.wait(user, reply.json()["generation_id"])
    assert result["status"] == "succeeded", result
    return result


def upscale(platform: Platform, user: Account, image_id: str) -> dict:
    return act(platform, user, image_id, "upscale")


def png_size(platform: Platform, user: Account, image_id: str) -> tuple[int, int]:
    reply = platform.http.get(f"/api/v1/images/{image_id}/content", params={"format": "png"}, headers=user.headers)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(reply.content)) as image:
        return image.size


def test_an_upscale_is_exactly_twice_the_pixels_with_its_lineage_for_one_credit(platform: Platform) -> None:
    alice = platform.sign_up("alice")
    platform.change_plan(alice, "basic")
    [source] = platform.generate(alice, PROMPT)["images"]
    credits = platform.me(alice)["credits"]

    result = upscale(platform, alice, source["image_id"])

    [image] = result["images"]
    assert (image["width"], image["height"]) == (2 * source["width"], 2 * source["height"]) == (1024, 1024)
    assert png_size(platform, alice, image["image_id"]) == (1024, 1024)
    assert result["params"]["kind"] == "upscale"
    assert result["params"]["source_image_id"] == source["image_id"]
    assert result["prompt"] == PROMPT and result["progress"] == {"step": 1, "total": 1}
    assert image["visibility"] == "public"
    assert platform.me(alice)["credits"] == credits - 1
    detail = platform.http.get(f"/api/v1/images/{image['image_id']}", headers=alice.headers).json()
    assert detail["remixed_from"]["image_id"] == source["image_id"] and detail["remixed_from"]["by"] == "upscale"
    # The result lands among the creations with the others.
    assert image["image_id"] in {item["image_id"] for item in platform.creations(alice)}


def test_an_upscale_of_a_private_image_is_private(platform: Platform) -> None:
    carol = platform.sign_up("carol")
    platform.change_plan(carol, "plus")
    token = f"s{uuid.uuid4().hex[:12]}"
    [source] = platform.generate(carol, f"{PROMPT} {token}", "private")["images"]

    result = upscale(platform, carol, source["image_id"])

    assert result["visibility"] == "private"
    [image] = result["images"]
    assert image["visibility"] == "private"
    for headers in (platform.sign_up("mallory").headers, ANONYMOUS):
        assert_hidden(platform, image["image_id"], headers, token, missing_image_answers(platform, headers))


def test_refusals_say_why_and_charge_nothing(platform: Platform) -> None:
    free = platform.sign_up("free")
    [own] = platform.generate(free, PROMPT)["images"]
    credits = platform.me(free)["credits"]
    refused = platform.http.post(f"/api/v1/images/{own['image_id']}/upscale", headers=free.headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "Upscaling needs the Basic plan or higher."
    assert platform.me(free)["permissions"]["upscale"] == {
        "allowed": False,
        "reason": "Upscaling needs the Basic plan or higher.",
    }
    assert platform.me(free)["credits"] == credits

    # Someone else's image, public or not, answers exactly as an image that does not exist.
    bob = platform.sign_up("bob")
    platform.change_plan(bob, "basic")
    bob_credits = platform.me(bob)["credits"]
    unknown = platform.http.post(f"/api/v1/images/{uuid.uuid4()}/upscale", headers=bob.headers)
    others = platform.http.post(f"/api/v1/images/{own['image_id']}/upscale", headers=bob.headers)
    assert unknown.status_code == others.status_code == 404
    assert fingerprint(others) == fingerprint(unknown)
    assert platform.http.post(f"/api/v1/images/{own['image_id']}/upscale").status_code == 401
    assert platform.me(bob)["credits"] == bob_credits


def test_an_upscale_past_1024_px_a_side_is_422_and_charges_nothing(platform: Platform) -> None:
    dave = platform.sign_up("dave")
    platform.change_plan(dave, "basic")
    [source] = platform.generate(dave, PROMPT)["images"]
    [twice] = upscale(platform, dave, upscale(platform, dave, source["image_id"])["images"][0]["image_id"])["images"]
    assert (twice["width"], twice["height"]) == (2048, 2048)
    credits = platform.me(dave)["credits"]

    refused = platform.http.post(f"/api/v1/images/{twice['image_id']}/upscale", headers=dave.headers)

    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "source_image_id: the image is 2048x2048 px; upscaling takes images of at most 1024 px a side"
        " (an upscale of an upscale past that is refused)"
    )
    assert platform.me(dave)["credits"] == credits


# Remove background

CUT_OUT_PROMPT = "a large red circle on a blue background"


def remove_background(platform: Platform, user: Account, image_id: str) -> dict:
    return act(platform, user, image_id, "remove-background")


def png(platform: Platform, user: Account, image_id: str) -> Image.Image:
    reply = platform.http.get(f"/api/v1/images/{image_id}/content", params={"format": "png"}, headers=user.headers)
    assert reply.status_code == 200 and reply.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(reply.content))
    image.load()
    return image


def test_the_background_becomes_transparent_and_the_object_is_kept_for_one_credit(platform: Platform) -> None:
    alice = platform.sign_up("alice")
    platform.change_plan(alice, "basic")
    [source] = platform.generate(alice, CUT_OUT_PROMPT)["images"]
    credits = platform.me(alice)["credits"]

    result = remove_background(platform, alice, source["image_id"])

    [image] = result["images"]
    assert (image["width"], image["height"]) == (source["width"], source["height"])
    original = np.asarray(png(platform, alice, source["image_id"]).convert("RGB"))
    cut_out = png(platform, alice, image["image_id"])
    assert cut_out.mode == "RGBA"
    pixels = np.asarray(cut_out)
    # Away from the edge (a few px either side), the evaluator's reading of the source is the truth.
    foreground = colour_distance_mask(original)
    inside = ndimage.binary_erosion(foreground, iterations=6)
    outside = ~ndimage.binary_dilation(foreground, iterations=6)
    assert inside.sum() > 5000 and outside.sum() > 5000
    assert np.mean(pixels[..., 3][outside] == 0) > 0.98
    assert np.mean(pixels[..., 3][inside] == 255) > 0.98
    assert np.array_equal(pixels[..., :3][inside], original[inside])
    assert result["params"]["kind"] == "remove_background"
    assert result["params"]["source_image_id"] == source["image_id"]
    assert image["visibility"] == "public"
    assert platform.me(alice)["credits"] == credits - 1
    detail = platform.http.get(f"/api/v1/images/{image['image_id']}", headers=alice.headers).json()
    assert detail["remixed_from"]["image_id"] == source["image_id"]
    assert detail["remixed_from"]["by"] == "remove_background"
    assert image["image_id"] in {item["image_id"] for item in platform.creations(alice)}


def test_a_cut_out_of_a_private_image_is_private(platform: Platform) -> None:
    carol = platform.sign_up("carol")
    platform.change_plan(carol, "plus")
    token = f"s{uuid.uuid4().hex[:12]}"
    [source] = platform.generate(carol, f"{CUT_OUT_PROMPT} {token}", "private")["images"]

    result = remove_background(platform, carol, source["image_id"])

    [image] = result["images"]
    assert result["visibility"] == image["visibility"] == "private"
    for headers in (platform.sign_up("mallory").headers, ANONYMOUS):
        assert_hidden(platform, image["image_id"], headers, token, missing_image_answers(platform, headers))


def test_remove_background_refusals_say_why_and_charge_nothing(platform: Platform) -> None:
    free = platform.sign_up("free")
    [own] = platform.generate(free, CUT_OUT_PROMPT)["images"]
    credits = platform.me(free)["credits"]
    refused = platform.http.post(f"/api/v1/images/{own['image_id']}/remove-background", headers=free.headers)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "Editing needs the Basic plan or higher."
    assert platform.me(free)["credits"] == credits

    # Someone else's image, public or not, answers exactly as an image that does not exist.
    bob = platform.sign_up("bob")
    platform.change_plan(bob, "basic")
    bob_credits = platform.me(bob)["credits"]
    unknown = platform.http.post(f"/api/v1/images/{uuid.uuid4()}/remove-background", headers=bob.headers)
    others = platform.http.post(f"/api/v1/images/{own['image_id']}/remove-background", headers=bob.headers)
    assert unknown.status_code == others.status_code == 404
    assert fingerprint(others) == fingerprint(unknown)
    assert platform.http.post(f"/api/v1/images/{own['image_id']}/remove-background").status_code == 401
    assert platform.me(bob)["credits"] == bob_credits


# Canvas actions: magic fill and extend (Triton's txt2img model with INIT_IMAGE and MASK).
CANVAS_PROMPT = "a red circle on a white background"


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


def test_fill_redraws_the_painted_region_keeps_the_rest_privately_and_refusals_charge_nothing(
    platform: Platform,
) -> None:
    alice = platform.sign_up("filler")
    platform.change_plan(alice, "plus")  # a private source, and full-quality PNGs to compare pixels exactly
    [source] = platform.generate(alice, CANVAS_PROMPT, "private")["images"]
    before = pixels(platform, alice, source["image_id"])
    url = f"/api/v1/images/{source['image_id']}/fill"
    credits = platform.me(alice)["credits"]

    wrong_size = platform.http.post(
        url, json={"prompt": "a blue square", "mask": mask_png(64, 64)}, headers=alice.headers
    )
    not_an_image = platform.http.post(url, json={"prompt": "a blue square", "mask": "aGVsbG8="}, headers=alice.headers)
    bob = platform.sign_up("other")
    others = platform.http.post(url, json={"prompt": "x", "mask": mask_png(512, 512)}, headers=bob.headers)
    unknown = platform.http.post(
        f"/api/v1/images/{uuid.uuid4()}/fill", json={"prompt": "x", "mask": mask_png(512, 512)}, headers=bob.headers
    )

    assert wrong_size.status_code == 422 and wrong_size.headers["content-type"] == "application/problem+json"
    assert "it must be the image's size, 512x512" in wrong_size.json()["detail"]
    assert not_an_image.status_code == 422 and "is not an image" in not_an_image.json()["detail"]
    assert others.status_code == unknown.status_code == 404 and fingerprint(others) == fingerprint(unknown)
    assert platform.me(alice)["credits"] == credits

    token = f"s{uuid.uuid4().hex[:12]}"
    fill_prompt = f"a blue square {token}"
    result = finished(
        platform,
        alice,
        platform.http.post(url, json={"prompt": fill_prompt, "mask": mask_png(512, 512)}, headers=alice.headers),
    )

    [image] = result["images"]
    after = pixels(platform, alice, image["image_id"])
    outside = np.ones((512, 512), bool)
    outside[128:384, 128:384] = False
    assert after.shape == before.shape == (512, 512, 3)
    assert np.abs(after[outside].astype(int) - before[outside]).mean() == 0
    assert np.abs(after[~outside].astype(int) - before[~outside]).mean() > 10
    assert result["params"]["kind"] == "fill" and result["prompt"] == fill_prompt
    # A derivative of a private image is private: others see nothing of it.
    assert result["visibility"] == image["visibility"] == "private"
    for headers in (bob.headers, ANONYMOUS):
        assert_hidden(platform, image["image_id"], headers, token, missing_image_answers(platform, headers))
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
    carol = platform.sign_up("extender")  # the free plan: canvas actions are on every plan
    [source] = platform.generate(carol, CANVAS_PROMPT)["images"]
    before = pixels(platform, carol, source["image_id"])
    url = f"/api/v1/images/{source['image_id']}/extend"
    credits = platform.me(carol)["credits"]

    too_far = platform.http.post(url, json={"direction": "left", "pixels": 520}, headers=carol.headers)
    assert too_far.status_code == 422 and "beyond the limit" in too_far.json()["detail"]
    # Far past any canvas (and past the wire's 32-bit field): a 422 in words, not a server error.
    huge = platform.http.post(url, json={"direction": "left", "pixels": 2**40}, headers=carol.headers)
    assert huge.status_code == 422 and "pixels" in huge.text, huge.text
    assert platform.me(carol)["credits"] == credits

    result = finished(
        platform, carol, platform.http.post(url, json={"direction": "left", "pixels": 256}, headers=carol.headers)
    )

    [image] = result["images"]
    assert (image["width"], image["height"]) == (768, 512)
    after = pixels(platform, carol, image["image_id"])
    # The free plan downloads a slightly compressed JPG: near, not exact (the exact check is fill's).
    assert np.abs(after[:, 256:].astype(int) - before).mean() < 2
    assert result["params"]["kind"] == "extend" and result["prompt"] == CANVAS_PROMPT
    assert platform.me(carol)["credits"] == credits - 1


# Replace background: remove background's cut-out, then magic fill's masked diffusion around the object.
REPLACE_PROMPT = "a white background"


def cut_out_alpha(triton_url: str, image: np.ndarray) -> np.ndarray:
    """The `background` model's alpha for these pixels, asked of Triton directly (as the job does)."""
    client = InferenceServerClient(triton_url)
    try:
        tensor = InferInput("IMAGE", list(image.shape), "UINT8")
        tensor.set_data_from_numpy(np.ascontiguousarray(image))
        output = client.infer("background", [tensor]).as_numpy("IMAGE")
    finally:
        client.close()
    assert output is not None and output.shape == (*image.shape[:2], 4)
    return output[..., 3]


def test_replace_background_keeps_the_object_exactly_redraws_the_rest_and_refusals_charge_nothing(
    platform: Platform, triton_url: str
) -> None:
    alice = platform.sign_up("replacer")
    platform.change_plan(alice, "plus")  # a private source, and full-quality PNGs to compare pixels exactly
    [source] = platform.generate(alice, CUT_OUT_PROMPT, "private")["images"]
    before = pixels(platform, alice, source["image_id"])
    url = f"/api/v1/images/{source['image_id']}/replace-background"
    credits = platform.me(alice)["credits"]

    empty = platform.http.post(url, json={"prompt": ""}, headers=alice.headers)
    blank = platform.http.post(url, json={"prompt": "   "}, headers=alice.headers)
    free = platform.sign_up("free_replacer")
    [free_own] = platform.generate(free, CUT_OUT_PROMPT)["images"]
    free_credits = platform.me(free)["credits"]
    refused = platform.http.post(
        f"/api/v1/images/{free_own['image_id']}/replace-background", json={"prompt": "x"}, headers=free.headers
    )

    assert empty.status_code == blank.status_code == 422
    assert blank.headers["content-type"] == "application/problem+json"
    assert "prompt: must not be empty" in blank.json()["detail"]
    assert refused.status_code == 403 and refused.json()["detail"] == "Editing needs the Basic plan or higher."
    assert platform.me(free)["credits"] == free_credits
    assert platform.me(alice)["credits"] == credits

    token = f"s{uuid.uuid4().hex[:12]}"
    prompt = f"{REPLACE_PROMPT} {token}"
    result = finished(platform, alice, platform.http.post(url, json={"prompt": prompt}, headers=alice.headers))

    [image] = result["images"]
    after = pixels(platform, alice, image["image_id"])
    alpha = cut_out_alpha(triton_url, before)
    kept, background = alpha == 255, alpha == 0
    assert kept.sum() > 5000 and background.sum() > 5000
    assert after.shape == before.shape and np.array_equal(after[kept], before[kept])
    assert np.abs(after[background].astype(int) - before[background]).mean() > 10
    assert result["params"]["kind"] == "replace_background" and result["prompt"] == prompt
    # A derivative of a private image is private: others see nothing of it.
    assert result["visibility"] == image["visibility"] == "private"
    for headers in (free.headers, ANONYMOUS):
        assert_hidden(platform, image["image_id"], headers, token, missing_image_answers(platform, headers))
    assert platform.me(alice)["credits"] == credits - 1
    detail = platform.http.get(f"/api/v1/images/{image['image_id']}", headers=alice.headers).json()
    assert detail["remixed_from"]["image_id"] == source["image_id"]
    assert detail["remixed_from"]["by"] == "replace_background"

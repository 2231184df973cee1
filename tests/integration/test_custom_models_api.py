"""Private custom models through the public HTTP API on the real platform (gateway, generation API
and worker, billing, visibility; real Postgres, NATS, S3 store): every refusal names its field and
stores and charges nothing; a model and its training images are their owner's alone (anyone else
gets the 404 of a missing one, on every route and as a generation's model_id); deleting one removes
its uploads (never the creations it was picked from), and its queued training fails with the
credits refunded. A model shared with a team is its current members' to list and use (never its
training images) and nobody else's: a removed member loses it at once, their queued generation with
it fails refunded, and it is its owner's only again when the team lapses."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from services.generation.inference import CUSTOM_MODEL_GONE_MESSAGE
from tests.integration.test_privacy_support import Account, Platform, fingerprint, running_platform
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

TRAINING_PRICE = 20  # services/billing/plans.toml, action_prices.train_style


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    overrides = {"ATELIER_CUSTOM_MODEL_TRAIN_STEPS": "4", "ATELIER_TRITON_OUTAGE_LIMIT_S": "5"}
    with running_platform(postgres_url, object_store, triton_url, **overrides) as running:
        yield running


def png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 64), kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=kind)
    return buffer.getvalue()


def upload(platform: Platform, user: Account, name: str, images: list[bytes], team_id: str = "") -> httpx.Response:
    files = [("images", (f"style{i}.png", content, "image/png")) for i, content in enumerate(images)]
    data = {"name": name, **({"team_id": team_id} if team_id else {})}
    return platform.http.post("/api/v1/models", data=data, files=files, headers=user.headers)


def five() -> list[bytes]:
    return [png((40 * i, 90, 200 - 30 * i)) for i in range(5)]


def stored_keys(object_store) -> set[str]:
    return {o.object_name for o in object_store.client().list_objects(object_store.bucket, recursive=True)}


def test_refusals_name_the_field_and_store_and_charge_nothing(platform: Platform, object_store) -> None:
    alice = platform.sign_up("alice")
    platform.change_plan(alice, "basic")
    bob = platform.sign_up("bob")
    bobs = [
        image["image_id"]
        for image in platform.generate(bob, "a red circle on a blue background", num_images=5)["images"]
    ]
    credits, keys = platform.me(alice)["credits"], stored_keys(object_store)

    too_few = upload(platform, alice, "few", five()[:4])
    gif = upload(platform, alice, "gif", [*five()[:3], png((1, 2, 3), kind="GIF"), five()[4]])
    tiny = upload(platform, alice, "tiny", [five()[0], png((9, 9, 9), (40, 64)), *five()[2:]])
    not_an_image = upload(platform, alice, "text", [*five()[:4], b"just words, named .png"])
    nameless = upload(platform, alice, "  ", five())
    mixed = platform.http.post("/api/v1/models", json={"name": "x", "image_ids": "nope"}, headers=alice.headers)

    def field_of(reply: httpx.Response) -> str:
        assert reply.status_code == 422, reply.text
        assert reply.headers["content-type"].startswith("application/problem+json")
        return reply.json()["errors"][0]["field"]

    assert field_of(too_few) == "images" and "5 to 30 images (got 4)" in too_few.json()["detail"]
    assert field_of(gif) == "images[3]" and "GIF" in gif.json()["detail"]
    assert field_of(tiny) == "images[1]" and "40x64 px" in tiny.json()["detail"]
    assert field_of(not_an_image) == "images[4]"
    assert field_of(nameless) == "name"
    assert mixed.status_code == 422
    # Someone else's creations are as missing as ids that never existed (public or not).
    others = platform.http.post("/api/v1/models", json={"name": "theirs", "image_ids": bobs}, headers=alice.headers)
    missing = [str(uuid.uuid4()) for _ in range(5)]
    unknown = platform.http.post("/api/v1/models", json={"name": "none", "image_ids": missing}, headers=alice.headers)
    assert unknown.status_code == 404 and fingerprint(others) == fingerprint(unknown)
    # The free plan: refused in words that name the plan that has custom models.
    carol = platform.sign_up("carol")
    free = upload(platform, carol, "mine", five())
    assert free.status_code == 403 and "Custom models need the Basic plan or higher" in free.json()["detail"]

    assert platform.me(alice)["credits"] == credits and platform.me(carol)["credits"] == 25
    assert stored_keys(object_store) == keys
    for user in (alice, carol):
        listed = platform.http.get("/api/v1/models", headers=user.headers)
        assert listed.status_code == 200 and listed.json()["items"] == []


def test_a_model_is_its_owners_alone_and_deleting_it_removes_its_uploads(platform: Platform, object_store) -> None:
    dana = platform.sign_up("dana")
    platform.change_plan(dana, "basic")
    picked = platform.generate(dana, "a green square on a white background", num_images=5)["images"]
    credits, keys = platform.me(dana)["credits"], stored_keys(object_store)
    platform.stack.stop("generation-worker")  # the trainings stay queued until the models are deleted
    try:
        created = upload(platform, dana, "My  blues", five())
        from_creations = platform.http.post(
            "/api/v1/models",
            json={"name": "squares", "image_ids": [i["image_id"] for i in picked]},
            headers=dana.headers,
        )
        assert created.status_code == 202, created.text
        assert from_creations.status_code == 202, from_creations.text
        model, squares = created.json(), from_creations.json()
        assert (model["name"], model["status"], model["image_count"]) == ("My blues", "training", 5)
        assert created.headers["location"] == f"/api/v1/models/{model['model_id']}"
        assert model["events_url"] == f"/api/v1/generations/{model['job_id']}/events"
        assert {i["caption"] for i in squares["images"]} == {"a green square on a white background"}
        assert platform.me(dana)["credits"] == credits - 2 * TRAINING_PRICE  # reserved
        uploads = stored_keys(object_store) - keys
        assert len(uploads) == 5 and all("/training/" in key for key in uploads)  # the picked ones are not copied

        own = platform.http.get(f"/api/v1/models/{model['model_id']}", headers=dana.headers)
        assert own.status_code == 200 and [i["index"] for i in own.json()["images"]] == [0, 1, 2, 3, 4]
        thumb = platform.http.get(own.json()["images"][0]["url"], headers=dana.headers)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
        assert thumb.headers["cache-control"] == "private, no-store"
        listed = platform.http.get("/api/v1/models", headers=dana.headers).json()["items"]
        assert {(m["model_id"], m["image_count"]) for m in listed} == {(model["model_id"], 5), (squares["model_id"], 5)}
        jobs = platform.http.get("/api/v1/generations", headers=dana.headers).json()["items"]
        assert model["job_id"] not in {g["generation_id"] for g in jobs}  # a training is not a creation

        # Anyone else: the 404 of a missing model, on every route and as a generation's model_id.
        eve = platform.sign_up("eve")
        platform.change_plan(eve, "basic")
        nobody = str(uuid.uuid4())
        for path in ("", "/images/0"):
            theirs = platform.http.get(f"/api/v1/models/{model['model_id']}{path}", headers=eve.headers)
            unknown = platform.http.get(f"/api/v1/models/{nobody}{path}", headers=eve.headers)
            assert theirs.status_code == 404 and fingerprint(theirs) == fingerprint(unknown)
            assert platform.http.get(f"/api/v1/models/{model['model_id']}{path}").status_code == 401
        deleted_by_eve = platform.http.delete(f"/api/v1/models/{model['model_id']}", headers=eve.headers)
        assert fingerprint(deleted_by_eve) == fingerprint(
            platform.http.delete(f"/api/v1/models/{nobody}", headers=eve.headers)
        )
        eve_credits = platform.me(eve)["credits"]
        for model_id in (model["model_id"], nobody):
            body = {"prompt": "a circle", "num_images": 1, "model_id": model_id}
            refused = platform.http.post("/api/v1/generations", json=body, headers=eve.headers)
            assert refused.status_code == 404 and refused.json()["detail"] == "Custom model not found.", refused.text
        assert platform.me(eve)["credits"] == eve_credits
        # Not trained yet: not usable by its owner either.
        untrained = {"prompt": "a circle", "num_images": 1, "model_id": model["model_id"]}
        assert platform.http.post("/api/v1/generations", json=untrained, headers=dana.headers).status_code == 404

        for each in (model, squares):
            reply = platform.http.delete(f"/api/v1/models/{each['model_id']}", headers=dana.headers)
            assert reply.status_code == 204, reply.text
        assert platform.http.get(f"/api/v1/models/{model['model_id']}", headers=dana.headers).status_code == 404
        assert platform.http.get("/api/v1/models", headers=dana.headers).json()["items"] == []
        assert stored_keys(object_store) == keys  # the uploads are gone; the picked creations stay
        for image in picked:
            assert platform.http.get(f"/api/v1/images/{image['image_id']}", headers=dana.headers).status_code == 200
    finally:
        platform.stack.start_worker()

    # The queued trainings find their models gone: failed in those words, the credits refunded.
    for each in (model, squares):
        job = platform.wait(dana, each["job_id"])
        assert job["status"] == "failed" and job["error"] == CUSTOM_MODEL_GONE_MESSAGE, job
    wait_until(lambda: platform.me(dana)["credits"] == credits, "the trainings' credits refunded", 30, interval=0.2)


def progress_events(platform: Platform, user: Account, events_url: str) -> list[tuple[str, dict]]:
    """The training job's event stream until it ends: (event, data) pairs."""
    seen: list[tuple[str, dict]] = []
    with platform.http.stream("GET", events_url, headers=user.headers, timeout=180) as stream:
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                seen.append((event, json.loads(line.removeprefix("data: "))))
                if event in ("completed", "failed"):
                    return seen
    return seen


def test_a_trained_style_reaches_the_model_for_its_owner_only_and_a_deleted_one_fails_the_job_refunded(
    platform: Platform,
) -> None:
    fay = platform.sign_up("fay")
    platform.change_plan(fay, "basic")
    picked = platform.generate(fay, "a blue circle on a white background", num_images=5)["images"]
    credits = platform.me(fay)["credits"]
    # Picked creations bring their prompts as captions (uploads are captioned by the model itself).
    body = {"name": "blues", "image_ids": [image["image_id"] for image in picked]}
    created = platform.http.post("/api/v1/models", json=body, headers=fay.headers)
    assert created.status_code == 202, created.text
    model = created.json()

    events = progress_events(platform, fay, model["events_url"])

    assert events[-1][0] == "completed", events[-1]
    steps = [data["step"] for event, data in events if event == "progress"]
    assert steps and steps == sorted(steps) and max(steps) <= 4, events  # ATELIER_CUSTOM_MODEL_TRAIN_STEPS
    ready = platform.http.get(f"/api/v1/models/{model['model_id']}", headers=fay.headers).json()
    assert ready["status"] == "ready" and ready["progress"]["step"] == ready["progress"]["total"], ready
    assert platform.me(fay)["credits"] == credits - TRAINING_PRICE  # charged once

    body = {"prompt": "a red circle on a white background", "num_images": 1, "steps": 2, "model_id": model["model_id"]}
    made = platform.http.post("/api/v1/generations", json=body, headers=fay.headers)
    assert made.status_code == 202, made.text
    generation = platform.wait(fay, made.json()["generation_id"])
    # The worker sent the style's weights to txt2img: this platform's procedural stand-in refuses
    # them in its own words (tiny-diffusion draws them: tests/integration/test_style_train_model.py),
    # and the credit comes back.
    assert generation["status"] == "failed" and "draws no custom styles" in generation["error"], generation
    assert generation["params"]["model_id"] == model["model_id"]  # shown to its owner
    trained = credits - TRAINING_PRICE
    wait_until(lambda: platform.me(fay)["credits"] == trained, "the refused generation refunded", 30, interval=0.2)
    gus = platform.sign_up("gus")
    theirs = platform.http.post("/api/v1/generations", json=body, headers=gus.headers)
    missing = platform.http.post(
        "/api/v1/generations", json={**body, "model_id": str(uuid.uuid4())}, headers=gus.headers
    )
    assert theirs.status_code == 404 and fingerprint(theirs) == fingerprint(missing)
    assert (
        platform.http.get(f"/api/v1/generations/{generation['generation_id']}", headers=gus.headers).status_code == 404
    )
    platform.stack.stop("generation-worker")
    try:
        queued = platform.http.post("/api/v1/generations", json=body, headers=fay.headers)
        assert queued.status_code == 202, queued.text
        assert platform.me(fay)["credits"] == trained - 1  # reserved
        assert platform.http.delete(f"/api/v1/models/{model['model_id']}", headers=fay.headers).status_code == 204
    finally:
        platform.stack.start_worker()
    failed = platform.wait(fay, queued.json()["generation_id"])
    assert failed["status"] == "failed" and failed["error"] == CUSTOM_MODEL_GONE_MESSAGE, failed
    wait_until(lambda: platform.me(fay)["credits"] == trained, "the generation's credit refunded", 30, interval=0.2)


def test_a_team_model_is_its_current_members_and_a_removed_members_queued_generation_fails_refunded(
    platform: Platform,
) -> None:
    olga, max_, ned, eve = (platform.sign_up(name) for name in ("olga", "max", "ned", "eve"))
    platform.change_plan(olga, "team")
    platform.change_plan(eve, "basic")
    team_id = platform.create_team(olga)
    platform.join(olga, team_id, max_)
    platform.join(olga, team_id, ned)
    admin = {"role": "admin"}
    assert platform.http.patch(
        f"/api/v1/teams/{team_id}/members/{ned.user_id}", json=admin, headers=olga.headers
    ).is_success
    # Only a current member may share with a team: anyone else's team is as missing as none.
    outsider = upload(platform, eve, "not mine", five(), team_id=team_id)
    assert outsider.status_code == 404 and outsider.json()["detail"] == "Team not found.", outsider.text
    created = upload(platform, olga, "crew style", five(), team_id=team_id)
    assert created.status_code == 202, created.text
    model = created.json()
    assert (model["team_id"], model["mine"]) == (team_id, True)
    assert progress_events(platform, olga, model["events_url"])[-1][0] == "completed"
    model_url, nobody = f"/api/v1/models/{model['model_id']}", f"/api/v1/models/{uuid.uuid4()}"

    # A member lists it and sees its status and how many images trained it, never the images.
    listed = platform.http.get("/api/v1/models", headers=max_.headers).json()["items"]
    assert [(m["model_id"], m["mine"], m["image_count"], m["images"]) for m in listed] == [
        (model["model_id"], False, 5, [])
    ]
    seen = platform.http.get(model_url, headers=max_.headers)
    assert seen.status_code == 200 and seen.json()["status"] == "ready" and seen.json()["images"] == [], seen.text
    theirs, missing = (platform.http.get(f"{url}/images/0", headers=max_.headers) for url in (model_url, nobody))
    assert theirs.status_code == 404 and fingerprint(theirs) == fingerprint(missing)
    # A plain member uses it; only its owner (or the team's owners and admins) deletes or shares it.
    assert platform.http.delete(model_url, headers=max_.headers).status_code == 403
    assert platform.http.patch(model_url, json={"team_id": None}, headers=max_.headers).status_code == 403
    # Anyone else: the 404 of a missing model, on every route and as a generation's model_id.
    for path in ("", "/images/0"):
        outside = platform.http.get(f"{model_url}{path}", headers=eve.headers)
        assert outside.status_code == 404 and fingerprint(outside) == fingerprint(
            platform.http.get(f"{nobody}{path}", headers=eve.headers)
        )
    assert platform.http.get("/api/v1/models", headers=eve.headers).json()["items"] == []
    body = {"prompt": "a red circle on a white background", "num_images": 1, "steps": 2, "model_id": model["model_id"]}
    refused, unknown = (
        platform.http.post("/api/v1/generations", json={**body, "model_id": m}, headers=eve.headers)
        for m in (model["model_id"], str(uuid.uuid4()))
    )
    assert refused.status_code == 404 and fingerprint(refused) == fingerprint(unknown)

    # A member's generation gets the style (the stand-in refuses it in its own words), refunded.
    credits = platform.me(max_)["credits"]
    made = platform.http.post("/api/v1/generations", json=body, headers=max_.headers)
    assert made.status_code == 202, made.text
    used = platform.wait(max_, made.json()["generation_id"])
    assert used["status"] == "failed" and "draws no custom styles" in used["error"], used
    wait_until(lambda: platform.me(max_)["credits"] == credits, "the member's generation refunded", 30, interval=0.2)

    # Removed with a generation queued: at once a 404 as anyone else's, and the queued job fails refunded.
    platform.stack.stop("generation-worker")
    try:
        queued = platform.http.post("/api/v1/generations", json=body, headers=max_.headers)
        assert queued.status_code == 202, queued.text
        assert platform.remove_member(olga, team_id, max_).status_code in (200, 204)
        gone, missing = (platform.http.get(url, headers=max_.headers) for url in (model_url, nobody))
        assert gone.status_code == 404 and fingerprint(gone) == fingerprint(missing)
        assert platform.http.get("/api/v1/models", headers=max_.headers).json()["items"] == []
        again = platform.http.post("/api/v1/generations", json=body, headers=max_.headers)
        assert again.status_code == 404 and again.json()["detail"] == "Custom model not found.", again.text
    finally:
        platform.stack.start_worker()
    failed = platform.wait(max_, queued.json()["generation_id"])
    assert failed["status"] == "failed" and failed["error"] == CUSTOM_MODEL_GONE_MESSAGE, failed
    wait_until(lambda: platform.me(max_)["credits"] == credits, "the queued generation refunded", 30, interval=0.2)

    # Taken back by its owner, shared again, and its owner's only once the team lapses (never public).
    assert platform.http.patch(model_url, json={"team_id": None}, headers=olga.headers).json()["team_id"] is None
    assert platform.http.get(model_url, headers=ned.headers).status_code == 404
    assert platform.http.patch(model_url, json={"team_id": team_id}, headers=olga.headers).status_code == 200
    assert platform.http.get(model_url, headers=ned.headers).status_code == 200
    platform.lapse(olga, "team")
    wait_until(
        lambda: platform.http.get(model_url, headers=ned.headers).status_code == 404, "the lapsed team's model", 30
    )
    lapsed = platform.http.post("/api/v1/generations", json=body, headers=ned.headers)
    assert lapsed.status_code == 404 and lapsed.json()["detail"] == "Custom model not found.", lapsed.text
    assert platform.http.get(model_url, headers=olga.headers).json()["status"] == "ready"
    assert platform.http.get(model_url).status_code == 401
    # The owner holds the Team plan again: the share resumes; an admin of the team may delete it.
    platform.change_plan(olga, "team")
    wait_until(
        lambda: platform.http.get(model_url, headers=ned.headers).status_code == 200, "the reinstated team's model", 30
    )
    assert platform.http.delete(model_url, headers=ned.headers).status_code == 204
    assert platform.http.get(model_url, headers=olga.headers).status_code == 404

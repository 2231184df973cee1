"""The owner's controls against fake billing and visibility services: visibility at submit,
PATCH and bulk changes, the Creations list, deletion, /me, the plan catalogue and the Stripe
webhook."""

import base64
import json
import uuid

from atelier.common.v1 import visibility_pb2
from tests.integration.gateway.conftest import Gateway, SignedUp

PRIVATE, PUBLIC = visibility_pb2.VISIBILITY_PRIVATE, visibility_pb2.VISIBILITY_PUBLIC
UNSPECIFIED = visibility_pb2.VISIBILITY_UNSPECIFIED


def images_of(
    gateway: Gateway, owner: SignedUp, visibility: str = "public", n: int = 2, prompt: str = "a red circle"
) -> list[str]:
    generation = gateway.generation.add(owner.user_id, prompt=prompt, visibility=visibility, num_images=n)
    return gateway.generation.succeed(generation.generation_id)


async def submit(user: SignedUp, body: dict):
    return await user.client.post("/api/v1/generations", json=body, headers=user.csrf)


# ---- visibility at submit


async def test_a_plus_user_gets_what_they_ask_and_then_their_last_choice(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    assert (await submit(alice, {"prompt": "p", "visibility": "private"})).status_code == 202
    assert (await submit(alice, {"prompt": "p"})).status_code == 202
    first, second = gateway.generation.submissions
    assert (first.visibility, second.visibility) == (PRIVATE, UNSPECIFIED)  # what was asked, no entitlement
    assert [g.visibility for g in gateway.generation.accepted] == [PRIVATE, PRIVATE]
    assert (await alice.client.get("/api/v1/me")).json()["last_visibility"] == "private"
    assert (await submit(alice, {"prompt": "p", "visibility": "public"})).status_code == 202
    assert (await submit(alice, {"prompt": "p"})).status_code == 202
    assert [g.visibility for g in gateway.generation.accepted[2:]] == [PUBLIC, PUBLIC]


async def test_a_free_user_generates_public_and_cannot_ask_for_private(gateway: Gateway, alice: SignedUp) -> None:
    refused = await submit(alice, {"prompt": "p", "visibility": "private"})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Private generations need the Plus plan or higher."
    assert (await submit(alice, {"prompt": "p"})).status_code == 202
    [generation] = gateway.generation.accepted
    assert generation.visibility == PUBLIC


async def test_a_lapsed_user_is_told_why_and_never_silently_published(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    accepted = await submit(alice, {"prompt": "p", "visibility": "private"})
    assert accepted.status_code == 202
    gateway.generation.succeed(accepted.json()["generation_id"])  # the free plan runs one at a time
    gateway.billing.lapse(alice.user_id)
    for body in ({"prompt": "p", "visibility": "private"}, {"prompt": "p"}):
        refused = await submit(alice, body)
        assert refused.status_code == 403
        assert refused.json()["detail"].startswith("Your Plus plan has ended")
    assert (await submit(alice, {"prompt": "p", "visibility": "public"})).status_code == 202
    assert [g.visibility for g in gateway.generation.accepted] == [PRIVATE, PUBLIC]


async def test_billing_unreachable_at_submit_is_503_and_nothing_is_submitted(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.available = False
    response = await submit(alice, {"prompt": "p"})
    assert response.status_code == 503
    assert gateway.generation.accepted == []


# ---- PATCH and bulk


async def test_a_plus_user_toggles_one_image(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    [image_id, _] = images_of(gateway, alice)
    response = await alice.client.patch(
        f"/api/v1/images/{image_id}", json={"visibility": "private"}, headers=alice.csrf
    )
    assert response.status_code == 200, response.text
    assert response.json()["visibility"] == "private"
    assert response.headers["cache-control"] == "private, no-store"
    assert gateway.visibility.rows[image_id].visibility == PRIVATE


async def test_a_free_user_is_refused_with_the_reason(gateway: Gateway, alice: SignedUp) -> None:
    [image_id, _] = images_of(gateway, alice)
    response = await alice.client.patch(
        f"/api/v1/images/{image_id}", json={"visibility": "private"}, headers=alice.csrf
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Private images need the Plus plan or higher."
    assert gateway.visibility.rows[image_id].visibility == PUBLIC


async def test_patching_someone_elses_or_a_missing_image_is_404(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    gateway.billing.set_plan(bob.user_id, "plus")
    [image_id, _] = images_of(gateway, alice)
    answers = set()
    for target in (image_id, str(uuid.uuid4()), "nope"):
        response = await bob.client.patch(f"/api/v1/images/{target}", json={"visibility": "private"}, headers=bob.csrf)
        assert response.status_code == 404
        answers.add(response.json()["detail"])
    assert answers == {"Image not found."}
    async with gateway.client() as anonymous:
        assert (await anonymous.patch(f"/api/v1/images/{image_id}", json={"visibility": "private"})).status_code == 401


async def test_bulk_changes_refuse_per_image(gateway: Gateway, alice: SignedUp, bob: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    mine = images_of(gateway, alice, n=3)
    [theirs] = images_of(gateway, bob, n=1)
    response = await alice.client.post(
        "/api/v1/images/visibility",
        headers=alice.csrf,
        json={"image_ids": [*mine, mine[0], theirs, "junk"], "visibility": "private"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["visibility"] == "private"
    assert body["updated"] == mine
    assert body["refused"] == [
        {"image_id": "junk", "reason": "Image not found."},
        {"image_id": theirs, "reason": "Image not found."},
    ]
    assert gateway.visibility.rows[theirs].visibility == PUBLIC


async def test_bulk_changes_by_a_free_user_are_all_refused_with_the_reason(gateway: Gateway, alice: SignedUp) -> None:
    mine = images_of(gateway, alice, n=2)
    body = (
        await alice.client.post(
            "/api/v1/images/visibility", headers=alice.csrf, json={"image_ids": mine, "visibility": "private"}
        )
    ).json()
    assert body["updated"] == []
    assert [r["reason"] for r in body["refused"]] == ["Private images need the Plus plan or higher."] * 2


async def test_bulk_input_rules(alice: SignedUp) -> None:
    for body in (
        {"image_ids": [], "visibility": "private"},
        {"image_ids": ["x"] * 501, "visibility": "private"},
        {"image_ids": ["x"], "visibility": "hidden"},
    ):
        response = await alice.client.post("/api/v1/images/visibility", headers=alice.csrf, json=body)
        assert response.status_code == 422


# ---- current visibility everywhere the owner looks


async def test_generations_show_each_images_current_visibility(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    generation = gateway.generation.add(alice.user_id, num_images=2)
    first, second = gateway.generation.succeed(generation.generation_id)
    await alice.client.patch(f"/api/v1/images/{second}", json={"visibility": "private"}, headers=alice.csrf)
    one = (await alice.client.get(f"/api/v1/generations/{generation.generation_id}")).json()
    listed = (await alice.client.get("/api/v1/generations")).json()["items"][0]
    for body in (one, listed):
        assert body["visibility"] == "public"  # what was asked at submit
        assert [i["visibility"] for i in body["images"]] == ["public", "private"]


# ---- creations


async def test_creations_newest_first_filtered_by_current_visibility_in_keyset_pages(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    older = images_of(gateway, alice, n=3, prompt="older")
    newer = images_of(gateway, alice, n=3, prompt="newer")
    images_of(gateway, bob, n=2)
    await alice.client.post(
        "/api/v1/images/visibility",
        headers=alice.csrf,
        json={"image_ids": [older[1], newer[0]], "visibility": "private"},
    )

    async def walk(visibility: str, limit: int) -> list[dict]:
        items, cursor = [], None
        for _ in range(20):
            params = {"visibility": visibility, "limit": limit, **({"cursor": cursor} if cursor else {})}
            response = await alice.client.get("/api/v1/me/creations", params=params)
            assert response.status_code == 200, response.text
            assert response.headers["cache-control"] == "private, no-store"
            page = response.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("the cursor never ended")

    everything = await walk("all", 2)
    assert [i["image_id"] for i in everything] == newer + older
    assert [i["prompt"] for i in everything] == ["newer"] * 3 + ["older"] * 3
    assert [i["image_id"] for i in await walk("private", 1)] == [newer[0], older[1]]
    assert [i["image_id"] for i in await walk("public", 5)] == [newer[1], newer[2], older[0], older[2]]
    assert {i["visibility"] for i in await walk("private", 3)} == {"private"}


async def test_creations_need_an_account_and_reject_foreign_cursors(gateway: Gateway, alice: SignedUp) -> None:
    async with gateway.client() as anonymous:
        assert (await anonymous.get("/api/v1/me/creations")).status_code == 401
    assert (await alice.client.get("/api/v1/me/creations", params={"cursor": "garbage!"})).status_code == 422
    assert (await alice.client.get("/api/v1/me/creations", params={"visibility": "secret"})).status_code == 422


async def test_a_creations_cursor_altered_or_forged_is_refused_and_a_real_one_pages(
    gateway: Gateway, alice: SignedUp
) -> None:
    images_of(gateway, alice, n=3, prompt="paged")
    first = (await alice.client.get("/api/v1/me/creations", params={"limit": 1})).json()
    payload, signature = first["next_cursor"].split(".")
    assert (await alice.client.get("/api/v1/me/creations", params={"cursor": first["next_cursor"]})).status_code == 200
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["m"][3] += 1  # skip an image the pages would not
    altered = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    for cursor in (f"{altered}.{signature}", altered, f"{payload}.{signature[::-1]}"):
        refused = await alice.client.get("/api/v1/me/creations", params={"cursor": cursor})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["detail"].startswith("cursor: forged or altered")


# ---- delete


async def test_deleting_needs_the_entitlement_and_then_everything_is_404(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    generation = gateway.generation.add(alice.user_id, num_images=2)
    image_ids = gateway.generation.succeed(generation.generation_id)
    path = f"/api/v1/generations/{generation.generation_id}"
    refused = await alice.client.delete(path, headers=alice.csrf)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Deleting generations needs the Basic plan or higher."

    gateway.billing.set_plan(alice.user_id, "basic")
    gateway.billing.set_plan(bob.user_id, "basic")
    assert (await bob.client.delete(path, headers=bob.csrf)).status_code == 404
    deleted = await alice.client.delete(path, headers=alice.csrf)
    assert deleted.status_code == 204
    assert (await alice.client.get(path)).status_code == 404
    async with gateway.client() as anonymous:
        for client in (alice.client, bob.client, anonymous):
            for image_id in image_ids:
                for suffix in ("", "/content", "/share"):
                    assert (await client.get(f"/api/v1/images/{image_id}{suffix}")).status_code == 404
    assert (await alice.client.get("/api/v1/me/creations")).json()["items"] == []
    assert (await alice.client.delete(path, headers=alice.csrf)).status_code == 404


async def test_a_deletion_with_undo_is_202_and_only_the_owner_restores_within_the_window(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    gateway.billing.set_plan(alice.user_id, "basic")
    generation = gateway.generation.add(alice.user_id, num_images=2)
    image_ids = gateway.generation.succeed(generation.generation_id)
    path = f"/api/v1/generations/{generation.generation_id}"
    pending = await alice.client.delete(path, params={"undo": "true"}, headers=alice.csrf)
    assert pending.status_code == 202, pending.text
    body = pending.json()
    assert body["generation_id"] == generation.generation_id
    assert body["deleted_image_ids"] == image_ids and body["undo_until"]
    async with gateway.client() as anonymous:
        for client in (alice.client, bob.client, anonymous):
            for image_id in image_ids:
                assert (await client.get(f"/api/v1/images/{image_id}")).status_code == 404
    assert (await bob.client.post(f"{path}/restore", headers=bob.csrf)).status_code == 404
    assert (await alice.client.post(f"{path}/restore")).status_code == 403  # CSRF, as every change
    restored = await alice.client.post(f"{path}/restore", headers=alice.csrf)
    assert restored.status_code == 200, restored.text
    assert restored.json() == {"generation_id": generation.generation_id, "restored_image_ids": image_ids}
    async with gateway.client() as anonymous:
        assert (await anonymous.get(f"/api/v1/images/{image_ids[0]}")).status_code == 200
    assert (await alice.client.post(f"{path}/restore", headers=alice.csrf)).status_code == 404  # once

    gateway.generation.undo_window_s = 0  # the window over at once
    assert (await alice.client.delete(path, params={"undo": "true"}, headers=alice.csrf)).status_code == 202
    assert (await alice.client.post(f"{path}/restore", headers=alice.csrf)).status_code == 404
    assert (await alice.client.post("/api/v1/generations/not-an-id/restore", headers=alice.csrf)).status_code == 404


async def test_a_running_generation_cannot_be_deleted_yet(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.set_plan(alice.user_id, "plus")
    generation = gateway.generation.add(alice.user_id)
    response = await alice.client.delete(f"/api/v1/generations/{generation.generation_id}", headers=alice.csrf)
    assert response.status_code == 409
    assert "still running" in response.json()["detail"]


# ---- /me, plans, webhook


async def test_me_says_what_the_plan_allows_and_why_not(gateway: Gateway, alice: SignedUp) -> None:
    me = (await alice.client.get("/api/v1/me")).json()
    assert me["plan"] == "free" and me["plan_display_name"] == "Free"
    assert me["permissions"]["private_generation"] == {
        "allowed": False,
        "reason": "Private generations need the Plus plan or higher.",
    }
    assert me["permissions"]["delete_generation"]["allowed"] is False
    gateway.billing.set_plan(alice.user_id, "plus")
    me = (await alice.client.get("/api/v1/me")).json()
    assert all(p == {"allowed": True, "reason": None} for p in me["permissions"].values())
    assert (me["subscription_status"], me["max_concurrent_generations"]) == ("active", 4)
    gateway.billing.lapse(alice.user_id)
    me = (await alice.client.get("/api/v1/me")).json()
    assert (me["plan"], me["subscription_status"], me["lapsed_plan"]) == ("free", "lapsed", "plus")
    assert me["permissions"]["private_generation"]["reason"].startswith("Your Plus plan has ended")


async def test_me_is_503_when_billing_is_down(gateway: Gateway, alice: SignedUp) -> None:
    gateway.billing.available = False
    assert (await alice.client.get("/api/v1/me")).status_code == 503


async def test_the_plan_catalogue_is_public(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        response = await anonymous.get("/api/v1/plans")
    assert response.status_code == 200
    plans = response.json()["items"]
    assert [p["name"] for p in plans] == ["free", "basic", "plus", "pro", "team"]
    plus = plans[2]
    assert "private_generation" in plus["entitlements"]
    assert any("Private generations" in line for line in plus["unlocks"])


async def test_the_plans_sell_only_what_exists(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        plans = (await anonymous.get("/api/v1/plans")).json()["items"]
    for plan in plans:
        worded = dict(zip(plan["entitlements"], plan["unlocks"], strict=True))
        assert plan["coming_soon"] == []  # the editor shipped (issue 11): nothing is sold unbuilt
        for name, words in worded.items():
            assert words.endswith("(coming soon)") == (name in plan["coming_soon"]), (name, words)
    assert "private_generation" not in plans[2]["coming_soon"]


async def test_the_stripe_webhook_forwards_the_raw_body_and_signature(gateway: Gateway) -> None:
    payload = b'{"id": "evt_1", "type": "customer.subscription.updated"}'
    async with gateway.client() as stripe:
        ok = await stripe.post(
            "/api/v1/billing/webhooks/stripe",
            content=payload,
            headers={"Stripe-Signature": "t=1,v1=good", "Content-Type": "application/json"},
        )
        bad = await stripe.post(
            "/api/v1/billing/webhooks/stripe", content=payload, headers={"Stripe-Signature": "t=1,v1=forged"}
        )
        unsigned = await stripe.post("/api/v1/billing/webhooks/stripe", content=payload)
        huge = await stripe.post(
            "/api/v1/billing/webhooks/stripe",
            content=b"x" * ((1 << 20) + 1),
            headers={"Stripe-Signature": "t=1,v1=good"},
        )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"received": True, "processed": True, "event_type": "customer.subscription.updated"}
    assert gateway.billing.webhooks == [(payload, "t=1,v1=good")]
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert "signature does not match" in bad.json()["detail"]
    assert unsigned.status_code == 400
    assert huge.status_code == 413

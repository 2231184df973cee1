"""Privacy through the public API on the real platform (billing, visibility, feed, generation API
and worker, gateway; real Postgres, NATS, S3 store, Triton). Plans change through billing's
ChangePlan gRPC, as an operator would. The visibility service runs with retroactive_privacy on
(the default); tests/integration/test_privacy_retroactive.py covers it off."""

from __future__ import annotations

import io
import threading
import uuid

import httpx
import pytest
from PIL import Image

from tests.integration.test_privacy_support import (
    ANONYMOUS,
    Account,
    Platform,
    assert_hidden,
    assert_public,
    missing_image_answers,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

PROMPT = "a red circle on a blue background"


@pytest.fixture(scope="module")
def platform(shared_platform: Platform) -> Platform:
    return shared_platform


def secret() -> str:
    return f"s{uuid.uuid4().hex[:12]}"


def image_ids(generation: dict) -> list[str]:
    return [image["image_id"] for image in generation["images"]]


def others(platform: Platform) -> list[dict[str, str]]:
    return [platform.sign_up("mallory").headers, ANONYMOUS]


def hidden_from_everyone_else(platform: Platform, owner: Account, generation: dict, token: str) -> None:
    for headers in others(platform):
        reference = missing_image_answers(platform, headers)
        for image_id in image_ids(generation):
            assert_hidden(platform, image_id, headers, token, reference)
        for suffix in ("", "/events"):
            reply = platform.http.get(f"/api/v1/generations/{generation['generation_id']}{suffix}", headers=headers)
            assert reply.status_code == 404 and token not in reply.text


def test_a_free_user_cannot_make_anything_private(platform: Platform) -> None:
    free = platform.sign_up("free")
    token = secret()
    refused = platform.submit(free, f"{PROMPT} {token}", "private")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Private generations need the Plus plan or higher."

    generation = platform.generate(free, f"{PROMPT} {token}", num_images=2)
    [first, second] = image_ids(generation)
    assert [i["visibility"] for i in generation["images"]] == ["public", "public"]
    patched = platform.set_visibility(free, first, "private")
    assert patched.status_code == 403
    assert patched.json()["detail"] == "Private images need the Plus plan or higher."
    bulk = platform.set_many(free, [first, second], "private").json()
    assert bulk["updated"] == []
    assert {r["reason"] for r in bulk["refused"]} == {"Private images need the Plus plan or higher."}
    for headers in others(platform):
        for image_id in (first, second):
            assert_public(platform, image_id, headers, token)
    assert platform.me(free)["permissions"]["private_generation"]["allowed"] is False


def test_a_plus_user_keeps_images_private_per_image_and_in_bulk(platform: Platform) -> None:
    plus = platform.sign_up("plus")
    platform.change_plan(plus, "plus")
    token = secret()
    generation = platform.generate(plus, f"{PROMPT} {token}", "private", num_images=2)
    [first, second] = image_ids(generation)
    assert {i["visibility"] for i in generation["images"]} == {"private"}
    hidden_from_everyone_else(platform, plus, generation, token)
    owner_view = platform.http.get(f"/api/v1/images/{first}", headers=plus.headers)
    assert owner_view.status_code == 200 and owner_view.json()["visibility"] == "private"
    assert owner_view.headers["cache-control"] == "private, no-store"
    content = platform.http.get(f"/api/v1/images/{first}/content", headers=plus.headers)
    assert content.headers["content-type"] == "image/png"
    assert content.headers["cache-control"] == "private, no-store"

    # One image made public: anyone sees that one, the other stays hidden.
    made_public = platform.set_visibility(plus, first, "public")
    assert made_public.status_code == 200 and made_public.json()["visibility"] == "public"
    for headers in others(platform):
        assert_public(platform, first, headers, token)
        assert_hidden(platform, second, headers, token, missing_image_answers(platform, headers))
    shown = platform.http.get(f"/api/v1/generations/{generation['generation_id']}", headers=plus.headers).json()
    assert {i["image_id"]: i["visibility"] for i in shown["images"]} == {first: "public", second: "private"}
    assert [i["image_id"] for i in platform.creations(plus, "private")] == [second]
    assert [i["image_id"] for i in platform.creations(plus, "public")] == [first]

    # Both private again, in bulk; someone else's image in the same request is refused, untouched.
    stranger = platform.sign_up("stranger")
    theirs = image_ids(platform.generate(stranger, PROMPT))[0]
    bulk = platform.set_many(plus, [first, second, theirs], "private")
    assert bulk.status_code == 200, bulk.text
    assert sorted(bulk.json()["updated"]) == sorted([first, second])
    assert bulk.json()["refused"] == [{"image_id": theirs, "reason": "Image not found."}]
    hidden_from_everyone_else(platform, plus, generation, token)
    assert_public(platform, theirs, ANONYMOUS, PROMPT)
    assert {i["image_id"] for i in platform.creations(plus, "private")} == {first, second}
    assert all(i["image_id"] not in (first, second) for i in platform.creations(stranger))


def test_the_last_choice_is_remembered_for_paid_plans(platform: Platform) -> None:
    plus = platform.sign_up("plus")
    platform.change_plan(plus, "plus")
    platform.generate(plus, PROMPT, "private")
    generation = platform.generate(plus, PROMPT)  # no visibility asked
    assert {i["visibility"] for i in generation["images"]} == {"private"}
    assert platform.me(plus)["last_visibility"] == "private"


def test_a_lapsed_user_keeps_privacy_with_jpg_only_downloads(platform: Platform) -> None:
    user = platform.sign_up("lapsing")
    platform.change_plan(user, "plus")
    token = secret()
    generation = platform.generate(user, f"{PROMPT} {token}", "private", num_images=2)
    [first, second] = image_ids(generation)
    platform.set_visibility(user, second, "public")

    platform.lapse(user, "plus")
    me = platform.me(user)
    assert (me["plan"], me["subscription_status"], me["lapsed_plan"]) == ("free", "lapsed", "plus")

    # P4: nothing became public, nothing became private.
    hidden_from_everyone_else(platform, user, {**generation, "images": [{"image_id": first}]}, token)
    assert_public(platform, second, ANONYMOUS, token)
    owner = platform.http.get(f"/api/v1/images/{first}", headers=user.headers).json()
    assert owner["visibility"] == "private" and owner["download_formats"] == ["jpg"]
    for params in ({}, {"format": "png"}):
        content = platform.http.get(f"/api/v1/images/{first}/content", params=params, headers=user.headers)
        assert content.status_code == 200
        assert content.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(content.content)).format == "JPEG"
        assert content.headers["cache-control"] == "private, no-store"

    # Toggles and new private generations are refused, saying why.
    for reply in (
        platform.set_visibility(user, first, "public"),
        platform.set_visibility(user, second, "private"),
        platform.submit(user, PROMPT, "private"),
        platform.submit(user, PROMPT),
    ):
        assert reply.status_code == 403, reply.text
        assert "plan has ended" in reply.json()["detail"]
    assert platform.creations(user, "private")[0]["image_id"] == first

    # Subscribing again unlocks everything.
    platform.change_plan(user, "plus")
    assert platform.set_visibility(user, first, "public").status_code == 200
    content = platform.http.get(f"/api/v1/images/{first}/content", headers=user.headers)
    assert content.headers["content-type"] == "image/png"


def test_a_deleted_generation_answers_404_to_everyone_the_owner_included(platform: Platform) -> None:
    free = platform.sign_up("free")
    generation = platform.generate(free, PROMPT)
    refused = platform.http.delete(f"/api/v1/generations/{generation['generation_id']}", headers=free.headers)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Deleting generations needs the Basic plan or higher."

    owner = platform.sign_up("owner")
    platform.change_plan(owner, "plus")
    token = secret()
    generation = platform.generate(owner, f"{PROMPT} {token}", "private", num_images=2)
    public_one = image_ids(generation)[0]
    platform.set_visibility(owner, public_one, "public")
    path = f"/api/v1/generations/{generation['generation_id']}"
    assert platform.http.delete(path, headers=platform.sign_up("x").headers).status_code in (403, 404)
    deleted = platform.http.delete(path, headers=owner.headers)
    assert deleted.status_code == 204, deleted.text
    for headers in (owner.headers, *others(platform)):
        reference = missing_image_answers(platform, headers)
        for image_id in image_ids(generation):
            assert_hidden(platform, image_id, headers, token, reference)
        assert platform.http.get(path, headers=headers).status_code == 404
    assert platform.creations(owner) == []


def test_me_and_the_plans_come_from_billing(platform: Platform) -> None:
    user = platform.sign_up("planned")
    me = platform.me(user)
    assert (me["plan"], me["subscription_status"], me["entitlements"]) == ("free", "none", [])
    assert me["credits"] > 0
    platform.change_plan(user, "pro")
    me = platform.me(user)
    assert me["plan"] == "pro" and "private_generation" in me["entitlements"]
    assert all(p["allowed"] for p in me["permissions"].values())
    plans = platform.http.get("/api/v1/plans").json()["items"]
    assert [p["name"] for p in plans][:3] == ["free", "basic", "plus"]


def test_out_of_credits_is_402_with_a_clear_message(platform: Platform) -> None:
    user = platform.sign_up("spender")
    credits = platform.me(user)["credits"]
    while credits >= 8:
        platform.generate(user, PROMPT, num_images=8)
        credits = platform.me(user)["credits"]
    refused = platform.submit(user, PROMPT, num_images=credits + 1)
    assert refused.status_code == 402, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "credit" in refused.json()["detail"].lower()


def test_a_stripe_webhook_with_a_bad_signature_is_400(platform: Platform) -> None:
    payload = b'{"id": "evt_test", "type": "customer.subscription.updated", "data": {"object": {}}}'
    for headers in ({"Stripe-Signature": "t=1,v1=deadbeef"}, {}):
        reply = platform.http.post(
            "/api/v1/billing/webhooks/stripe", content=payload, headers={"Content-Type": "application/json", **headers}
        )
        assert reply.status_code == 400, reply.text
        assert reply.headers["content-type"] == "application/problem+json"


def test_retroactive_privacy_on_lets_a_new_subscriber_hide_old_images(platform: Platform) -> None:
    user = platform.sign_up("upgrader")
    token = secret()
    old = image_ids(platform.generate(user, f"{PROMPT} {token}"))[0]  # made on the free plan
    platform.change_plan(user, "plus")
    assert platform.set_visibility(user, old, "private").status_code == 200
    for headers in others(platform):
        assert_hidden(platform, old, headers, token, missing_image_answers(platform, headers))


def test_a_team_image_is_seen_by_current_members_only_and_leaving_makes_theirs_private(platform: Platform) -> None:
    owner, member, outsider = platform.sign_up("owner"), platform.sign_up("member"), platform.sign_up("outsider")
    platform.change_plan(owner, "team")
    platform.change_plan(member, "plus")
    refused = platform.http.post("/api/v1/teams", json={"name": "no plan"}, headers=outsider.headers)
    assert refused.status_code == 403 and "Team plan" in refused.json()["detail"]
    team_id = platform.create_team(owner)
    unknown = platform.invite(owner, team_id, f"nobody_{uuid.uuid4().hex[:8]}")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "User not found."
    platform.join(owner, team_id, member)
    # Billing counts seats from the authority's TeamMembershipChanged: 2 members, 2 × 8 at once.
    seats = lambda: platform.me(owner)["max_concurrent_generations"]  # noqa: E731
    wait_until(lambda: seats() == 16, "two seats counted", 30, interval=0.2)
    assert platform.invite(member, team_id, outsider.username).status_code == 403  # a plain member
    assert platform.invite(outsider, team_id, outsider.username).status_code == 404  # not in the team
    last_owner = platform.http.post(f"/api/v1/teams/{team_id}/leave", headers=owner.headers)
    assert last_owner.status_code == 409, last_owner.text

    token = secret()
    [shared] = image_ids(platform.generate(owner, f"{PROMPT} {token}", "private"))
    assert platform.share_with_team(outsider, shared, team_id).status_code == 404  # not the outsider's image
    reply = platform.share_with_team(owner, shared, team_id)
    assert reply.status_code == 200 and reply.json()["visibility"] == "team", reply.text
    assert reply.json()["team_id"] == team_id
    # A member sees it, never cacheable by a shared cache, and never in the public feed.
    meta = platform.http.get(f"/api/v1/images/{shared}", headers=member.headers)
    assert meta.status_code == 200 and meta.json()["visibility"] == "team" and token in meta.json()["prompt"]
    content = platform.http.get(f"/api/v1/images/{shared}/content", headers=member.headers)
    assert content.status_code == 200 and content.headers["cache-control"] == "private, no-store"
    share = platform.http.get(f"/api/v1/images/{shared}/share", headers=member.headers)
    assert share.json()["works_for"] == "team_members"
    feed = platform.http.get("/api/v1/feed", headers=member.headers)
    assert feed.status_code == 200 and shared not in feed.text
    assert {i["image_id"]: i["visibility"] for i in platform.creations(owner)} == {shared: "team"}
    for headers in (outsider.headers, ANONYMOUS):
        assert_hidden(platform, shared, headers, token, missing_image_answers(platform, headers))
    # An upscale of it is its maker's alone: private, not shared with the team.
    upscale = platform.http.post(f"/api/v1/images/{shared}/upscale", headers=owner.headers)
    assert upscale.status_code == 202, upscale.text
    [derived] = platform.wait(owner, upscale.json()["generation_id"])["images"]
    assert derived["visibility"] == "private"
    assert platform.http.get(f"/api/v1/images/{derived['image_id']}", headers=member.headers).status_code == 404

    # The member shares one of theirs, then is removed: from that answer on they see nothing of
    # the team, and their image is private to them (never public), gone from the owner's view.
    mine = secret()
    [theirs] = image_ids(platform.generate(member, f"{PROMPT} {mine}", "private"))
    assert platform.share_with_team(member, theirs, team_id).status_code == 200
    assert platform.http.get(f"/api/v1/images/{theirs}", headers=owner.headers).status_code == 200
    removed = platform.remove_member(owner, team_id, member)
    assert removed.status_code == 200 and removed.json()["privatized_image_ids"] == [theirs], removed.text
    assert_hidden(platform, shared, member.headers, token, missing_image_answers(platform, member.headers))
    assert_hidden(platform, theirs, owner.headers, mine, missing_image_answers(platform, owner.headers))
    own_view = platform.http.get(f"/api/v1/images/{theirs}", headers=member.headers)
    assert own_view.status_code == 200 and own_view.json()["visibility"] == "private"
    assert platform.share_with_team(member, theirs, team_id).status_code == 403  # no longer a member
    assert platform.http.get("/api/v1/teams", headers=member.headers).json() == {"items": [], "invitations": []}
    wait_until(lambda: seats() == 8, "one seat left", 30, interval=0.2)


def test_a_team_whose_plan_lapses_turns_every_team_image_private_to_its_maker(platform: Platform) -> None:
    owner, member, outsider = platform.sign_up("owner"), platform.sign_up("member"), platform.sign_up("outsider")
    platform.change_plan(owner, "team")
    platform.change_plan(member, "plus")
    team_id = platform.create_team(owner)
    platform.join(owner, team_id, member)
    made: dict[str, tuple[Account, str]] = {}
    for maker in (owner, member):
        token = secret()
        [image_id] = image_ids(platform.generate(maker, f"{PROMPT} {token}", "private"))
        assert platform.share_with_team(maker, image_id, team_id).status_code == 200
        made[image_id] = (maker, token)
    [ours, theirs] = made
    assert platform.http.get(f"/api/v1/images/{theirs}", headers=owner.headers).status_code == 200
    assert platform.http.get(f"/api/v1/images/{ours}", headers=member.headers).status_code == 200

    # Outsiders, the anonymous and the public feed are probed all through the change: nothing of
    # either image ever shows, on the way from team to private.
    leaks: list[str] = []
    probes = 0
    stop = threading.Event()

    def probe() -> None:
        nonlocal probes
        with httpx.Client(base_url=platform.url, timeout=30) as http:
            while not stop.is_set():
                for image_id, (_, token) in made.items():
                    for headers in (outsider.headers, ANONYMOUS):
                        for path in (f"/api/v1/images/{image_id}", f"/i/{image_id}"):
                            reply = http.get(path, headers=headers)
                            if reply.status_code != 404 or token in reply.text:
                                leaks.append(f"{path} {reply.status_code}")
                feed = http.get("/api/v1/feed")
                if any(image_id in feed.text for image_id in made):
                    leaks.append("feed")
                probes += 1

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        platform.lapse(owner, "team")
        # Billing's PlanChanged reaches the authority: each maker keeps theirs, private, and the
        # other's is a 404 like an unknown id.
        for viewer, other in ((member, ours), (owner, theirs)):
            wait_until(
                lambda viewer=viewer, other=other: (
                    platform.http.get(f"/api/v1/images/{other}", headers=viewer.headers).status_code == 404
                ),
                "the team image gone from the other member",
                30,
                interval=0.1,
            )
        wait_until(lambda: probes >= 2, "the probes ran past the change", 30, interval=0.1)
    finally:
        stop.set()
        prober.join()
    assert leaks == []
    for image_id, (maker, token) in made.items():
        mine = platform.http.get(f"/api/v1/images/{image_id}", headers=maker.headers)
        assert mine.status_code == 200 and mine.json()["visibility"] == "private", mine.text
        viewer = member if maker is owner else owner
        assert_hidden(platform, image_id, viewer.headers, token, missing_image_answers(platform, viewer.headers))
    # The lapsed team takes no image until an owner holds the Team plan again.
    refused = platform.share_with_team(member, theirs, team_id)
    assert refused.status_code == 403 and "plan has ended" in refused.json()["detail"], refused.text


def test_a_generation_submitted_to_a_team_is_born_seen_by_its_members_only(platform: Platform) -> None:
    owner, member, outsider = platform.sign_up("owner"), platform.sign_up("member"), platform.sign_up("outsider")
    for user, plan in ((owner, "team"), (member, "plus"), (outsider, "plus")):
        platform.change_plan(user, plan)
    team_id = platform.create_team(owner)
    platform.join(owner, team_id, member)
    token = secret()
    body = {"prompt": f"{PROMPT} {token}", "num_images": 1, "steps": 2, "visibility": "team"}

    def submit(user: Account, **extra: str) -> httpx.Response:
        return platform.http.post("/api/v1/generations", json={**body, **extra}, headers=user.headers)

    # Not a member: the same 404 as a team that does not exist; a team needs its id, and only it.
    outsiders = submit(outsider, team_id=team_id)
    unknown = submit(member, team_id=str(uuid.uuid4()))
    assert outsiders.status_code == unknown.status_code == 404, outsiders.text
    assert outsiders.json()["detail"] == unknown.json()["detail"] == "Team not found."
    assert submit(member).status_code == 422
    assert submit(member, team_id=team_id, visibility="private").status_code == 422

    accepted = submit(member, team_id=team_id)
    assert accepted.status_code == 202, accepted.text
    generation_id = accepted.json()["generation_id"]

    def finished() -> dict | None:
        for headers in (outsider.headers, ANONYMOUS):
            reply = platform.http.get(f"/api/v1/generations/{generation_id}", headers=headers)
            assert reply.status_code == 404 and token not in reply.text
        reply = platform.http.get(f"/api/v1/generations/{generation_id}", headers=member.headers)
        return reply.json() if reply.json()["status"] in ("succeeded", "failed") else None

    # While it runs outsiders get 404; the moment its maker sees it succeed, the team sees it too.
    done = wait_until(finished, "the team generation finished", 120, interval=0.2)
    assert done["status"] == "succeeded" and done["visibility"] == "team", done
    [shared] = image_ids(done)
    seen = platform.http.get(f"/api/v1/images/{shared}", headers=owner.headers)
    assert seen.status_code == 200 and seen.json()["visibility"] == "team" and token in seen.json()["prompt"]
    mine = platform.http.get(f"/api/v1/images/{shared}", headers=member.headers).json()
    assert mine["visibility"] == "team" and mine["team_id"] == team_id
    for headers in (outsider.headers, ANONYMOUS):
        assert_hidden(platform, shared, headers, token, missing_image_answers(platform, headers))
    assert shared not in platform.http.get("/api/v1/feed").text
    # Deleted by its owner (not by a member): its images turn private to their makers at once.
    path = f"/api/v1/teams/{team_id}"
    assert platform.http.delete(path, headers=member.headers).status_code == 403
    deleted = platform.http.delete(path, headers=owner.headers)
    assert deleted.status_code == 200 and deleted.json()["privatized_image_ids"] == [shared], deleted.text
    assert_hidden(platform, shared, owner.headers, token, missing_image_answers(platform, owner.headers))
    assert platform.http.get(f"/api/v1/images/{shared}", headers=member.headers).json()["visibility"] == "private"
    assert submit(member, team_id=team_id).status_code == 404  # no such team any more
    # A team is never remembered as the last choice (nothing chosen before it: public).
    later = platform.generate(member, f"{PROMPT} {secret()}")
    assert later["visibility"] == "public", later["visibility"]

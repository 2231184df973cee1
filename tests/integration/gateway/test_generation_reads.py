"""Reading generations: the owner sees them; everyone else gets 404, exactly as for a missing id."""

import uuid

from tests.integration.gateway.conftest import Gateway, SignedUp, SignUp


async def test_the_owner_sees_the_generation_with_its_images(gateway: Gateway, alice: SignedUp) -> None:
    generation = gateway.generation.add(alice.user_id, prompt="a green triangle")
    image_ids = gateway.generation.succeed(generation.generation_id)

    response = await alice.client.get(f"/api/v1/generations/{generation.generation_id}")

    assert response.status_code == 200
    body = response.json()
    assert body["generation_id"] == generation.generation_id
    assert body["status"] == "succeeded"
    assert body["prompt"] == "a green triangle"
    assert body["progress"] == {"step": 20, "total": 20}
    assert body["visibility"] == "public"
    assert body["error"] is None
    assert [image["image_id"] for image in body["images"]] == image_ids
    assert body["images"][0] == {
        "image_id": image_ids[0],
        "url": f"/api/v1/images/{image_ids[0]}/content",
        "seed": 7,
        "width": 64,
        "height": 64,
        "visibility": "public",
    }


async def test_a_failed_generation_says_why(gateway: Gateway, alice: SignedUp) -> None:
    generation = gateway.generation.add(alice.user_id)
    gateway.generation.fail(generation.generation_id, "The model server did not answer.")
    body = (await alice.client.get(f"/api/v1/generations/{generation.generation_id}")).json()
    assert (body["status"], body["error"]) == ("failed", "The model server did not answer.")


async def not_found_answers(gateway: Gateway, path: str, others: list[SignedUp]) -> list[tuple[int, dict]]:
    answers = []
    for user in others:
        response = await user.client.get(path)
        answers.append((response.status_code, response.json()))
    async with gateway.client() as anonymous:
        response = await anonymous.get(path)
        answers.append((response.status_code, response.json()))
    return answers


async def test_anyone_else_gets_404_exactly_like_a_missing_id(
    gateway: Gateway, sign_up: SignUp, alice: SignedUp
) -> None:
    bob = await sign_up("bob")
    generation = gateway.generation.add(alice.user_id)
    gateway.generation.succeed(generation.generation_id)

    theirs = await not_found_answers(gateway, f"/api/v1/generations/{generation.generation_id}", [bob])
    missing_id = str(uuid.uuid4())
    missing = await not_found_answers(gateway, f"/api/v1/generations/{missing_id}", [bob])
    malformed = await not_found_answers(gateway, "/api/v1/generations/not-a-uuid", [bob])

    def without_instance(answers: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
        return [(status, {k: v for k, v in body.items() if k != "instance"}) for status, body in answers]

    assert without_instance(theirs) == without_instance(missing) == without_instance(malformed)
    assert all(status == 404 for status, _ in theirs)
    assert "a red circle" not in repr(theirs)


async def test_a_bearer_key_of_another_user_gets_404(gateway: Gateway, sign_up: SignUp, alice: SignedUp) -> None:
    bob = await sign_up("bob")
    generation = gateway.generation.add(alice.user_id)
    async with gateway.client() as tool:
        response = await tool.get(f"/api/v1/generations/{generation.generation_id}", headers=bob.bearer)
    assert response.status_code == 404


async def test_the_list_shows_only_my_generations_newest_first_in_pages(
    gateway: Gateway, sign_up: SignUp, alice: SignedUp
) -> None:
    bob = await sign_up("bob")
    mine = [gateway.generation.add(alice.user_id, prompt=f"mine {n}").generation_id for n in range(3)]
    gateway.generation.add(bob.user_id, prompt="not yours")

    first = (await alice.client.get("/api/v1/generations", params={"limit": 2})).json()
    second = (await alice.client.get("/api/v1/generations", params={"limit": 2, "cursor": first["next_cursor"]})).json()

    assert [item["generation_id"] for item in first["items"] + second["items"]] == mine[::-1]
    assert second["next_cursor"] is None
    assert "not yours" not in repr(first) + repr(second)


async def test_the_list_needs_an_account_and_a_sane_page_size(gateway: Gateway, alice: SignedUp) -> None:
    async with gateway.client() as anonymous:
        assert (await anonymous.get("/api/v1/generations")).status_code == 401
    too_big = await alice.client.get("/api/v1/generations", params={"limit": 1000})
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "limit"

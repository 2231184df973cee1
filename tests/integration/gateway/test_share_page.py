"""The share page `/i/<id>` with its link-preview tags (Open Graph, Twitter card), against the fake
authority: a public image gets tags built from what an anonymous visitor may see; a private,
deleted, unknown or malformed image gets one and the same 404 page without any tag."""

import re
import uuid
from html import unescape

from services.gateway.web.pages import STATIC_DIR
from tests.integration.gateway.conftest import Gateway, SignedUp

SNEAKY_PROMPT = 'a "quoted" <script>alert(1)</script> & blue square'
TAG = re.compile(r'<meta (?:property|name)="((?:og|twitter):[a-z:_]+)" content="([^"]*)">')


def image_of(gateway: Gateway, owner: SignedUp, visibility: str, prompt: str) -> str:
    if visibility == "private":
        gateway.billing.set_plan(owner.user_id, "plus")
    generation = gateway.generation.add(owner.user_id, prompt=prompt, visibility=visibility, num_images=1)
    return gateway.generation.succeed(generation.generation_id)[0]


def tags(html: str) -> dict[str, str]:
    return {name: unescape(content) for name, content in TAG.findall(html)}


async def test_a_public_image_has_a_preview_with_an_absolute_image_url(gateway: Gateway, alice: SignedUp) -> None:
    image_id = image_of(gateway, alice, "public", SNEAKY_PROMPT)
    async with gateway.client() as anonymous:
        response = await anonymous.get(f"/i/{image_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "private, no-store"
    assert "<script>alert" not in response.text  # the prompt is escaped
    found = tags(response.text)
    assert found == {
        "og:type": "website",
        "og:site_name": "Atelier",
        "og:title": SNEAKY_PROMPT,
        "og:description": f"{SNEAKY_PROMPT} — by alice on Atelier",
        "og:url": f"http://127.0.0.1/i/{image_id}",
        "og:image": f"http://127.0.0.1/api/v1/images/{image_id}/content",
        "og:image:width": "64",
        "og:image:height": "64",
        "twitter:card": "summary_large_image",
        "twitter:title": SNEAKY_PROMPT,
        "twitter:description": f"{SNEAKY_PROMPT} — by alice on Atelier",
        "twitter:image": f"http://127.0.0.1/api/v1/images/{image_id}/content",
    }
    # The tagged page is the app's page plus the tags, nothing else.
    plain = (STATIC_DIR / "index.html").read_text()
    assert re.sub(r"  <meta (property|name)=\"(og|twitter):.*\n", "", response.text) == plain
    async with gateway.client() as anonymous:
        image = await anonymous.get(found["og:image"].removeprefix("http://127.0.0.1"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


async def test_a_long_prompt_is_shortened_in_the_title(gateway: Gateway, alice: SignedUp) -> None:
    image_id = image_of(gateway, alice, "public", "a red circle " * 20)
    async with gateway.client() as anonymous:
        found = tags((await anonymous.get(f"/i/{image_id}")).text)
    assert len(found["og:title"]) == 70 and found["og:title"].endswith("…")


async def test_a_private_a_deleted_an_unknown_and_a_malformed_image_get_the_same_404_page(
    gateway: Gateway, alice: SignedUp, bob: SignedUp
) -> None:
    private = image_of(gateway, alice, "private", "a secret yellow star")
    deleted = image_of(gateway, alice, "public", "a deleted secret")
    gateway.visibility.mark_deleted([deleted])
    plain = (STATIC_DIR / "index.html").read_bytes()
    async with gateway.client() as anonymous:
        for client in (anonymous, bob.client):
            answers = set()
            for image_id in (private, deleted, str(uuid.uuid4()), "not-an-id"):
                response = await client.get(f"/i/{image_id}")
                assert response.status_code == 404
                assert response.content == plain
                assert b"og:" not in response.content
                assert b"secret yellow star" not in response.content and b"deleted secret" not in response.content
                headers = {k: v for k, v in response.headers.items() if k != "date"}
                answers.add((response.content, tuple(sorted(headers.items()))))
            assert len(answers) == 1


async def test_the_owner_of_a_private_image_gets_the_page_without_tags(gateway: Gateway, alice: SignedUp) -> None:
    private = image_of(gateway, alice, "private", "a secret yellow star")
    response = await alice.client.get(f"/i/{private}")
    assert response.status_code == 200
    assert response.content == (STATIC_DIR / "index.html").read_bytes()


async def test_a_public_image_made_private_loses_its_preview_at_once(gateway: Gateway, alice: SignedUp) -> None:
    image_id = image_of(gateway, alice, "public", "a soon secret square")
    async with gateway.client() as anonymous:
        assert "og:image" in (await anonymous.get(f"/i/{image_id}")).text
        gateway.visibility.rows[image_id].visibility = 2  # made private
        response = await anonymous.get(f"/i/{image_id}")
    assert response.status_code == 404 and "soon secret" not in response.text


async def test_the_authority_unreachable_shows_no_preview(gateway: Gateway, alice: SignedUp) -> None:
    image_id = image_of(gateway, alice, "public", "a blue square")
    gateway.visibility.available = False
    async with gateway.client() as anonymous:
        response = await anonymous.get(f"/i/{image_id}")
    assert response.status_code == 503 and "og:" not in response.text

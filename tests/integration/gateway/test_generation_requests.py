"""POST /api/v1/generations: input rules, plan rules, idempotency and the service's errors."""

import dataclasses

import grpc
import pytest

from atelier.common.v1 import visibility_pb2
from services.gateway.clients.generation import GenerationClient
from services.gateway.problems import OUT_OF_CREDITS, REASON_METADATA_KEY
from tests.integration.gateway.conftest import Gateway, SignedUp, SignUp
from tests.integration.gateway.fakes import InjectedError

PROBLEM = "application/problem+json"


async def submit(user: SignedUp, body: object, headers: dict[str, str] | None = None):
    return await user.client.post("/api/v1/generations", json=body, headers={**user.csrf, **(headers or {})})


async def test_a_valid_request_is_accepted_with_defaults(gateway: Gateway, alice: SignedUp) -> None:
    response = await submit(alice, {"prompt": "a red circle on a blue background"})

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert response.headers["location"] == f"/api/v1/generations/{body['generation_id']}"
    [sent] = gateway.generation.submissions
    assert sent.owner_id == alice.user_id
    assert sent.params.prompt == "a red circle on a blue background"
    assert sent.params.num_images == 4
    assert sent.params.aspect_ratio == "1:1"
    assert not sent.params.HasField("seed")
    assert sent.visibility == visibility_pb2.VISIBILITY_UNSPECIFIED  # nothing asked: the service decides
    assert gateway.generation.accepted[0].visibility == visibility_pb2.VISIBILITY_PUBLIC


async def test_every_option_reaches_the_service(gateway: Gateway, alice: SignedUp) -> None:
    body = {
        "prompt": "p",
        "negative_prompt": "blurry",
        "seed": 2**32 - 1,
        "num_images": 8,
        "aspect_ratio": "16:9",
        "magic_prompt": True,
        "color_palette": ["#ff0000", "#00FF00"],
        "visibility": "public",
        "mode": "generate",
    }
    assert (await submit(alice, body)).status_code == 202
    [sent] = gateway.generation.submissions
    assert (
        sent.params.negative_prompt,
        sent.params.seed,
        sent.params.num_images,
        sent.params.aspect_ratio,
        sent.params.magic_prompt,
        list(sent.params.color_palette),
        sent.params.mode,
    ) == ("blurry", 2**32 - 1, 8, "16:9", True, ["#ff0000", "#00FF00"], "generate")


@pytest.mark.parametrize("mode", ["upscale", "fast", "remove_background"])
async def test_a_mode_that_does_not_exist_is_refused_and_nothing_charged(
    gateway: Gateway, alice: SignedUp, mode: str
) -> None:
    credits_before = (await alice.client.get("/api/v1/me")).json()["credits"]

    response = await submit(alice, {"prompt": "a red circle on a blue background", "mode": mode})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    message = {item["field"]: item["message"] for item in response.json()["errors"]}["mode"]
    assert message == f"Mode '{mode}' is not available. Supported modes: 'generate' (the default: leave mode out)."
    assert gateway.generation.submissions == []
    assert (await alice.client.get("/api/v1/me")).json()["credits"] == credits_before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"prompt": ""}, "prompt", "Must be at least 1 character(s) long."),
        ({"prompt": "   \n\t"}, "prompt", "The prompt must contain some text."),
        ({"prompt": "x" * 1001}, "prompt", "Must be at most 1000 characters long."),
        ({}, "prompt", "This field is required."),
        ({"prompt": 42}, "prompt", "Must be a string."),
        ({"prompt": "p", "negative_prompt": "n" * 1001}, "negative_prompt", "Must be at most 1000 characters long."),
        ({"prompt": "p", "num_images": 0}, "num_images", "Must be 1 or more."),
        ({"prompt": "p", "num_images": 9}, "num_images", "Must be 8 or less."),
        ({"prompt": "p", "num_images": "4"}, "num_images", "Must be a whole number."),
        ({"prompt": "p", "num_images": 2.5}, "num_images", "Must be a whole number."),
        ({"prompt": "p", "seed": -1}, "seed", "Must be 0 or more."),
        ({"prompt": "p", "seed": 2**32}, "seed", "Must be 4294967295 or less."),
        (
            {"prompt": "p", "aspect_ratio": "2:1"},
            "aspect_ratio",
            "Must be one of '1:1', '16:9', '9:16', '4:3' or '3:4'.",
        ),
        ({"prompt": "p", "visibility": "secret"}, "visibility", "Must be one of 'public', 'private' or 'team'."),
        ({"prompt": "p", "magic_prompt": "yes"}, "magic_prompt", "Must be true or false."),
        ({"prompt": "p", "color_palette": ["red"]}, "color_palette.0", "Must be a colour written #rrggbb."),
        ({"prompt": "p", "source_image_id": "../etc"}, "source_image_id", "Must be a UUID."),
        ({"prompt": "p", "promt": "typo"}, "promt", "Unknown field."),
    ],
)
async def test_bad_input_is_422_with_a_message_per_field_and_nothing_submitted(
    gateway: Gateway, alice: SignedUp, body: dict, field: str, message: str
) -> None:
    response = await submit(alice, body)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    errors = {item["field"]: item["message"] for item in problem["errors"]}
    assert errors[field] == message
    assert field in problem["detail"]
    assert gateway.generation.submissions == []


@pytest.mark.parametrize("raw", [b'{"prompt": "unterminated', b"{'prompt': 'single quotes'}", b"prompt=x"])
async def test_malformed_json_is_400_and_nothing_submitted(gateway: Gateway, alice: SignedUp, raw: bytes) -> None:
    response = await alice.client.post(
        "/api/v1/generations", content=raw, headers={**alice.csrf, "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert "not valid JSON" in response.json()["detail"]
    assert gateway.generation.submissions == []


@pytest.mark.parametrize("raw", [b"[]", b'"a prompt"', b"null"])
async def test_a_body_that_is_not_an_object_is_422(gateway: Gateway, alice: SignedUp, raw: bytes) -> None:
    response = await alice.client.post(
        "/api/v1/generations", content=raw, headers={**alice.csrf, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert gateway.generation.submissions == []


async def test_a_body_in_another_media_type_is_415(gateway: Gateway, alice: SignedUp) -> None:
    response = await alice.client.post(
        "/api/v1/generations",
        content=b"prompt=a+cat",
        headers={**alice.csrf, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert "JSON" in response.json()["detail"]
    assert gateway.generation.submissions == []


async def test_anonymous_callers_get_401_and_nothing_is_submitted(gateway: Gateway) -> None:
    async with gateway.client() as anonymous:
        response = await anonymous.post("/api/v1/generations", json={"prompt": "p"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert gateway.generation.submissions == []


async def test_a_free_plan_cannot_generate_private_images(gateway: Gateway, alice: SignedUp) -> None:
    response = await submit(alice, {"prompt": "p", "visibility": "private"})
    assert response.status_code == 403
    assert response.json()["detail"] == "Private generations need the Plus plan or higher."
    assert gateway.generation.accepted == []
    assert [reason for _, reason in gateway.generation.refused] == ["private_not_entitled"]


async def test_the_plans_limits_answer_429_and_402_in_words(gateway: Gateway, alice: SignedUp) -> None:
    first = await submit(alice, {"prompt": "p", "num_images": 8})  # free: 25 credits, one at a time
    assert first.status_code == 202
    busy = await submit(alice, {"prompt": "p", "num_images": 1})
    assert (busy.status_code, busy.headers["retry-after"]) == (429, "5")
    assert busy.json()["detail"] == (
        "You have 1 generation(s) in progress and your plan allows 1 at a time."
        " Wait for one to finish or upgrade your plan."
    )
    gateway.generation.succeed(first.json()["generation_id"])
    for _ in range(2):  # 17 credits left, then 9, then 1
        accepted = await submit(alice, {"prompt": "p", "num_images": 8})
        gateway.generation.succeed(accepted.json()["generation_id"])
    short = await submit(alice, {"prompt": "p", "num_images": 2})
    assert short.status_code == 402
    assert short.json()["detail"].startswith("Out of credits: this generation needs 2 credits and you have 1.")
    assert len(gateway.generation.accepted) == 3


async def test_the_idempotency_key_is_passed_through_and_a_repeat_is_the_same_generation(
    gateway: Gateway, alice: SignedUp
) -> None:
    first = await submit(alice, {"prompt": "p"}, {"Idempotency-Key": "click-1"})
    again = await submit(alice, {"prompt": "p"}, {"Idempotency-Key": "click-1"})
    assert first.status_code == again.status_code == 202
    assert first.json()["generation_id"] == again.json()["generation_id"]
    assert [s.idempotency_key for s in gateway.generation.submissions] == ["click-1", "click-1"]


async def test_an_overlong_idempotency_key_is_422(gateway: Gateway, alice: SignedUp) -> None:
    response = await submit(alice, {"prompt": "p"}, {"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert gateway.generation.submissions == []


@pytest.mark.parametrize(
    ("error", "status", "detail"),
    [
        (
            InjectedError(grpc.StatusCode.INVALID_ARGUMENT, "prompt: is empty after trimming"),
            422,
            "prompt: is empty after trimming",
        ),
        (
            InjectedError(grpc.StatusCode.FAILED_PRECONDITION, "idempotency key reused for another request"),
            409,
            "idempotency key reused for another request",
        ),
        (
            InjectedError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "You have no credits left.",
                ((REASON_METADATA_KEY, OUT_OF_CREDITS),),
            ),
            402,
            "You have no credits left.",
        ),
        (
            InjectedError(grpc.StatusCode.RESOURCE_EXHAUSTED, "1 generation at a time on the free plan"),
            429,
            "1 generation at a time on the free plan",
        ),
        (InjectedError(grpc.StatusCode.UNAVAILABLE, "connection refused"), 503, "temporarily unavailable"),
        (InjectedError(grpc.StatusCode.INTERNAL, "stack trace here"), 502, "failed to answer"),
    ],
)
async def test_service_errors_become_problems(
    gateway: Gateway, alice: SignedUp, error: InjectedError, status: int, detail: str
) -> None:
    gateway.generation.next_error = error
    response = await submit(alice, {"prompt": "p"})
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert detail in response.json()["detail"]
    assert "stack trace" not in response.text
    if status == 422:
        assert response.json()["errors"] == [{"field": "prompt", "message": "is empty after trimming"}]


async def test_an_unreachable_generation_service_is_503(gateway: Gateway, alice: SignedUp) -> None:
    async with grpc.aio.insecure_channel("127.0.0.1:9") as dead_channel:
        gateway.app.state.deps = dataclasses.replace(
            gateway.app.state.deps, generations=GenerationClient(dead_channel, timeout_s=2)
        )
        response = await submit(alice, {"prompt": "p"})
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM


async def test_someone_elses_private_image_cannot_be_the_source(
    gateway: Gateway, sign_up: SignUp, alice: SignedUp
) -> None:
    bob = await sign_up("bob")
    bobs = gateway.generation.add(bob.user_id, visibility="private")
    [bobs_image, *_] = gateway.generation.succeed(bobs.generation_id)
    response = await submit(alice, {"prompt": "p", "source_image_id": bobs_image})
    assert response.status_code == 404
    assert response.json()["detail"] == "Source image not found."
    assert gateway.generation.submissions == []


async def test_someone_elses_public_image_can_be_the_source(gateway: Gateway, sign_up: SignUp, alice: SignedUp) -> None:
    bob = await sign_up("bob")
    bobs = gateway.generation.add(bob.user_id)
    [bobs_image, *_] = gateway.generation.succeed(bobs.generation_id)
    response = await submit(alice, {"prompt": "p", "source_image_id": bobs_image})
    assert response.status_code == 202, response.text
    assert gateway.generation.submissions[0].params.source_image_id == bobs_image

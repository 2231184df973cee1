"""The server-sent-event stream of a generation: owner only, live previews, then the final images."""

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from atelier.generation.v1 import events_pb2
from contracts.generation import progress_subject
from tests.integration.gateway.conftest import Gateway, SignedUp, SignUp
from tests.integration.gateway.fakes import png_bytes


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict]]:
    """(event, data) pairs as they arrive; comments and retry lines are skipped."""
    event, data = "message", []
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield event, json.loads("\n".join(data))
            event, data = "message", []
        elif line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data.append(line.removeprefix("data: "))


def progress(generation_id: str, owner_id: str, step: int) -> events_pb2.GenerationProgress:
    return events_pb2.GenerationProgress(
        generation_id=generation_id,
        owner_id=owner_id,
        step=step,
        total=20,
        previews_png=[png_bytes((step, 0, 0), size=16) for _ in range(4)],
    )


@pytest.fixture
async def alice(sign_up: SignUp, live_gateway: str) -> SignedUp:
    return await sign_up("alice", base_url=live_gateway)


async def test_the_owner_sees_state_then_previews_then_the_images(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with alice.client.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "private, no-store"
        events = sse_events(response)

        event, state = await anext(events)
        assert (event, state["status"], state["generation_id"]) == ("state", "queued", generation_id)

        gateway.progress.publish(progress(generation_id, alice.user_id, step=5))
        event, data = await anext(events)
        assert (event, data["step"], data["total"], len(data["previews"])) == ("progress", 5, 20, 4)
        assert base64.b64decode(data["previews"][0].removeprefix("data:image/png;base64,")).startswith(b"\x89PNG")

        image_ids = gateway.generation.succeed(generation_id)
        event, done = await anext(events)
        assert (event, done["status"]) == ("completed", "succeeded")
        assert [image["url"] for image in done["images"]] == [f"/api/v1/images/{i}/content" for i in image_ids]

        assert [item async for item in events] == []  # and the stream ends


async def test_a_failure_ends_the_stream_with_the_reason(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with alice.client.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
        events = sse_events(response)
        assert (await anext(events))[0] == "state"
        gateway.generation.fail(generation_id, "Triton is down.")
        event, data = await anext(events)
        assert (event, data["error"]) == ("failed", "Triton is down.")
        assert [item async for item in events] == []


async def test_a_late_subscriber_gets_the_final_state_at_once(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    gateway.generation.succeed(generation_id)
    async with alice.client.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
        received = [item async for item in sse_events(response)]
    assert [event for event, _ in received] == ["state", "completed"]
    assert len(received[1][1]["images"]) == 4


async def test_progress_known_only_to_the_service_still_moves_the_bar(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with alice.client.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
        events = sse_events(response)
        await anext(events)
        gateway.generation.set_progress(generation_id, 10)  # its NATS message was lost
        event, data = await anext(events)
        assert (event, data) == ("progress", {"step": 10, "total": 20, "previews": []})


async def test_a_progress_message_naming_another_owner_is_not_relayed(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with alice.client.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
        events = sse_events(response)
        await anext(events)
        gateway.progress.publish(progress(generation_id, owner_id=str(uuid.uuid4()), step=3))
        gateway.progress.publish(progress(generation_id, alice.user_id, step=4))
        event, data = await anext(events)
        assert (event, data["step"]) == ("progress", 4)


async def test_nobody_else_can_follow_a_generation(
    gateway: Gateway, sign_up: SignUp, alice: SignedUp, live_gateway: str
) -> None:
    bob = await sign_up("bob", base_url=live_gateway)
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with httpx.AsyncClient(base_url=live_gateway) as anonymous:
        path = f"/api/v1/generations/{generation_id}/events"
        answers = [await client.get(path) for client in (bob.client, anonymous)]
        wildcard = await bob.client.get("/api/v1/generations/*/events")
        missing = await bob.client.get(f"/api/v1/generations/{uuid.uuid4()}/events")
    for response in [*answers, wildcard, missing]:
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Generation not found."
    assert gateway.progress.subscribed_ids == []  # nobody was ever subscribed to its previews


@pytest.mark.parametrize("generation_id", ["*", ">", "abc.>", "", "00000000-0000-0000-0000-000000000000.x"])
def test_no_wildcard_or_foreign_subject_can_be_subscribed_to(generation_id: str) -> None:
    with pytest.raises(ValueError):
        progress_subject(generation_id)


async def _rest(events: AsyncIterator[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """What the stream still sends before it ends; one that outlives 20 heartbeats (10 s) has not ended."""

    async def drain() -> list[tuple[str, dict]]:
        return [item async for item in events]

    return await asyncio.wait_for(drain(), 10)


async def test_revoking_the_api_key_ends_the_stream_before_another_preview(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    [key] = (await alice.client.get("/api/v1/api-keys")).json()["items"]
    async with httpx.AsyncClient(base_url=str(alice.client.base_url), headers=alice.bearer, timeout=30) as by_key:
        async with by_key.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
            events = sse_events(response)
            assert (await anext(events))[0] == "state"
            gateway.progress.publish(progress(generation_id, alice.user_id, step=5))
            assert (await anext(events))[0] == "progress"

            revoked = await alice.client.delete(f"/api/v1/api-keys/{key['id']}", headers=alice.csrf)
            assert revoked.status_code == 204
            gateway.progress.publish(progress(generation_id, alice.user_id, step=6))
            assert await _rest(events) == []  # it ends, and step 6 never left


async def test_logging_out_ends_the_sessions_stream(gateway: Gateway, alice: SignedUp) -> None:
    generation_id = gateway.generation.add(alice.user_id).generation_id
    async with httpx.AsyncClient(base_url=str(alice.client.base_url), cookies=alice.client.cookies) as same_session:
        async with same_session.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
            events = sse_events(response)
            assert (await anext(events))[0] == "state"
            assert (await alice.client.post("/api/v1/auth/logout", headers=alice.csrf)).status_code == 204
            gateway.progress.publish(progress(generation_id, alice.user_id, step=6))
            assert await _rest(events) == []

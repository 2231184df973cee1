"""The gateway as its own process against real Postgres, NATS, object store and the real billing,
visibility and generation API services (no worker: generations stay queued, which is what these
tests need)."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest

from atelier.generation.v1 import events_pb2
from tests.support.accounts import User, sign_up
from tests.support.services import Infra, ServiceStack, fresh_database
from tools.devstack import NatsServer, free_port

pytestmark = pytest.mark.integration

UNUSED_TRITON = f"127.0.0.1:{free_port()}"


@pytest.fixture
def stack(postgres_url: str, object_store) -> Iterator[ServiceStack]:
    root = Path(tempfile.mkdtemp(prefix="atelier-gateway-"))
    # A NATS of its own: the services' durable consumers must not take another stack's events.
    nats_server = NatsServer(root / "nats", free_port())
    nats_server.start()
    infra = Infra(
        database_url=fresh_database(postgres_url),
        nats_url=nats_server.url,
        s3_endpoint=object_store.endpoint,
        s3_access_key=object_store.access_key,
        s3_secret_key=object_store.secret_key,
        s3_bucket=object_store.bucket,
        triton_url=UNUSED_TRITON,
    )
    services = ServiceStack(infra, root / "logs")
    try:
        with services.started_together():
            services.start_billing()
            services.start_visibility()
            services.start_generation_api()
            services.start_gateway()
        yield services
    finally:
        services.stop_all()
        nats_server.stop()
        shutil.rmtree(root, ignore_errors=True)


def submit(base_url: str, user: User, prompt: str = "a red circle on a blue background") -> str:
    reply = httpx.post(f"{base_url}/api/v1/generations", headers=user.headers, json={"prompt": prompt})
    assert reply.status_code == 202, reply.text
    return reply.json()["generation_id"]


def wait_ready(base_url: str) -> httpx.Response:
    # The gateway accepts connections before the generation API's health answers SERVING (it is
    # `degraded`, already in the Service, until then).
    for _ in range(100):
        reply = httpx.get(f"{base_url}/readyz")
        if reply.status_code == 200 and reply.json()["status"] == "ready":
            return reply
        time.sleep(0.1)
    return reply


def test_ready_when_every_dependency_is_up_and_a_stopped_service_degrades_only_its_routes(stack: ServiceStack) -> None:
    ready = wait_ready(stack.gateway_url)
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "generation": "ok", "visibility": "ok", "billing": "ok"},
    }
    user = sign_up(stack.gateway_url)

    stack.stop("generation-api")
    degraded = httpx.get(f"{stack.gateway_url}/readyz")
    assert degraded.status_code == 200, degraded.text  # the pod stays in the Service
    assert degraded.json()["status"] == "degraded"
    assert [name for name, state in degraded.json()["checks"].items() if state != "ok"] == ["generation"]
    assert httpx.get(f"{stack.gateway_url}/").status_code == 200
    sign_up(stack.gateway_url)  # sign-in goes on
    submitted = httpx.post(f"{stack.gateway_url}/api/v1/generations", headers=user.headers, json={"prompt": "p"})
    assert submitted.status_code == 503
    assert submitted.headers["content-type"] == "application/problem+json"
    assert httpx.get(f"{stack.gateway_url}/healthz").status_code == 200


def test_the_gateway_needs_no_nats(stack: ServiceStack) -> None:
    """Previews come through generation-api's WatchProgress: a NATS that cannot be reached is none
    of the gateway's business."""
    stack.stop("gateway")
    closed_port = free_port()
    stack.start(
        "gateway", "services.gateway", ready_port=stack.http_port, ATELIER_NATS_URL=f"nats://127.0.0.1:{closed_port}"
    )
    assert wait_ready(stack.gateway_url).status_code == 200
    user = sign_up(stack.gateway_url)
    generation_id = submit(stack.gateway_url, user)
    assert httpx.get(f"{stack.gateway_url}/api/v1/generations/{generation_id}", headers=user.headers).status_code == 200


def test_a_generation_is_visible_to_its_owner_only(stack: ServiceStack) -> None:
    owner, other = sign_up(stack.gateway_url), sign_up(stack.gateway_url)
    generation_id = submit(stack.gateway_url, owner, prompt="a private-looking purple star")

    mine = httpx.get(f"{stack.gateway_url}/api/v1/generations/{generation_id}", headers=owner.headers)
    assert mine.status_code == 200
    assert mine.json()["status"] == "queued"
    assert mine.json()["prompt"] == "a private-looking purple star"
    listed = httpx.get(f"{stack.gateway_url}/api/v1/generations", headers=owner.headers).json()
    assert [item["generation_id"] for item in listed["items"]] == [generation_id]

    for headers in (other.headers, {}):
        for path in (f"/api/v1/generations/{generation_id}", f"/api/v1/generations/{generation_id}/events"):
            reply = httpx.get(f"{stack.gateway_url}{path}", headers=headers)
            assert reply.status_code == 404, (path, reply.text)
            assert "purple star" not in reply.text
    assert httpx.get(f"{stack.gateway_url}/api/v1/generations", headers=other.headers).json()["items"] == []


def test_an_idempotent_repeat_is_counted_once(stack: ServiceStack) -> None:
    user = sign_up(stack.gateway_url)
    headers = {**user.headers, "Idempotency-Key": "double-click"}
    first = httpx.post(f"{stack.gateway_url}/api/v1/generations", headers=headers, json={"prompt": "a cat"})
    again = httpx.post(f"{stack.gateway_url}/api/v1/generations", headers=headers, json={"prompt": "a cat"})
    assert first.json()["generation_id"] == again.json()["generation_id"]
    metrics = httpx.get(f"{stack.gateway_url}/metrics").text
    assert "atelier_generations_submitted_total 1.0" in metrics


async def publish_progress(nats_url: str, generation_id: str, owner_id: str, step: int) -> None:
    client = await nats.connect(nats_url)
    try:
        progress = events_pb2.GenerationProgress(
            generation_id=generation_id, owner_id=owner_id, step=step, total=20, previews_png=[b"\x89PNG-not-really"]
        )
        await client.publish(f"atelier.progress.{generation_id}", progress.SerializeToString())
        await client.flush()
    finally:
        await client.close()


def test_progress_on_nats_reaches_the_owners_event_stream(stack: ServiceStack) -> None:
    owner = sign_up(stack.gateway_url)
    generation_id = submit(stack.gateway_url, owner)
    # Another generation's progress, published on its own subject, must not leak into this stream.
    unrelated = str(uuid.uuid4())

    with httpx.stream(
        "GET", f"{stack.gateway_url}/api/v1/generations/{generation_id}/events", headers=owner.headers, timeout=30
    ) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        events: list[tuple[str, dict]] = []
        event = ""
        for line in lines:
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((event, json.loads(line.removeprefix("data: "))))
                if event == "state":
                    # The gateway subscribes before it sends the state: publishing now cannot be missed.
                    asyncio.run(publish_progress(stack.infra.nats_url, unrelated, owner.user_id, step=9))
                    asyncio.run(publish_progress(stack.infra.nats_url, generation_id, owner.user_id, step=5))
                if event == "progress":
                    break
    assert [name for name, _ in events] == ["state", "progress"]
    assert events[1][1]["step"] == 5
    assert events[1][1]["previews"][0].startswith("data:image/png;base64,")

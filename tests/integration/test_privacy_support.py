"""Shared by the privacy tests (holds no tests itself): the whole platform on real servers —
billing, visibility, feed, generation API and worker, gateway; real Postgres, NATS JetStream, the S3
store and Triton — plus an operator's billing client and the probes that look for leaks."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.support.services import Infra, ServiceStack
from tests.support.waiting import wait_until
from tools.devstack import NatsServer, free_port

PASSWORD = "correct horse 1"
GENERATION_TIMEOUT_S = 120.0
# Every read endpoint of an image (the generation's endpoints are probed through its id).
IMAGE_READS = ("", "/content", "/content?size=thumb&format=jpg", "/share")


@dataclass(frozen=True)
class Account:
    user_id: str
    username: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


ANONYMOUS: dict[str, str] = {}


class Platform:
    """The gateway's HTTP API as users see it, and billing's operator gRPC as an operator uses it."""

    def __init__(self, stack: ServiceStack):
        self.stack = stack
        self.url = stack.gateway_url
        # Never holds cookies: a request is a user's only when it sends that user's API key.
        self.http = httpx.Client(base_url=self.url, timeout=30)
        self._billing_channel = stack.sync_channel("billing")
        self.billing = billing_pb2_grpc.BillingServiceStub(self._billing_channel)

    def close(self) -> None:
        self.http.close()
        self._billing_channel.close()

    # accounts and plans

    def sign_up(self, prefix: str = "u") -> Account:
        username = f"{prefix}_{uuid.uuid4().hex[:10]}"
        # Not through self.http: sign-up sets session cookies, and the shared client must stay
        # anonymous unless a request sends a user's key.
        reply = httpx.post(
            f"{self.url}/api/v1/auth/signup", json={"username": username, "password": PASSWORD}, timeout=30
        )
        assert reply.status_code == 201, reply.text
        body = reply.json()
        return Account(body["user_id"], body["username"], body["api_key"])

    def change_plan(self, user: Account, plan: str, period_end: datetime | None = None) -> billing_pb2.Account:
        request = billing_pb2.ChangePlanRequest(user_id=user.user_id, plan=plan, actor="operator:tests")
        if period_end is not None:
            stamp = Timestamp()
            stamp.FromDatetime(period_end)
            request.current_period_end.CopyFrom(stamp)
        return self.billing.ChangePlan(request, timeout=10).account

    def lapse(self, user: Account, plan: str = "plus") -> billing_pb2.Account:
        """The subscription to `plan` ended yesterday."""
        return self.change_plan(user, plan, datetime.now(UTC) - timedelta(days=1))

    def me(self, user: Account) -> dict:
        reply = self.http.get("/api/v1/me", headers=user.headers)
        assert reply.status_code == 200, reply.text
        return reply.json()

    # generations

    def submit(
        self,
        user: Account,
        prompt: str,
        visibility: str | None = None,
        num_images: int = 1,
        steps: int = 2,
        **extra: object,
    ) -> httpx.Response:
        """`extra`: more of the request's fields (style_image_id, …)."""
        body: dict = {"prompt": prompt, "num_images": num_images, "steps": steps, **extra}
        if visibility is not None:
            body["visibility"] = visibility
        return self.http.post("/api/v1/generations", json=body, headers=user.headers)

    def wait(self, user: Account, generation_id: str, timeout: float = GENERATION_TIMEOUT_S) -> dict:
        def finished() -> dict | None:
            reply = self.http.get(f"/api/v1/generations/{generation_id}", headers=user.headers)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            return body if body["status"] in ("succeeded", "failed") else None

        return wait_until(finished, f"generation {generation_id} finished", timeout, interval=0.2)

    def generate(
        self, user: Account, prompt: str, visibility: str | None = None, num_images: int = 1, **extra: object
    ) -> dict:
        """`extra`: as submit's."""
        reply = self.submit(user, prompt, visibility, num_images, **extra)
        assert reply.status_code == 202, reply.text
        generation = self.wait(user, reply.json()["generation_id"])
        assert generation["status"] == "succeeded", generation
        return generation

    # visibility

    def set_visibility(self, user: Account, image_id: str, visibility: str) -> httpx.Response:
        return self.http.patch(f"/api/v1/images/{image_id}", json={"visibility": visibility}, headers=user.headers)

    def set_many(self, user: Account, image_ids: list[str], visibility: str) -> httpx.Response:
        return self.http.post(
            "/api/v1/images/visibility", json={"image_ids": image_ids, "visibility": visibility}, headers=user.headers
        )

    def share_with_team(self, user: Account, image_id: str, team_id: str) -> httpx.Response:
        body = {"visibility": "team", "team_id": team_id}
        return self.http.patch(f"/api/v1/images/{image_id}", json=body, headers=user.headers)

    # teams

    def create_team(self, owner: Account, name: str = "crew") -> str:
        reply = self.http.post("/api/v1/teams", json={"name": name}, headers=owner.headers)
        assert reply.status_code == 201, reply.text
        return reply.json()["team_id"]

    def invite(self, actor: Account, team_id: str, username: str) -> httpx.Response:
        return self.http.post(
            f"/api/v1/teams/{team_id}/invitations", json={"username": username}, headers=actor.headers
        )

    def join(self, owner: Account, team_id: str, member: Account) -> None:
        """The owner invites the member, who accepts."""
        assert self.invite(owner, team_id, member.username).status_code == 201
        reply = self.http.post(f"/api/v1/teams/{team_id}/accept", headers=member.headers)
        assert reply.status_code == 200, reply.text

    def remove_member(self, actor: Account, team_id: str, member: Account) -> httpx.Response:
        return self.http.delete(f"/api/v1/teams/{team_id}/members/{member.user_id}", headers=actor.headers)

    def creations(self, user: Account, visibility: str = "all") -> list[dict]:
        items: list[dict] = []
        cursor = None
        for _ in range(100):
            params = {"visibility": visibility, "limit": 100, **({"cursor": cursor} if cursor else {})}
            reply = self.http.get("/api/v1/me/creations", params=params, headers=user.headers)
            assert reply.status_code == 200, reply.text
            page = reply.json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
        raise AssertionError("creations never ended")


def fingerprint(response: httpx.Response) -> tuple:
    """What a caller can observe of an answer, minus the echoed path and the date."""
    try:
        body = sorted((k, repr(v)) for k, v in response.json().items() if k != "instance")
    except ValueError:
        body = [("raw", response.content[:64].hex())]
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("date", "content-length"))
    return response.status_code, tuple(headers), tuple(body)


def missing_image_answers(platform: Platform, headers: dict[str, str]) -> dict[str, tuple]:
    """How each image endpoint answers for an id that never existed (the reference 404s)."""
    unknown = str(uuid.uuid4())
    return {
        path: fingerprint(platform.http.get(f"/api/v1/images/{unknown}{path}", headers=headers)) for path in IMAGE_READS
    }


def assert_hidden(
    platform: Platform, image_id: str, headers: dict[str, str], secret: str, reference: dict[str, tuple]
) -> None:
    """Every image read answers exactly like an unknown id, and nothing of the image shows."""
    for path in IMAGE_READS:
        reply = platform.http.get(f"/api/v1/images/{image_id}{path}", headers=headers)
        assert reply.status_code == 404, (path, reply.status_code, reply.text[:200])
        assert fingerprint(reply) == reference[path], (path, fingerprint(reply), reference[path])
        assert secret not in reply.text
    # The share page: the same 404 page as an unknown id's, byte for byte, with no preview tag.
    page = platform.http.get(f"/i/{image_id}", headers=headers)
    unknown = platform.http.get(f"/i/{uuid.uuid4()}", headers=headers)
    assert (page.status_code, page.content) == (404, unknown.content)
    assert b"og:" not in page.content and secret not in page.text


def assert_public(platform: Platform, image_id: str, headers: dict[str, str], secret: str) -> None:
    meta = platform.http.get(f"/api/v1/images/{image_id}", headers=headers)
    assert meta.status_code == 200, meta.text
    assert meta.json()["visibility"] == "public" and secret in meta.json()["prompt"]
    content = platform.http.get(f"/api/v1/images/{image_id}/content", headers=headers)
    assert content.status_code == 200
    assert content.headers["cache-control"] == "public, max-age=30"
    page = platform.http.get(f"/i/{image_id}", headers=headers)
    assert page.status_code == 200 and f"/api/v1/images/{image_id}/content" in page.text
    assert 'property="og:image"' in page.text and secret in page.text


@contextmanager
def running_platform(postgres_url: str, object_store, triton_url: str, **overrides: str) -> Iterator[Platform]:
    """The whole platform with its own NATS and database; `overrides` are ATELIER_* settings."""
    root = Path(tempfile.mkdtemp(prefix="atelier-privacy-"))
    nats_server = NatsServer(root / "nats", free_port())
    nats_server.start()
    stack = ServiceStack(
        Infra.on(postgres_url, nats_server.url, object_store, triton_url), root / "logs", overrides=overrides
    )
    platform = None
    try:
        stack.start_platform()
        platform = Platform(stack)

        def fully_ready() -> bool:
            ready = platform.http.get("/readyz")
            return ready.status_code == 200 and ready.json()["status"] == "ready"

        try:
            wait_until(fully_ready, "platform ready", 60, interval=0.2)
        except AssertionError as error:
            raise AssertionError(f"{error}: {platform.http.get('/readyz').text}\n{stack.logs()}") from None
        yield platform
    finally:
        if platform is not None:
            platform.close()
        stack.stop_all()
        nats_server.stop()
        shutil.rmtree(root, ignore_errors=True)

"""The soak's users: they submit generations through the public HTTP API, retry what a real client
retries (a connection error, a 5xx, a 429) with the same Idempotency-Key, and follow each accepted
generation until it ends."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

log = logging.getLogger(__name__)

TERMINAL = ("succeeded", "failed")
RETRY_PAUSE_S = 0.5
POLL_INTERVAL_S = 0.5
# Refusals that retrying cannot change: the soak's users should never meet them.
FINAL_REFUSALS = (400, 402, 403, 404, 409, 422)


@dataclass(frozen=True)
class SoakUser:
    user_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@dataclass(frozen=True)
class PlannedGeneration:
    index: int
    user: SoakUser
    idempotency_key: str | None
    visibility: str
    # Submit once more with the same key after it was accepted: a client that lost the answer.
    resubmit: bool

    @property
    def body(self) -> dict[str, object]:
        return {
            "prompt": f"a red circle on a blue background, soak {self.index}",
            "visibility": self.visibility,
            "seed": self.index,
            "steps": 8,
        }


def plan_generations(users: list[SoakUser], count: int) -> list[PlannedGeneration]:
    """A third without an Idempotency-Key (retried anyway, as a user clicking again would), the
    rest with one, and every third of those resubmitted after acceptance; half private."""
    return [
        PlannedGeneration(
            index=n,
            user=users[n % len(users)],
            idempotency_key=None if n % 3 == 0 else f"soak-{n}",
            visibility="private" if n % 2 else "public",
            resubmit=n % 3 == 2,
        )
        for n in range(count)
    ]


@dataclass
class Outcome:
    planned: PlannedGeneration
    generation_ids: set[str] = field(default_factory=set)  # more than one: duplicated
    status: str = ""
    error: str = ""
    image_count: int = 0
    latency_s: float | None = None
    refusal: str = ""


@dataclass
class ClientTally:
    """What the client saw: answers by status code, connection errors, retries."""

    statuses: Counter[int] = field(default_factory=Counter)
    connection_errors: int = 0
    retries: int = 0

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500)


class SoakClient:
    def __init__(self, http: httpx.AsyncClient, deadline: float) -> None:
        self.http = http
        self.deadline = deadline
        self.tally = ClientTally()
        self.finished = 0  # generations followed to their end, for the kill schedule
        self.progress = asyncio.Event()

    async def run(self, planned: list[PlannedGeneration], concurrency: int) -> list[Outcome]:
        slots = asyncio.Semaphore(concurrency)

        async def one(plan: PlannedGeneration) -> Outcome:
            async with slots:
                outcome = await self.generate(plan)
            self.finished += 1
            self.progress.set()
            return outcome

        return list(await asyncio.gather(*(one(plan) for plan in planned)))

    async def generate(self, plan: PlannedGeneration) -> Outcome:
        outcome = Outcome(plan)
        started = time.monotonic()
        generation_id = await self._submit(plan, outcome)
        if generation_id is None:
            return outcome
        if plan.resubmit and (again := await self._submit(plan, outcome)) is not None:
            outcome.generation_ids.add(again)
        body = await self._follow(generation_id, plan.user)
        if body is not None:
            outcome.status = body["status"]
            outcome.error = body.get("error") or ""
            outcome.image_count = len(body.get("images") or [])
            outcome.latency_s = time.monotonic() - started
        return outcome

    async def _submit(self, plan: PlannedGeneration, outcome: Outcome) -> str | None:
        headers = dict(plan.user.headers)
        if plan.idempotency_key:
            headers["Idempotency-Key"] = plan.idempotency_key
        while time.monotonic() < self.deadline:
            reply = await self._call("POST", "/api/v1/generations", headers, json=plan.body)
            if reply is not None and reply.status_code == 202:
                generation_id = reply.json()["generation_id"]
                outcome.generation_ids.add(generation_id)
                return generation_id
            if reply is not None and reply.status_code in FINAL_REFUSALS:
                outcome.refusal = f"{reply.status_code} {reply.text[:200]}"
                return None
            await self._pause(reply)
        outcome.refusal = "never accepted before the soak's deadline"
        return None

    async def _follow(self, generation_id: str, user: SoakUser) -> dict | None:
        while time.monotonic() < self.deadline:
            reply = await self._call("GET", f"/api/v1/generations/{generation_id}", user.headers)
            if reply is not None and reply.status_code == 200 and reply.json()["status"] in TERMINAL:
                return reply.json()
            await asyncio.sleep(POLL_INTERVAL_S)
        return None

    async def _call(self, method: str, path: str, headers: dict[str, str], **kwargs) -> httpx.Response | None:
        try:
            reply = await self.http.request(method, path, headers=headers, **kwargs)
        except httpx.TransportError as error:
            self.tally.connection_errors += 1
            log.info("soak client: %s %s: %r", method, path, error)
            return None
        self.tally.statuses[reply.status_code] += 1
        if reply.status_code >= 500:
            log.warning("soak client: %s %s: %d %s", method, path, reply.status_code, reply.text[:300])
        return reply

    async def _pause(self, reply: httpx.Response | None) -> None:
        self.tally.retries += 1
        wait = RETRY_PAUSE_S
        if reply is not None and reply.status_code == 429:
            wait = min(float(reply.headers.get("Retry-After") or RETRY_PAUSE_S), 2.0)
        await asyncio.sleep(wait)

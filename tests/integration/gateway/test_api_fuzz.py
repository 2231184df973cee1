"""Schemathesis against the gateway's own OpenAPI document: at least 5,000 generated requests,
authenticated as a signed-up user, and not one answered with a 5xx (issue 10).

The gateway runs in-process (real Postgres, fake services; conftest.py) on the test's event loop and
gets each request through httpx's ASGI transport (no sockets: about twice as many cases per second as
over uvicorn); schemathesis draws the cases in a child process meanwhile (fuzz_cases.py), so drawing
and answering use both cores. The requests are sent one after another, in the order drawn.
"""

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.integration.gateway.conftest import Gateway, SignUp
from tests.integration.gateway.fuzz_cases import Request, drawn_in_a_child

log = logging.getLogger(__name__)

MIN_CASES = 5000
EXAMPLES_PER_OPERATION = 200
# The child's first batch waits for its start-up (imports, the schema read); later ones are quick.
BATCH_WAIT_S = 120


@dataclass
class FuzzResult:
    cases: int = 0
    by_status: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


# About 90 s of CPU for ~5,200 cases, both processes together (measured with the machine shared
# eight ways: 6.5 min of wall time).
@pytest.mark.timeout(1200)
async def test_generated_requests_never_get_a_server_error(gateway: Gateway, sign_up: SignUp) -> None:
    fuzzer = await sign_up("fuzzer")
    headers = {"Authorization": f"Bearer {fuzzer.api_key}"}
    result = FuzzResult()
    async with gateway.client() as client:
        document = (await client.get("/api/v1/openapi.json")).json()
        with drawn_in_a_child(document, headers, EXAMPLES_PER_OPERATION) as batches:
            while (batch := await asyncio.to_thread(batches.get, timeout=BATCH_WAIT_S)) is not None:
                for request in batch:
                    await _send(client, request, result)
    summary = f"schemathesis: {result.cases} cases, {len(result.server_errors)} answered 5xx; {dict(result.by_status)}"
    log.warning(summary)
    assert result.cases >= MIN_CASES
    assert result.server_errors == []


async def _send(client: httpx.AsyncClient, request: Request, result: FuzzResult) -> None:
    response = await asyncio.wait_for(client.request(**request.kwargs), timeout=60)
    result.cases += 1
    result.by_status[response.status_code] += 1
    if response.status_code >= 500:
        result.server_errors.append(f"{request.description} → {response.status_code} {response.text[:200]}")

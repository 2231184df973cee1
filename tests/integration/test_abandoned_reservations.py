"""Credits reserved by a generation-api process that died before it wrote the generation come
back within a minute, not after billing's one-day expiry (found by the fault soak,
tests/soak/): the pending row committed before ReserveCredits outlives the process, and the
API's sweep releases what it names."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from tests.support.generation import credit_balance, submit_request, table_count
from tests.support.identity import as_user
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def open_reservations(infra) -> int:
    with psycopg.connect(infra.database_url) as conn:
        return conn.execute("SELECT count(*) FROM billing.open_reservations").fetchone()[0]


async def test_credits_of_a_submission_that_died_before_writing_its_generation_come_back(stack, infra):
    stack.overrides.update({"ATELIER_RESERVATION_RECOVERY_AFTER_S": "1", "ATELIER_RESERVATION_SWEEP_INTERVAL_S": "0.2"})
    with stack.started_together():
        stack.start_billing()
        stack.start_visibility()
        stack.start_generation_api()
    before = await credit_balance(stack, "alice")
    # What a generation-api SIGKILLed between ReserveCredits and its transaction leaves behind.
    abandoned = uuid.uuid4()
    with psycopg.connect(infra.database_url) as conn:
        conn.execute(
            "INSERT INTO generation.pending_reservations (generation_id, owner_id) VALUES (%s, 'alice')", (abandoned,)
        )
    async with stack.channel("billing", "generation-api") as channel:
        await billing_pb2_grpc.BillingServiceStub(channel).ReserveCredits(
            billing_pb2.ReserveCreditsRequest(user_id="alice", generation_id=str(abandoned), amount=4),
            metadata=as_user("alice", stack.pki),  # the token the gateway signed, as generation-api forwards it
        )
    assert await credit_balance(stack, "alice") == before - 4

    await eventually(lambda: open_reservations(infra) == 0, "the abandoned reservation released", timeout=60)
    assert await credit_balance(stack, "alice") == before
    assert table_count(infra.database_url, "pending_reservations") == 0


async def test_a_written_generation_keeps_its_credits_and_leaves_nothing_pending(stack, infra, client):
    before = await credit_balance(stack, "alice")
    reply = await client.Submit(submit_request(key="kept"))
    assert reply.created
    assert table_count(infra.database_url, "pending_reservations") == 0
    assert open_reservations(infra) == 1
    assert await credit_balance(stack, "alice") == before - 4

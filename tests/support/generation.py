"""Talking to the generation service in tests."""

from __future__ import annotations

import psycopg

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.generation.v1 import generation_pb2
from tests.support.waiting import eventually

SUCCEEDED = generation_pb2.GENERATION_STATUS_SUCCEEDED
FAILED = generation_pb2.GENERATION_STATUS_FAILED


def submit_request(owner="alice", prompt="a red circle on a blue background", key="", api_key_id="", **params):
    return generation_pb2.SubmitRequest(
        owner_id=owner,
        idempotency_key=key,
        params=generation_pb2.GenerationParams(prompt=prompt, **params),
        api_key_id=api_key_id,
    )


async def wait_finished(client, generation_id: str, owner="alice", timeout=90.0) -> generation_pb2.Generation:
    async def finished() -> generation_pb2.Generation | None:
        reply = await client.GetGeneration(
            generation_pb2.GetGenerationRequest(generation_id=generation_id, viewer_id=owner)
        )
        return reply.generation if reply.generation.status in (SUCCEEDED, FAILED) else None

    return await eventually(finished, f"generation {generation_id} finished", timeout, interval=0.2)


def table_count(database_url: str, table: str) -> int:
    with psycopg.connect(database_url) as conn:
        return conn.execute(f"SELECT count(*) FROM generation.{table}").fetchone()[0]


async def credit_balance(stack, user: str) -> int:
    """The user's credits, as the stack's billing service counts them."""
    async with stack.channel("billing") as channel:
        reply = await billing_pb2_grpc.BillingServiceStub(channel).GetAccount(
            billing_pb2.GetAccountRequest(user_id=user)
        )
        return reply.account.credits


async def change_plan(stack, user: str, plan: str) -> None:
    """Puts the user on a plan in the stack's billing service (the generation service asks it)."""
    async with stack.channel("billing") as channel:
        await billing_pb2_grpc.BillingServiceStub(channel).ChangePlan(
            billing_pb2.ChangePlanRequest(user_id=user, plan=plan, actor="operator:test")
        )

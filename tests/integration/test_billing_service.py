"""The billing service as a real process against real Postgres and NATS JetStream: credits are
charged exactly once whatever the events do, plans change from the operator and from signed
provider webhooks, lapses follow the clock, and a killed process loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import nats
import nats.js.errors
import psycopg
import pytest
from google.protobuf import timestamp_pb2

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc, events_pb2
from atelier.generation.v1 import events_pb2 as generation_events
from contracts import generation
from glue.events import ensure_streams, make_envelope
from services.billing.webhooks import signature_header
from tests.support.events import stream_events
from tests.support.services import REPO_ROOT, Infra, ServiceStack
from tests.support.waiting import consumers_caught_up
from tools.devstack import free_port

pytestmark = pytest.mark.integration

SECRET = "whsec_integration_test_secret_0123"
ACTIVE = billing_pb2.SUBSCRIPTION_STATUS_ACTIVE
LAPSED = billing_pb2.SUBSCRIPTION_STATUS_LAPSED
NONE = billing_pb2.SUBSCRIPTION_STATUS_NONE
PAID_ENTITLEMENTS = {"private_generation", "download_png", "upscale", "edit", "delete_generation", "custom_models"}
WAIT_S = 60.0


@pytest.fixture
def infra(postgres_url, own_nats) -> Infra:
    # Billing needs neither the object store nor Triton.
    return Infra.without_media(postgres_url, own_nats.url)


@pytest.fixture
def metrics_port() -> int:
    return free_port()


@pytest.fixture
def stack(infra, tmp_path, metrics_port, request) -> Iterator[ServiceStack]:
    overrides = {
        "ATELIER_BILLING_WEBHOOK_SECRET": SECRET,
        "ATELIER_BILLING_CONSUMER_ACK_WAIT_S": "3",
        "ATELIER_BILLING_SWEEP_INTERVAL_S": "0.5",
        "ATELIER_METRICS_PORT": str(metrics_port),
        **getattr(request, "param", {}),
    }
    services = ServiceStack(infra, tmp_path / "logs", overrides=overrides)
    try:
        yield services
    finally:
        services.stop_all()


@pytest.fixture
async def billing(stack) -> AsyncIterator[billing_pb2_grpc.BillingServiceStub]:
    stack.start_billing()
    async with stack.channel("billing") as channel:
        yield billing_pb2_grpc.BillingServiceStub(channel)


async def account(billing, user_id: str) -> billing_pb2.Account:
    return (await billing.GetAccount(billing_pb2.GetAccountRequest(user_id=user_id), timeout=10)).account


async def reserve(billing, user_id: str, generation_id: str, amount: int = 4) -> billing_pb2.ReserveCreditsResponse:
    return await billing.ReserveCredits(
        billing_pb2.ReserveCreditsRequest(user_id=user_id, generation_id=generation_id, amount=amount), timeout=10
    )


def ledger_rows(infra: Infra, generation_id: str) -> list[tuple[str, int]]:
    with psycopg.connect(infra.database_url) as conn:
        return conn.execute(
            "SELECT kind, amount FROM billing.ledger WHERE generation_id = %s ORDER BY id", (generation_id,)
        ).fetchall()


async def publish(nats_url: str, *events) -> None:
    """Publishes generation events as the generation service's relay does; the same event twice
    gets two event ids, like a duplicate that slipped past JetStream's de-duplication window."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, [generation.STREAM_SPEC])  # as the generation service would
        for event in events:
            subject = (
                "atelier.generation.images_ready"
                if isinstance(event, generation_events.ImagesReady)
                else "atelier.generation.failed"
            )
            envelope = make_envelope(event, {})
            await js.publish(subject, envelope.SerializeToString(), headers={"Nats-Msg-Id": envelope.event_id})
    finally:
        await nc.close()


def images_ready(generation_id: str, owner: str = "alice", count: int = 4) -> generation_events.ImagesReady:
    return generation_events.ImagesReady(
        generation_id=generation_id,
        owner_id=owner,
        images=[generation_events.ReadyImage(image_id=str(uuid.uuid4()), object_key=f"k{i}") for i in range(count)],
    )


def failed(generation_id: str, owner: str = "alice") -> generation_events.GenerationFailed:
    return generation_events.GenerationFailed(generation_id=generation_id, owner_id=owner, reason="Triton is down")


async def eventually(check, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


CONSUMERS = ("billing-images-ready", "billing-generation-failed")


async def test_a_new_user_gets_the_free_plan_and_a_generation_is_reserved_once(billing, infra, metrics_port):
    first = await account(billing, "alice")
    assert (first.plan, first.status, first.credits, list(first.entitlements)) == ("free", NONE, 25, [])
    assert first.max_concurrent_generations == 1 and not first.HasField("current_period_end")
    assert (await account(billing, "alice")).credits == 25  # created once: one initial grant

    reply = await reserve(billing, "alice", "g1")
    assert (reply.balance, reply.created) == (21, True)
    again = await reserve(billing, "alice", "g1")
    assert (again.balance, again.created) == (21, False)
    assert ledger_rows(infra, "g1") == [("reserve", -4)]
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"), psycopg.connect(infra.database_url) as conn:
        conn.execute("UPDATE billing.ledger SET amount = 0 WHERE generation_id = 'g1'")
    with pytest.raises(grpc.aio.AioRpcError) as taken:
        await reserve(billing, "bob", "g1")
    assert taken.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    # ReleaseCredits: a generation that was never accepted costs nothing, once.
    await reserve(billing, "alice", "g2")
    released = await billing.ReleaseCredits(billing_pb2.ReleaseCreditsRequest(generation_id="g2"), timeout=10)
    assert released.balance == 21
    assert (await billing.ReleaseCredits(billing_pb2.ReleaseCreditsRequest(generation_id="g2"))).balance == 21
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await billing.ReleaseCredits(billing_pb2.ReleaseCreditsRequest(generation_id="never-reserved"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as nobody:
        await reserve(billing, "", "g3")
    # Credits move only for a user the gateway signed for: a call naming nobody carries no token.
    assert nobody.value.code() == grpc.StatusCode.UNAUTHENTICATED

    plans = (await billing.ListPlans(billing_pb2.ListPlansRequest())).plans
    assert [(p.name, p.monthly_credits, p.max_concurrent_generations) for p in plans] == [
        ("free", 25, 1),
        ("basic", 400, 2),
        ("plus", 1000, 4),
        ("pro", 3000, 8),
        ("team", 10000, 8),
    ]

    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    assert 'atelier_billing_reservations_total{outcome="created"} 2.0' in metrics
    assert 'atelier_billing_reservations_total{outcome="repeated"} 1.0' in metrics
    assert 'atelier_billing_refunds_total{reason="released"} 1.0' in metrics


async def test_concurrent_reservations_never_overdraw(billing, infra):
    await account(billing, "alice")  # 25 credits
    results = await asyncio.gather(
        *(reserve(billing, "alice", f"g{i}", amount=5) for i in range(20)), return_exceptions=True
    )
    granted = [r for r in results if isinstance(r, billing_pb2.ReserveCreditsResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(granted) == 5 and len(refused) == 15, results
    assert sorted(r.balance for r in granted) == [0, 5, 10, 15, 20]
    assert {r.code() for r in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    first_of_next_month = (datetime.now(UTC).replace(day=28) + timedelta(days=4)).replace(day=1).date()
    assert refused[0].details() == (
        "Out of credits: this generation needs 5 credits and you have 0. "
        f"Credits renew on {first_of_next_month.isoformat()} or upgrade your plan."
    )
    assert (await account(billing, "alice")).credits == 0


async def test_a_reservation_needing_an_entitlement_the_plan_lacks_writes_nothing(billing, infra):
    private = ["private_generation"]
    request = billing_pb2.ReserveCreditsRequest(
        user_id="alice", generation_id="g-private", amount=4, required_entitlements=private
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await billing.ReserveCredits(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "private_generation" in refused.value.details()
    assert ledger_rows(infra, "g-private") == []
    assert (await account(billing, "alice")).credits == 25

    await billing.ChangePlan(billing_pb2.ChangePlanRequest(user_id="alice", plan="plus"), timeout=10)
    granted = await billing.ReserveCredits(request, timeout=10)
    assert (granted.balance, granted.created) == (996, True)
    # The answer carries what the generation service decides with, read under the same lock.
    assert (granted.account.plan, granted.account.status) == ("plus", ACTIVE)
    assert set(granted.account.entitlements) == PAID_ENTITLEMENTS
    assert (granted.account.max_concurrent_generations, granted.account.credits) == (4, 996)

    # A lapsed plan keeps nothing: the same need is refused again.
    past = timestamp_pb2.Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(seconds=1))
    await billing.ChangePlan(
        billing_pb2.ChangePlanRequest(user_id="alice", plan="plus", current_period_end=past), timeout=10
    )
    request.generation_id = "g-after-lapse"
    with pytest.raises(grpc.aio.AioRpcError) as lapsed:
        await billing.ReserveCredits(request, timeout=10)
    assert lapsed.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert ledger_rows(infra, "g-after-lapse") == []


async def test_events_delivered_twice_or_out_of_order_change_the_outcome_once(billing, infra, metrics_port):
    await reserve(billing, "alice", "ok")
    await reserve(billing, "alice", "broken")
    # GenerationFailed before any reservation: recorded, so the later reservation charges nothing.
    await publish(
        infra.nats_url,
        images_ready("ok"),
        failed("broken"),
        failed("early"),
        images_ready("ok"),
        failed("broken"),
        failed("early"),
        # Contradictions after the outcome change nothing either.
        failed("ok"),
        images_ready("broken"),
        # Images never reserved are still paid for, one credit per image, once.
        images_ready("unreserved", count=2),
        images_ready("unreserved", count=2),
    )
    await consumers_caught_up(infra.nats_url, "GENERATION", *CONSUMERS)

    assert ledger_rows(infra, "ok") == [("reserve", -4), ("commit", 0)]
    assert ledger_rows(infra, "broken") == [("reserve", -4), ("refund", 4)]
    assert ledger_rows(infra, "early") == [("refund", 0)]
    assert ledger_rows(infra, "unreserved") == [("commit", -2)]
    late = await reserve(billing, "alice", "early")
    assert not late.created
    assert (await account(billing, "alice")).credits == 25 - 4 - 2
    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    for line in (
        'atelier_billing_commits_total{kind="reserved"} 1.0',
        'atelier_billing_commits_total{kind="unreserved"} 1.0',
        'atelier_billing_refunds_total{reason="failed"} 1.0',
    ):
        assert line in metrics


async def test_a_plan_change_is_announced_and_sets_entitlements_and_a_past_end_lapses_it(billing, stack, infra):
    await account(billing, "alice")
    changed = await billing.ChangePlan(
        billing_pb2.ChangePlanRequest(user_id="alice", plan="plus", actor="operator:test"), timeout=10
    )
    assert (changed.account.plan, changed.account.status) == ("plus", ACTIVE)
    assert set(changed.account.entitlements) == PAID_ENTITLEMENTS
    assert changed.account.credits == 1000 and changed.account.max_concurrent_generations == 4

    # The operator command goes through the same RPC.
    until = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    command = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.billing",
            "set-plan",
            "bob",
            "basic",
            "--until",
            until.isoformat(),
            "--addr",
            stack.billing_addr,
        ],
        cwd=REPO_ROOT,
        env={**os.environ, **stack.env(), **stack.pki.env("operator")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert command.returncode == 0, command.stderr
    shown = json.loads(command.stdout)
    assert (shown["plan"], shown["status"], shown["credits"]) == ("basic", "SUBSCRIPTION_STATUS_ACTIVE", "400")
    bob = await account(billing, "bob")
    assert bob.current_period_end.ToDatetime(tzinfo=UTC) == until
    assert "private_generation" not in bob.entitlements and "download_png" in bob.entitlements

    past = timestamp_pb2.Timestamp()
    past.FromDatetime(datetime.now(UTC) - timedelta(days=1))
    await billing.ChangePlan(billing_pb2.ChangePlanRequest(user_id="alice", plan="plus", current_period_end=past))
    lapsed = await account(billing, "alice")
    assert (lapsed.plan, lapsed.status, lapsed.lapsed_plan, list(lapsed.entitlements)) == ("free", LAPSED, "plus", [])
    assert lapsed.max_concurrent_generations == 1 and lapsed.credits == 1000  # credits are never taken away

    async def announced():
        events = await stream_events(infra.nats_url, "BILLING", "atelier.billing.plan_changed", events_pb2.PlanChanged)
        seen = [(e.user_id, e.plan, e.status) for e in events]
        assert seen == [("alice", "plus", ACTIVE), ("bob", "basic", ACTIVE), ("alice", "free", LAPSED)], seen
        return events

    events = await eventually(announced)
    assert set(events[0].entitlements) == PAID_ENTITLEMENTS and list(events[2].entitlements) == []
    # Versioned per account, +1 per announcement (visibility keeps the newest: team lapses).
    assert [(e.user_id, e.version) for e in events] == [("alice", 1), ("bob", 1), ("alice", 2)]


async def test_a_paid_period_lapses_by_the_clock_with_no_call(billing, infra):
    soon = timestamp_pb2.Timestamp()
    soon.FromDatetime(datetime.now(UTC) + timedelta(seconds=5))
    await billing.ChangePlan(billing_pb2.ChangePlanRequest(user_id="carol", plan="pro", current_period_end=soon))
    assert (await account(billing, "carol")).status == ACTIVE

    async def lapse_announced_by_the_sweep():
        events = await stream_events(infra.nats_url, "BILLING", "atelier.billing.plan_changed", events_pb2.PlanChanged)
        assert [(e.plan, e.status) for e in events] == [("pro", ACTIVE), ("free", LAPSED)]

    # Nobody reads the account: the sweep notices the lapse and announces it once.
    await eventually(lapse_announced_by_the_sweep, timeout=30)
    carol = await account(billing, "carol")
    assert (carol.plan, carol.status, carol.lapsed_plan) == ("free", LAPSED, "pro")


def stripe_event(event_id: str, event_type: str, obj: dict, created: int | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": created or int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


def subscription(status="active", plan="plus", period_end=None, user="dave") -> dict:
    return {
        "id": "sub_123",
        "object": "subscription",
        "status": status,
        "current_period_end": period_end or int(time.time()) + 30 * 86400,
        "metadata": {"atelier_user_id": user, "atelier_plan": plan},
    }


async def webhook(billing, payload: bytes, signature: str | None = None) -> billing_pb2.HandleProviderWebhookResponse:
    header = signature if signature is not None else signature_header(payload, SECRET, int(time.time()))
    return await billing.HandleProviderWebhook(
        billing_pb2.HandleProviderWebhookRequest(payload=payload, signature=header), timeout=10
    )


async def test_signed_provider_webhooks_change_plans_once_and_forgeries_are_refused(billing):
    created = int(time.time())
    payload = stripe_event("evt_1", "customer.subscription.updated", subscription(), created)
    reply = await webhook(billing, payload)
    assert (reply.processed, reply.event_type) == (True, "customer.subscription.updated")
    dave = await account(billing, "dave")
    assert (dave.plan, dave.status, dave.credits) == ("plus", ACTIVE, 1000)
    assert not (await webhook(billing, payload)).processed  # a replay changes nothing

    for forged in (
        (stripe_event("evt_2", "customer.subscription.updated", subscription(plan="team")), ""),
        (payload.replace(b'"plus"', b'"team"'), signature_header(payload, SECRET, int(time.time()))),
        (payload, signature_header(payload, "whsec_someone_elses_secret_00", int(time.time()))),
        (payload, signature_header(payload, SECRET, int(time.time()) - 3600)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await webhook(billing, *forged)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert (await account(billing, "dave")).plan == "plus"

    other = await webhook(billing, stripe_event("evt_3", "charge.succeeded", {"id": "ch_1"}))
    assert (other.processed, other.event_type) == (False, "charge.succeeded")

    # A renewal invoice extends the period; its credits are granted once per period.
    next_end = int(time.time()) + 60 * 86400
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "subscription": "sub_123",
        "lines": {"data": [{"period": {"start": created, "end": next_end}}]},
    }
    await reserve(billing, "dave", "g-dave-1", amount=100)
    assert (await webhook(billing, stripe_event("evt_4", "invoice.paid", invoice))).processed
    renewed = await account(billing, "dave")
    assert renewed.current_period_end.seconds == next_end and renewed.credits == 1000  # topped up
    await reserve(billing, "dave", "g-dave-2", amount=100)
    assert (await webhook(billing, stripe_event("evt_5", "invoice.paid", invoice))).processed
    assert (await account(billing, "dave")).credits == 900  # the same period is not granted twice

    # An older delivery arriving late does not undo what a newer one did.
    stale = stripe_event("evt_0", "customer.subscription.updated", subscription(plan="basic"), created - 60)
    assert not (await webhook(billing, stale)).processed
    ended = stripe_event("evt_6", "customer.subscription.deleted", subscription(status="canceled"), created + 1)
    assert (await webhook(billing, ended)).processed
    lapsed = await account(billing, "dave")
    assert (lapsed.plan, lapsed.status, lapsed.lapsed_plan) == ("free", LAPSED, "plus")


async def test_a_killed_billing_process_loses_no_event_and_charges_nothing_twice(billing, stack, infra):
    ids = [f"g{i}" for i in range(12)]
    for generation_id in ids:
        await reserve(billing, "erin", generation_id, amount=1)
    await publish(infra.nats_url, *(images_ready(g, "erin") for g in ids[:6]), *(failed(g, "erin") for g in ids[6:]))
    stack.kill("billing")  # SIGKILL, at once: some events handled, some in flight, some not fetched
    await publish(infra.nats_url, images_ready(ids[0], "erin"), failed(ids[6], "erin"))  # redeliveries meanwhile
    stack.start_billing()
    await consumers_caught_up(infra.nats_url, "GENERATION", *CONSUMERS)

    for generation_id in ids[:6]:
        assert ledger_rows(infra, generation_id) == [("reserve", -1), ("commit", 0)]
    for generation_id in ids[6:]:
        assert ledger_rows(infra, generation_id) == [("reserve", -1), ("refund", 1)]
    assert (await account(billing, "erin")).credits == 25 - 6


@pytest.mark.parametrize("stack", [{"ATELIER_BILLING_RESERVATION_TTL_S": "1"}], indirect=True)
async def test_a_reservation_left_open_expires_and_late_images_are_charged_again(billing, infra):
    await reserve(billing, "frank", "stuck")

    async def expired():
        assert ledger_rows(infra, "stuck") == [("reserve", -4), ("expire", 4)]

    await eventually(expired, timeout=30)
    assert (await account(billing, "frank")).credits == 25
    await publish(infra.nats_url, images_ready("stuck", "frank"), images_ready("stuck", "frank"))
    await consumers_caught_up(infra.nats_url, "GENERATION", *CONSUMERS)
    assert ledger_rows(infra, "stuck") == [("reserve", -4), ("expire", 4), ("commit", -4)]
    assert (await account(billing, "frank")).credits == 21


def test_billing_reports_healthy_and_stops_cleanly_on_sigterm(stack, infra, tmp_path):
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    log_path = tmp_path / "billing.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.billing"],
            cwd=REPO_ROOT,
            env={**stack.env(), **stack.pki.env("billing"), "ATELIER_GRPC_LISTEN": stack.billing_addr},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        with stack.sync_channel("billing", caller="gateway") as channel:
            grpc.channel_ready_future(channel).result(timeout=60)
            health = health_pb2_grpc.HealthStub(channel)
            for service in ("", "atelier.billing.v1.BillingService"):
                reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING
        process.send_signal(signal.SIGTERM)
        # 0: the signal was handled; consumers, relay and sweep stopped, NATS drained.
        assert process.wait(timeout=20) == 0, log_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Logs are JSON lines.
    records = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert any(r.get("message") == "serving" and r.get("service") == "billing" for r in records)


async def test_a_portal_cancellation_runs_to_the_period_end_and_checkout_records_the_customer(billing):
    created = int(time.time())
    period_end = created + 20 * 86400
    completed = {"id": "cs_1", "object": "checkout.session", "client_reference_id": "fay", "customer": "cus_fay"}
    assert (await webhook(billing, stripe_event("evt_c1", "checkout.session.completed", completed, created))).processed
    assert (await account(billing, "fay")).plan == "free"  # a checkout alone changes no plan

    started = {**subscription(user="fay", period_end=period_end), "customer": "cus_fay"}
    assert (await webhook(billing, stripe_event("evt_c2", "customer.subscription.created", started, created))).processed
    fay = await account(billing, "fay")
    assert (fay.plan, fay.status, fay.has_provider_subscription, fay.cancel_at_period_end) == (
        "plus",
        ACTIVE,
        True,
        False,
    )

    cancelled = stripe_event(
        "evt_c3", "customer.subscription.updated", {**started, "cancel_at_period_end": True}, created
    )
    assert (await webhook(billing, cancelled)).processed
    assert not (await webhook(billing, cancelled)).processed  # a replay
    with pytest.raises(grpc.aio.AioRpcError) as forged:
        await webhook(billing, cancelled.replace(b"true", b"false"), signature_header(cancelled, SECRET, created))
    assert forged.value.code() == grpc.StatusCode.UNAUTHENTICATED
    fay = await account(billing, "fay")
    assert (fay.plan, fay.status, fay.cancel_at_period_end) == ("plus", ACTIVE, True)
    assert fay.current_period_end.seconds == period_end  # runs to the end of what was paid

    ended = stripe_event("evt_c4", "customer.subscription.deleted", {**started, "status": "canceled"}, created + 1)
    assert (await webhook(billing, ended)).processed
    fay = await account(billing, "fay")
    assert (fay.plan, fay.status, fay.lapsed_plan, fay.cancel_at_period_end) == ("free", LAPSED, "plus", False)


async def test_without_a_payment_provider_nothing_can_be_bought(billing):
    request = billing_pb2.CreateCheckoutSessionRequest(
        user_id="gus", plan="plus", success_url="http://127.0.0.1/billing", cancel_url="http://127.0.0.1/pricing"
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await billing.CreateCheckoutSession(request, timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "Payments are not set up" in refused.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as none:
        await billing.GetStandInSession(
            billing_pb2.GetStandInSessionRequest(user_id="gus", session_id="cs_x"), timeout=10
        )
    assert none.value.code() == grpc.StatusCode.NOT_FOUND

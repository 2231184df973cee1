"""The consent export (ARCHITECTURE.md P7) on real servers: billing, visibility, the generation API
and worker, Postgres, NATS JetStream, the S3 store and Triton; the operator's command writes each
export (services/generation/export_cli.py → ConsentExportService).

- a property (hypothesis stateful): after any sequence of generate (public or private), make
  public, make private, delete and plan change (free, basic, plus, a lapse), the export holds
  exactly the images public now whose owners' terms consent, each with its own prompt and bytes;
  no prompt of any other image appears in it; and its withdrawal file lists exactly the images of
  the previous export that are not in this one;
- fail closed: with the authority down the export stops with UNAVAILABLE and writes nothing.

Billing runs a catalogue where basic consents too (plans.toml's free only, plus basic), so that a
lapse from basic (consents) and from plus (does not) both happen. Generations are 1 image, 2 steps.
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from PIL import Image

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.common.v1 import visibility_pb2 as common
from atelier.generation.v1 import (
    custom_models_pb2,
    custom_models_pb2_grpc,
    export_pb2,
    export_pb2_grpc,
    generation_pb2,
    generation_pb2_grpc,
)
from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from contracts import identities
from services.billing.catalogue import DEFAULT_PLANS_FILE
from services.generation.export_cli import export
from tests.support.services import Infra, ServiceStack
from tests.support.waiting import wait_until
from tools.devstack import NatsServer, free_port

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

MAX_EXAMPLES = 6
STEPS = 12
USERS = 3
CONSENTS = {"free": True, "basic": True, "plus": False}
VISIBILITY = {"public": common.VISIBILITY_PUBLIC, "private": common.VISIBILITY_PRIVATE}
STATUS = {
    billing_pb2.SUBSCRIPTION_STATUS_NONE: "none",
    billing_pb2.SUBSCRIPTION_STATUS_ACTIVE: "active",
    billing_pb2.SUBSCRIPTION_STATUS_LAPSED: "lapsed",
}


class Platform:
    """The services' gRPC as the gateway (for users) and an operator use them."""

    def __init__(self, stack: ServiceStack, root: Path):
        self.stack = stack
        self.root = root
        self._channels = [
            stack.sync_channel(identities.GENERATION_API),
            stack.sync_channel(identities.VISIBILITY),
            stack.sync_channel(identities.BILLING),
        ]
        self.generation = generation_pb2_grpc.GenerationServiceStub(self._channels[0])
        self.models = custom_models_pb2_grpc.CustomModelServiceStub(self._channels[0])
        self.visibility = visibility_pb2_grpc.VisibilityServiceStub(self._channels[1])
        self.billing = billing_pb2_grpc.BillingServiceStub(self._channels[2])
        self.operator = stack.sync_channel(identities.GENERATION_API, caller=identities.OPERATOR)

    def close(self) -> None:
        for channel in [*self._channels, self.operator]:
            channel.close()

    def generate(self, owner: str, prompt: str, visibility: str) -> generation_pb2.Generation:
        reply = self.generation.Submit(
            generation_pb2.SubmitRequest(
                owner_id=owner,
                idempotency_key=uuid.uuid4().hex,
                params=generation_pb2.GenerationParams(prompt=prompt, num_images=1, steps=2),
                visibility=VISIBILITY[visibility],
            ),
            timeout=30,
        )

        def finished() -> generation_pb2.Generation | None:
            request = generation_pb2.GetGenerationRequest(generation_id=reply.generation.generation_id, viewer_id=owner)
            generation = self.generation.GetGeneration(request, timeout=10).generation
            done = (generation_pb2.GENERATION_STATUS_SUCCEEDED, generation_pb2.GENERATION_STATUS_FAILED)
            return generation if generation.status in done else None

        generation = wait_until(finished, "generation finished", 120, interval=0.2)
        assert generation.status == generation_pb2.GENERATION_STATUS_SUCCEEDED, generation.error
        return generation

    def set_visibility(self, owner: str, image_id: str, visibility: str) -> None:
        request = visibility_pb2.SetVisibilityRequest(
            actor_id=owner, image_id=image_id, visibility=VISIBILITY[visibility]
        )
        self.visibility.SetVisibility(request, timeout=10)

    def change_plan(self, owner: str, plan: str, period_end: datetime | None = None) -> billing_pb2.Account:
        request = billing_pb2.ChangePlanRequest(user_id=owner, plan=plan, actor="operator:tests")
        if period_end is not None:
            stamp = Timestamp()
            stamp.FromDatetime(period_end)
            request.current_period_end.CopyFrom(stamp)
        return self.billing.ChangePlan(request, timeout=10).account

    def export(self, into: Path) -> Path:
        path, _ = export(self.operator, into, timeout_s=60)
        return path


def records(export_path: Path) -> dict[str, dict]:
    lines = (export_path / "records.jsonl").read_text().splitlines()
    return {record["image_id"]: record for record in map(json.loads, lines)}


def withdrawn(export_path: Path) -> set[str]:
    return {json.loads(line)["image_id"] for line in (export_path / "withdrawn.jsonl").read_text().splitlines()}


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    root = Path(tempfile.mkdtemp(prefix="atelier-export-"))
    nats_server = NatsServer(root / "nats", free_port())
    nats_server.start()
    plans = root / "plans.toml"
    plans.write_text(
        DEFAULT_PLANS_FILE.read_text().replace('name = "basic"\n', 'name = "basic"\ntraining_use = true\n')
    )
    stack = ServiceStack(
        Infra.on(postgres_url, nats_server.url, object_store, triton_url),
        root / "logs",
        overrides={"ATELIER_BILLING_PLANS_FILE": str(plans), "ATELIER_DELETE_UNDO_WINDOW_S": "0"},
    )
    running = None
    try:
        with stack.started_together():
            stack.start_billing()
            stack.start_visibility()
            stack.start_generation_api()
            stack.start_worker()
        running = Platform(stack, root)
        yield running
    finally:
        if running is not None:
            running.close()
        stack.stop_all()
        nats_server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_the_export_stops_and_writes_nothing_when_the_authority_cannot_answer(platform: Platform) -> None:
    owner, private_owner = f"x-{uuid.uuid4().hex[:8]}", f"x-{uuid.uuid4().hex[:8]}"
    public_token, private_token = uuid.uuid4().hex, uuid.uuid4().hex
    [image] = platform.generate(owner, f"a red circle {public_token}", "public").images
    platform.change_plan(private_owner, "plus")
    [hidden] = platform.generate(private_owner, f"a blue square {private_token}", "private").images
    into = platform.root / "outage"
    first = platform.export(into)
    exported = records(first)
    assert exported[image.image_id]["prompt"] == f"a red circle {public_token}"
    assert hidden.image_id not in exported and private_token not in (first / "records.jsonl").read_text()

    platform.stack.stop(identities.VISIBILITY)
    try:
        with pytest.raises(grpc.RpcError) as refused:
            platform.export(into)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "cannot check which images are public" in refused.value.details()
        assert sorted(p.name for p in into.iterdir() if p.name != ".lock") == [first.name]
    finally:
        platform.stack.start_visibility()

    def exported_again() -> Path | None:  # once the API's channel has reconnected
        try:
            return platform.export(into)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
            return None

    again = wait_until(exported_again, "an export with the authority back", 30, interval=0.5)
    assert set(records(again)) == set(exported) and withdrawn(again) == set()


def test_a_custom_model_and_its_training_images_are_never_exported(platform: Platform) -> None:
    owner, token = f"x-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    platform.change_plan(owner, "basic")  # consents (this module's catalogue) and may train models
    picked = [platform.generate(owner, f"a green square {token}", "public").images[0] for _ in range(5)]
    uploads = [_png((17 * i, 200, 33)) for i in range(5)]
    platform.stack.stop(identities.GENERATION_WORKER)  # the trainings wait; deleted, they never run
    try:
        made = [
            platform.models.CreateCustomModel(
                custom_models_pb2.CreateCustomModelRequest(owner_id=owner, name=f"style {token}", **source),
                timeout=30,
            ).model
            for source in (
                {"uploads": [custom_models_pb2.TrainingUpload(content=c) for c in uploads]},
                {"image_ids": [image.image_id for image in picked]},
            )
        ]
        exported = platform.export(platform.root / "models")
        contents = {(exported / record["file"]).read_bytes() for record in records(exported).values()}
        text = (exported / "records.jsonl").read_text()
        # The picked creations are public images in their own right; the models add nothing.
        assert set(records(exported)) >= {image.image_id for image in picked}
        assert not contents & set(uploads)
        assert f"style {token}" not in text and all(model.model_id not in text for model in made)
        for model in made:
            platform.models.DeleteCustomModel(
                custom_models_pb2.DeleteCustomModelRequest(model_id=model.model_id, actor_id=owner), timeout=30
            )
    finally:
        platform.stack.start_worker()


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_only_an_operator_may_export_and_only_the_export_may_read_licence_terms(platform: Platform) -> None:
    for caller in (identities.GATEWAY, identities.FEED, identities.GENERATION_WORKER):
        with platform.stack.sync_channel(identities.GENERATION_API, caller=caller) as channel:
            stub = export_pb2_grpc.ConsentExportServiceStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                list(stub.ExportConsentedImages(export_pb2.ExportConsentedImagesRequest(), timeout=10))
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, caller
    for caller in (identities.GATEWAY, identities.OPERATOR, identities.VISIBILITY):
        with platform.stack.sync_channel(identities.BILLING, caller=caller) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                billing_pb2_grpc.BillingServiceStub(channel).BatchGetLicenceTerms(
                    billing_pb2.BatchGetLicenceTermsRequest(user_ids=["alice"]), timeout=10
                )
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, caller
    with platform.stack.sync_channel(identities.BILLING, caller=identities.GENERATION_API) as channel:
        reply = billing_pb2_grpc.BillingServiceStub(channel).BatchGetLicenceTerms(
            billing_pb2.BatchGetLicenceTermsRequest(user_ids=["nobody-yet", "nobody-yet"]), timeout=10
        )
    assert [(t.user_id, t.plan, t.training_use) for t in reply.terms] == [("nobody-yet", "free", True)]


@dataclass
class User:
    user_id: str
    plan: str = "free"
    status: str = "none"
    lapsed_plan: str = ""

    @property
    def consents(self) -> bool:
        if self.status == "lapsed":
            return CONSENTS["free"] and CONSENTS.get(self.lapsed_plan, False)
        return CONSENTS[self.plan]

    @property
    def may_toggle(self) -> bool:  # private_generation, retroactive privacy on
        return self.status == "active" and self.plan == "plus"


@dataclass
class Img:
    owner: int
    generation_id: str
    prompt: str
    visibility: str
    deleted: bool = False


class ExportMachine(RuleBasedStateMachine):
    platform: Platform  # set by the test
    seen: Counter[str] = Counter()

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.users = [User(f"e{run}-{i}") for i in range(USERS)]
        self.imgs: dict[str, Img] = {}
        self.into = self.platform.root / f"exports-{run}"
        self.previous: set[str] = set()

    @initialize()
    def start(self) -> None:
        # Images of earlier examples and tests are in the export too; nothing here touches them.
        self.foreign = set(records(self.platform.export(self.into)))
        self.previous = set(self.foreign)
        # Something to hide from the start: user 0 (Plus, no consent) and user 2 (made a private
        # image on Plus, then moved to Basic, which consents here) each hold a private image;
        # user 1 (free, consents) a public one.
        self.change_plan(0, "plus")
        self.generate(0, "private")
        self.generate(1, "public")
        self.change_plan(2, "plus")
        self.generate(2, "private")
        self.change_plan(2, "basic")

    @rule(who=st.integers(0, USERS - 1), visibility=st.sampled_from(["public", "private"]))
    def generate(self, who: int, visibility: str) -> None:
        user = self.users[who]
        prompt = f"a red circle on a blue background t{uuid.uuid4().hex[:12]}"
        if visibility == "private" and not user.may_toggle:
            with pytest.raises(grpc.RpcError) as refused:
                self.platform.generate(user.user_id, prompt, visibility)
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
            self.seen["generate refused"] += 1
            return
        generation = self.platform.generate(user.user_id, prompt, visibility)
        for image in generation.images:
            self.imgs[image.image_id] = Img(who, generation.generation_id, prompt, visibility)
        self.seen[f"generated {visibility}"] += 1

    @rule(data=st.data(), wanted=st.sampled_from(["public", "private"]))
    def toggle(self, data: st.DataObject, wanted: str) -> None:
        image_id = data.draw(st.sampled_from(sorted(self.imgs)), label="image")
        image = self.imgs[image_id]
        owner = self.users[image.owner]
        allowed = not image.deleted and (image.visibility == wanted or owner.may_toggle)
        try:
            self.platform.set_visibility(owner.user_id, image_id, wanted)
        except grpc.RpcError as error:
            assert not allowed, error
            self.seen["toggle refused"] += 1
            return
        assert allowed
        image.visibility = wanted
        self.seen[f"made {wanted}"] += 1

    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        image_id = data.draw(st.sampled_from(sorted(self.imgs)), label="image")
        image = self.imgs[image_id]
        if image.deleted:
            return
        request = generation_pb2.DeleteGenerationRequest(
            generation_id=image.generation_id, actor_id=self.users[image.owner].user_id
        )
        self.platform.generation.DeleteGeneration(request, timeout=30)
        for other in self.imgs.values():
            if other.generation_id == image.generation_id:
                other.deleted = True
        self.seen["deleted"] += 1

    @rule(who=st.integers(0, USERS - 1), plan=st.sampled_from(["free", "basic", "plus", "lapse"]))
    def change_plan(self, who: int, plan: str) -> None:
        user = self.users[who]
        if plan == "lapse":  # the paid period (of the plan in force, else Plus) ended yesterday
            paid = user.plan if user.plan != "free" else "plus"
            account = self.platform.change_plan(user.user_id, paid, datetime.now(UTC) - timedelta(days=1))
        else:
            account = self.platform.change_plan(user.user_id, plan)
        user.plan, user.status, user.lapsed_plan = account.plan, STATUS[account.status], account.lapsed_plan
        self.seen[f"plan {plan}, consents {user.consents}"] += 1

    @invariant()
    def the_export_holds_exactly_the_public_consenting_images_and_withdraws_the_rest(self) -> None:
        path = self.platform.export(self.into)
        exported = records(path)
        expected = {
            image_id
            for image_id, image in self.imgs.items()
            if not image.deleted and image.visibility == "public" and self.users[image.owner].consents
        }
        assert set(exported) == expected | self.foreign, (set(exported) ^ (expected | self.foreign), self.imgs)
        assert withdrawn(path) == self.previous - set(exported)
        text = (path / "records.jsonl").read_text()
        for image_id, image in self.imgs.items():
            if image_id in expected:
                record = exported[image_id]
                assert record["prompt"] == image.prompt and record["owner_id"] == self.users[image.owner].user_id
                assert record["licence"]["plan"] == self.users[image.owner].plan
                assert (path / record["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            else:
                assert image.prompt not in text  # num_images=1: every prompt is one image's
        self.seen["exports"] += 1
        self.seen["withdrawn"] += len(withdrawn(path))
        self.seen["exported of ours"] += len(expected)
        self.previous = set(exported)


def test_the_export_holds_exactly_the_public_consenting_images_after_any_sequence(platform: Platform) -> None:
    ExportMachine.platform = platform
    ExportMachine.seen.clear()
    run_state_machine_as_test(
        ExportMachine,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    log.info("consent export state machine: %s", dict(sorted(ExportMachine.seen.items())))
    assert ExportMachine.seen["withdrawn"] > 0 and ExportMachine.seen["exported of ours"] > 0

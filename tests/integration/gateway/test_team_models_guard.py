"""The gateway's own check on custom models, against a generation service that answers too much: a
model of another owner, shared with a team the caller is not a current member of (the fake authority
has no teams), never leaves the gateway, in a list or by id; a team id that is not one is a 422
naming the field, before anything is sent. The real rules are the generation service's, tested on
the real platform (tests/integration/test_custom_models_api.py)."""

import uuid

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from atelier.generation.v1 import custom_models_pb2 as pb
from tests.integration.gateway.conftest import Gateway, SignedUp
from tests.integration.gateway.models_fake import FakeCustomModelService

OTHERS = pb.CustomModel(
    model_id=str(uuid.uuid4()),
    owner_id="someone-else",
    name="their style",
    status=pb.CUSTOM_MODEL_STATUS_READY,
    job_id=str(uuid.uuid4()),
    team_id=str(uuid.uuid4()),
    image_count=5,
    created_at=Timestamp(seconds=1_700_000_000),
)


@pytest.fixture
def leaky_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the gateway fixture registers the fake's methods."""

    async def list_too_much(self, request, context):
        return pb.ListCustomModelsResponse(models=[OTHERS])

    async def get_anything(self, request, context):
        return pb.GetCustomModelResponse(model=OTHERS)

    monkeypatch.setattr(FakeCustomModelService, "ListCustomModels", list_too_much)
    monkeypatch.setattr(FakeCustomModelService, "GetCustomModel", get_anything)


async def test_another_owners_team_model_never_leaves_the_gateway(
    leaky_models: None, gateway: Gateway, alice: SignedUp
) -> None:
    listed = await alice.client.get("/api/v1/models")
    one = await alice.client.get(f"/api/v1/models/{OTHERS.model_id}")
    missing = await alice.client.get(f"/api/v1/models/{uuid.uuid4()}")
    assert listed.status_code == 200 and listed.json()["items"] == []
    assert one.status_code == 404 and one.json()["detail"] == "Custom model not found."
    assert missing.status_code == 404


async def test_a_team_id_that_is_not_one_is_a_422_naming_it(gateway: Gateway, alice: SignedUp) -> None:
    shared = await alice.client.patch(f"/api/v1/models/{uuid.uuid4()}", json={"team_id": "nope"}, headers=alice.csrf)
    picked = await alice.client.post(
        "/api/v1/models",
        json={"name": "x", "image_ids": [str(uuid.uuid4())] * 5, "team_id": "nope"},
        headers=alice.csrf,
    )
    form = await alice.client.post(
        "/api/v1/models",
        data={"name": "x", "team_id": "nope"},
        files=[("images", ("a.png", b"png", "image/png"))],
        headers=alice.csrf,
    )
    for reply in (shared, picked, form):
        assert reply.status_code == 422, reply.text
        assert [e["field"] for e in reply.json()["errors"]] in (["team_id"], ["body.team_id"]), reply.text

"""The operator's retroactive_privacy switch OFF (Leonardo's rule), through the public API on the
real platform: images made without the privacy entitlement stay public for ever, even after the
owner subscribes; images made with it can be toggled as usual. (ON is covered by
test_privacy_api.py::test_retroactive_privacy_on_lets_a_new_subscriber_hide_old_images.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.integration.test_privacy_support import (
    ANONYMOUS,
    Platform,
    assert_hidden,
    assert_public,
    missing_image_answers,
    running_platform,
)

pytestmark = pytest.mark.integration

PROMPT = "a blue square on a yellow background"


@pytest.fixture(scope="module")
def platform(postgres_url, object_store, triton_url) -> Iterator[Platform]:
    with running_platform(postgres_url, object_store, triton_url, ATELIER_RETROACTIVE_PRIVACY="false") as running:
        yield running


def test_images_made_without_the_entitlement_stay_public_for_ever(platform: Platform) -> None:
    user = platform.sign_up("leo")
    token = uuid.uuid4().hex[:12]
    old = platform.generate(user, f"{PROMPT} {token}", num_images=2)
    old_ids = [i["image_id"] for i in old["images"]]
    platform.change_plan(user, "plus")

    refused = platform.set_visibility(user, old_ids[0], "private")
    assert refused.status_code == 403
    assert "stays public" in refused.json()["detail"]
    bulk = platform.set_many(user, old_ids, "private").json()
    assert bulk["updated"] == [] and len(bulk["refused"]) == 2
    for image_id in old_ids:
        assert_public(platform, image_id, ANONYMOUS, token)

    # Made while subscribed: private, and toggled both ways.
    new = platform.generate(user, f"{PROMPT} {token}", "private")
    [new_id] = [i["image_id"] for i in new["images"]]
    reference = missing_image_answers(platform, ANONYMOUS)
    assert_hidden(platform, new_id, ANONYMOUS, token, reference)
    assert platform.set_visibility(user, new_id, "public").status_code == 200
    assert_public(platform, new_id, ANONYMOUS, token)
    assert platform.set_visibility(user, new_id, "private").status_code == 200
    assert_hidden(platform, new_id, ANONYMOUS, token, reference)
    # A public image made with the entitlement can go private again; the old ones still cannot.
    mixed = platform.set_many(user, [*old_ids, new_id], "private").json()
    assert mixed["updated"] == [new_id]
    assert sorted(r["image_id"] for r in mixed["refused"]) == sorted(old_ids)

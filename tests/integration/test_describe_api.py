"""Describe through the public HTTP API on the real platform (gateway, generation API and worker,
billing, visibility; real Postgres, NATS, S3 store, Triton's `describe` model): prompt suggestions
the evaluator agrees with, read through the job's view, on every plan for one credit; nobody but the
image's owner describes it or sees its description, and a refusal charges nothing."""

from __future__ import annotations

import uuid

import pytest

from imagemodel.captions import parse
from tests.integration.test_privacy_support import Platform, fingerprint

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def platform(shared_platform: Platform) -> Platform:
    return shared_platform


def test_a_description_reads_the_image_for_one_credit_and_only_its_owner_sees_it(platform: Platform) -> None:
    alice = platform.sign_up("alice")  # the free plan: describe is on every plan
    # Circles: the platform's Triton draws with its procedural stand-in, which tilts shapes up to 14°
    # (the describer reads tilted triangles less surely: describer/MODEL_CARD.md, Limits). A fixed seed:
    # the describer misreads a few percent of the stand-in's circles (the card's figures; tests/model
    # measures its rate over many seeds), and this test is about the path, the price and who sees it.
    [source] = platform.generate(alice, "a large yellow circle on the left on a purple background", seed=1)["images"]
    credits = platform.me(alice)["credits"]

    reply = platform.http.post(f"/api/v1/images/{source['image_id']}/describe", headers=alice.headers)

    assert reply.status_code == 202, reply.text
    job_id = reply.json()["generation_id"]
    assert reply.headers["location"] == f"/api/v1/generations/{job_id}"
    result = platform.wait(alice, job_id)
    assert result["status"] == "succeeded", result
    suggestions = result["suggestions"]
    assert 1 <= len(suggestions) <= 4 and len(set(suggestions)) == len(suggestions), suggestions
    [described] = parse(suggestions[0]).objects
    assert (described.shape, described.colour) == ("circle", "yellow"), suggestions
    assert parse(suggestions[0]).background == "purple", suggestions
    assert result["images"] == [] and result["params"]["kind"] == "describe"
    assert result["params"]["source_image_id"] == source["image_id"]
    assert platform.me(alice)["credits"] == credits - 1
    # The job, and so the description, is its owner's only.
    bob = platform.sign_up("bob")
    assert platform.http.get(f"/api/v1/generations/{job_id}", headers=bob.headers).status_code == 404
    assert platform.http.get(f"/api/v1/generations/{job_id}").status_code == 404


def test_someone_elses_image_is_not_found_and_nothing_is_charged(platform: Platform) -> None:
    carol = platform.sign_up("carol")
    platform.change_plan(carol, "plus")
    [private] = platform.generate(carol, "a small red circle on a blue background", "private", seed=1)["images"]
    [public] = platform.generate(carol, "a green square on a white background", "public")["images"]
    mallory = platform.sign_up("mallory")
    credits = platform.me(mallory)["credits"]

    unknown = platform.http.post(f"/api/v1/images/{uuid.uuid4()}/describe", headers=mallory.headers)
    answers = [
        platform.http.post(f"/api/v1/images/{image['image_id']}/describe", headers=mallory.headers)
        for image in (private, public)
    ]

    assert unknown.status_code == 404
    assert [fingerprint(answer) for answer in answers] == [fingerprint(unknown)] * 2
    assert platform.http.post(f"/api/v1/images/{private['image_id']}/describe").status_code == 401
    assert platform.me(mallory)["credits"] == credits
    # Its owner describes it; the job inherits its privacy.
    own = platform.http.post(f"/api/v1/images/{private['image_id']}/describe", headers=carol.headers)
    result = platform.wait(carol, own.json()["generation_id"])
    assert result["status"] == "succeeded" and result["visibility"] == "private", result
    assert parse(result["suggestions"][0]).objects[0].shape == "circle", result

"""Image actions as job kinds: the registry, the wire's kinds, what an action asks of its source."""

import asyncio

import numpy as np
import pytest

from atelier.generation.v1 import generation_pb2
from services.generation.actions import ACTIONS
from services.generation.actions.describe import DESCRIBE
from services.generation.actions.edit import EDIT
from services.generation.actions.extend import EXTEND
from services.generation.actions.fill import FILL
from services.generation.actions.remove_background import REMOVE_BACKGROUND
from services.generation.actions.replace_background import REPLACE_BACKGROUND
from services.generation.actions.upscale import UPSCALE
from services.generation.handlers import _spec_of
from services.generation.requests import GENERATE, InvalidRequest, kind_from_proto, kind_to_proto, nearest_aspect_ratio

SOURCE = "0b6a3c1e-5d2f-4a8b-9c7e-1f2a3b4c5d6e"


def test_every_action_is_registered_under_its_kind_and_on_the_wire():
    assert ACTIONS == {
        "upscale": UPSCALE,
        "describe": DESCRIBE,
        "remove_background": REMOVE_BACKGROUND,
        "fill": FILL,
        "extend": EXTEND,
        "edit": EDIT,
        "replace_background": REPLACE_BACKGROUND,
    }
    assert GENERATE not in ACTIONS
    for kind in (GENERATE, *ACTIONS):
        assert kind_from_proto(kind_to_proto(kind)) == kind
    # Callers that predate kinds send none: text-to-image.
    assert kind_from_proto(generation_pb2.JOB_KIND_UNSPECIFIED) == GENERATE
    assert kind_from_proto(99) is None


def test_upscale_doubles_each_side_up_to_1024_px_and_refuses_larger_sources_in_words():
    assert UPSCALE.result_size(512, 288) == (1024, 576)
    assert UPSCALE.result_size(1024, 1024) == (2048, 2048)
    with pytest.raises(
        InvalidRequest,
        match="source_image_id: the image is 1025x512 px; upscaling takes images of at most 1024 px a side",
    ):
        UPSCALE.result_size(1025, 512)


def test_describe_needs_no_entitlement_keeps_the_source_size_and_answers_at_most_four_clean_suggestions():
    class Model:
        async def suggest(self, model_name, image, headers):
            assert model_name == "describe" and image.shape == (8, 8, 3)
            return ("a red  circle\n on blue", "", "x" * 500, "b", "c", "d")

    answer = asyncio.run(DESCRIBE.run(Model(), np.zeros((8, 8, 3), np.uint8), {}))  # type: ignore[arg-type]

    assert DESCRIBE.entitlement is None
    assert DESCRIBE.result_size(2048, 1152) == (2048, 1152)
    assert answer.suggestions == ("a red circle on blue", "x" * 300, "b", "c")


def test_remove_background_keeps_the_size_up_to_the_models_limit_of_2048_px():
    assert REMOVE_BACKGROUND.result_size(512, 288) == (512, 288)
    assert REMOVE_BACKGROUND.result_size(2048, 2048) == (2048, 2048)
    assert REMOVE_BACKGROUND.entitlement == "edit" and REMOVE_BACKGROUND.model_name == "background"
    with pytest.raises(InvalidRequest, match="the image is 2049x512 px; removing a background takes images of at most"):
        REMOVE_BACKGROUND.result_size(2049, 512)


def test_an_action_submission_needs_only_its_source_and_ignores_the_prompt():
    request = generation_pb2.SubmitRequest(
        owner_id="alice",
        params=generation_pb2.GenerationParams(kind=generation_pb2.JOB_KIND_UPSCALE, source_image_id=SOURCE.upper()),
    )
    spec = _spec_of(request, ACTIONS)
    assert (spec.kind, spec.source_image_id, spec.num_images, spec.visibility) == ("upscale", SOURCE, 1, "")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"kind": generation_pb2.JOB_KIND_UPSCALE}, "source_image_id: must be an image id: the image to upscale"),
        ({"kind": generation_pb2.JOB_KIND_UPSCALE, "source_image_id": "nope"}, "source_image_id: must be an image id"),
        ({"kind": 99, "source_image_id": SOURCE}, "kind: is not a job kind this service runs"),
    ],
)
def test_a_bad_action_submission_names_the_field(params, words):
    request = generation_pb2.SubmitRequest(owner_id="alice", params=generation_pb2.GenerationParams(**params))
    with pytest.raises(InvalidRequest, match=words):
        _spec_of(request, ACTIONS)


def test_a_result_keeps_the_listed_aspect_ratio_nearest_its_source():
    assert nearest_aspect_ratio(1024, 576) == "16:9"
    assert nearest_aspect_ratio(1024, 1024) == "1:1"
    assert nearest_aspect_ratio(576, 1024) == "9:16"


def test_an_edit_submission_carries_its_checked_operations_and_its_result_size():
    operations = [
        generation_pb2.EditOperation(crop=generation_pb2.CropBox(x=0, y=0, width=100, height=50)),
        generation_pb2.EditOperation(rotate_degrees=90),
    ]
    request = generation_pb2.SubmitRequest(
        owner_id="alice",
        params=generation_pb2.GenerationParams(
            kind=generation_pb2.JOB_KIND_EDIT, source_image_id=SOURCE, edit_operations=operations
        ),
    )
    spec = _spec_of(request, ACTIONS)
    assert spec.options == {"edit_operations": [{"crop": [0, 0, 100, 50]}, {"rotate": 90}]}
    assert EDIT.result_size_with(512, 512, spec.options) == (50, 100)


def test_edit_operations_and_a_style_strength_alone_are_refused_on_a_plain_generation():
    operations = [generation_pb2.EditOperation(flip="vertical")]
    with pytest.raises(InvalidRequest, match="edit_operations: apply only to an edit job"):
        _spec_of(
            generation_pb2.SubmitRequest(
                owner_id="a", params=generation_pb2.GenerationParams(prompt="a red circle", edit_operations=operations)
            ),
            ACTIONS,
        )
    with pytest.raises(InvalidRequest, match="style_strength: applies only with a style reference"):
        _spec_of(
            generation_pb2.SubmitRequest(
                owner_id="a", params=generation_pb2.GenerationParams(prompt="a red circle", style_strength=0.5)
            ),
            ACTIONS,
        )
    spec = _spec_of(
        generation_pb2.SubmitRequest(
            owner_id="a", params=generation_pb2.GenerationParams(prompt="a red circle", style_image_id=SOURCE.upper())
        ),
        ACTIONS,
    )
    assert (spec.style_image_id, spec.style_strength) == (SOURCE, 0.5)

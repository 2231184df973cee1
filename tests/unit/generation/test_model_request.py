"""What the worker asks Triton for, read from the GenerationRequested event alone."""

import pytest

from atelier.generation.v1 import events_pb2, generation_pb2
from glue.consumer import PoisonMessage
from services.generation.worker import PREVIEW_EVERY, model_request


def requested(effective_prompt: str = "", **params) -> events_pb2.GenerationRequested:
    fields = {"prompt": "a red circle", "num_images": 2, "aspect_ratio": "16:9", "seed": 41, **params}
    return events_pb2.GenerationRequested(
        generation_id="0b5d1f0e-6a41-4a3e-9b4c-1d2e3f405162",
        owner_id="alice",
        params=generation_pb2.GenerationParams(**fields),
        effective_prompt=effective_prompt,
        seed=fields["seed"],
    )


def test_the_request_carries_what_was_accepted_and_leaves_unset_values_to_the_model() -> None:
    request = model_request(requested(negative_prompt="blue", guidance=0.0))

    assert (request.prompt, request.negative_prompt, request.seed, request.num_images) == (
        "a red circle",
        "blue",
        41,
        2,
    )
    assert (request.width, request.height, request.preview_every) == (512, 288, PREVIEW_EVERY)
    assert request.guidance is None
    assert (request.init_image, request.strength) == (None, None)


def test_the_magic_prompt_is_what_the_model_draws_and_set_values_are_kept() -> None:
    request = model_request(requested(effective_prompt="a red circle, flat colours", steps=7, guidance=2.5))

    assert request.prompt == "a red circle, flat colours"
    assert (request.steps, request.guidance) == (7, 2.5)


def test_an_aspect_ratio_the_service_never_accepts_is_a_poison_message() -> None:
    with pytest.raises(PoisonMessage, match="aspect ratio '2:1'"):
        model_request(requested(aspect_ratio="2:1"))

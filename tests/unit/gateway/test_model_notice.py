"""The generation view's model notice: only when the model named words it cannot draw."""

from atelier.generation.v1 import generation_pb2
from services.gateway.api.views import generation_view


def _generation(*unknown: str) -> generation_pb2.Generation:
    return generation_pb2.Generation(
        generation_id="0b7f8f2e-4c1d-4a8e-9d3c-2a1f0e9b8c7d",
        status=generation_pb2.GENERATION_STATUS_SUCCEEDED,
        params=generation_pb2.GenerationParams(prompt="a cat astronaut"),
        unknown_prompt_words=list(unknown),
    )


def test_words_the_model_cannot_draw_give_a_plain_notice() -> None:
    notice = generation_view(_generation("cat", "astronaut"), {}).model_notice
    assert notice is not None
    assert notice.unknown_words == ["cat", "astronaut"]
    assert "“cat”, “astronaut”" in notice.message
    assert "simple shapes" in notice.message and "Mounting a Stable Diffusion model" in notice.message


def test_a_prompt_the_model_understood_has_no_notice() -> None:
    assert generation_view(_generation(), {}).model_notice is None

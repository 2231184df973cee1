"""The words the model says it cannot draw, read from its final response (services/generation/inference.py)."""

import numpy as np

from services.generation.inference import _decode_final, _Outputs


class _Result:
    def __init__(self, outputs: dict[str, np.ndarray]) -> None:
        self._outputs = outputs

    def as_numpy(self, name: str) -> np.ndarray | None:
        return self._outputs.get(name)


def _final(**extra: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "KIND": np.array([b"final"], dtype=np.object_),
        "TOTAL": np.array([20], dtype=np.int32),
        "IMAGES": np.zeros((1, 8, 8, 3), dtype=np.uint8),
        "SEEDS": np.array([7], dtype=np.int64),
        "NATIVE_SIZE": np.array([32, 32], dtype=np.int32),
        **extra,
    }


def test_the_unknown_words_of_the_final_response_are_kept() -> None:
    words = np.array([b"cat astronaut"], dtype=np.object_)
    assert _decode_final(_Outputs(_Result(_final(UNKNOWN_WORDS=words)), False)).unknown_words == ("cat", "astronaut")
    batched = {name: value[np.newaxis] for name, value in _final(UNKNOWN_WORDS=words).items()}
    assert _decode_final(_Outputs(_Result(batched), True)).unknown_words == ("cat", "astronaut")


def test_a_model_that_understood_every_word_or_sends_none_reports_none() -> None:
    empty = np.array([b""], dtype=np.object_)
    assert _decode_final(_Outputs(_Result(_final(UNKNOWN_WORDS=empty)), False)).unknown_words == ()
    assert _decode_final(_Outputs(_Result(_final()), False)).unknown_words == ()

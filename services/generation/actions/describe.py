"""Describe: Triton's `describe` model (describer/ by default; a BLIP captioning model from mounted
weights) reads the source and answers up to four prompt suggestions, best first. No image is made:
the suggestions are stored with the job, which only its owner (the source's owner) sees."""

from __future__ import annotations

import numpy as np

from services.generation.inference import ActionAnswer, Description, ImageAction, TritonImageModel

MAX_SUGGESTIONS = 4
MAX_SUGGESTION_CHARS = 300  # a mounted captioner's answer is kept to prompt length


class Describe(ImageAction):
    kind = "describe"
    entitlement = None  # every plan (its price is billing's catalogue's)
    model_name = "describe"
    gone_message = "The image to describe is no longer available."

    def result_size(self, width: int, height: int) -> tuple[int, int]:
        # Nothing is drawn: the job records its source's size (any size a stored image has).
        return width, height

    async def run(self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str]) -> ActionAnswer:
        suggestions = await model.suggest(self.model_name, source, headers)
        kept = [" ".join(text.split())[:MAX_SUGGESTION_CHARS] for text in suggestions]
        return Description(tuple(text for text in kept if text)[:MAX_SUGGESTIONS])


DESCRIBE = Describe()

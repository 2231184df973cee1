"""The describe action's default: an image in, up to four ranked prompt suggestions out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from describer import network
from describer.suggestions import MAX_SUGGESTIONS, suggest


class ShippedDescriber:
    def __init__(self, weights: Path = network.WEIGHTS_FILE) -> None:
        self._model = network.load(weights)

    def describe(self, image: np.ndarray) -> list[str]:
        """uint8 (h, w, 3) -> up to MAX_SUGGESTIONS prompts, best first."""
        return [suggestion.text for suggestion in suggest(network.read(self._model, [image])[0], MAX_SUGGESTIONS)]

"""What every image action declares, and the one thing it does: source pixels in, result pixels out."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from services.generation.inference import TritonImageModel


class SourceRefused(ValueError):
    """The source image cannot go through this action (too large, ...); the message says why."""


class ImageAction(ABC):
    # The job kind, stored in the generation's params and priced by name in billing's catalogue.
    kind: str
    # The billing entitlement a plan needs for it.
    entitlement: str
    # The Triton model it calls.
    model_name: str
    # A failure when its source is gone (deleted, or hidden from the owner) by the time the job
    # starts: the same words whichever, so that a failure reveals nothing.
    gone_message: str

    @abstractmethod
    def result_size(self, width: int, height: int) -> tuple[int, int]:
        """The result's (width, height) for a source of this size; raises SourceRefused."""

    @abstractmethod
    async def run(self, model: TritonImageModel, source: np.ndarray, headers: dict[str, str]) -> np.ndarray:
        """The result, uint8 [height, width, 3], from the source's pixels (same layout)."""

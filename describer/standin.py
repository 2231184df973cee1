"""The platform's own drawings: the Triton procedural stand-in (`model_repository/txt2img`'s default
pipeline, which the platform's tests and e2e draw with), imported from where Triton's stub finds it.
The describer is measured on what it answers to prompts and trained on drawings of its own code
with seeds of training's own."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np

from imagemodel.captions import ObjectSpec, PromptSpec, canonical_caption

TXT2IMG_MODEL_DIR = Path(__file__).resolve().parents[1] / "model_repository" / "txt2img" / "1"
SIDE = 512


@dataclass(frozen=True)
class Drawn:
    """What a drawing shows, in the world's words (the stand-in draws sizes of its own: not asked)."""

    shape: str
    colour: str
    background: str
    position: str

    def prompt(self) -> str:
        return canonical_caption(
            PromptSpec((ObjectSpec(self.shape, self.colour, None, self.position),), self.background)
        )


@cache
def _procedural() -> ModuleType:
    if str(TXT2IMG_MODEL_DIR) not in sys.path:
        sys.path.append(str(TXT2IMG_MODEL_DIR))
    from txt2img_backend import procedural

    return procedural


def answer(prompt: str, seed: int, width: int = SIDE, height: int = SIDE) -> np.ndarray:
    """What the platform's Triton answers to prompt and seed: uint8 (height, width, 3)."""
    procedural = _procedural()
    from txt2img_backend.pipelines import GenerationRequest

    request = GenerationRequest(prompt, "", (seed,), 1, 1.0, width, height, 0)
    return procedural.ProceduralPipeline().generate(request, lambda step, total, render: None)[0]


def draw(drawn: Drawn, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """The stand-in's own reading of the prompt and its own drawing of it, with rng in place of the
    generator it derives from a prompt and seed (so training never meets a measured seed's image)."""
    procedural = _procedural()
    scene = procedural.describe_scene(drawn.prompt(), "", rng)
    return procedural.draw_scene(scene, width, height, rng)

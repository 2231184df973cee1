"""The txt2img model's request validation, prompt reading and procedural pipeline, without Triton."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np
import pytest

MODEL_VERSION_DIR = Path(__file__).resolve().parents[3] / "model_repository" / "txt2img" / "1"
sys.path.append(str(MODEL_VERSION_DIR))  # where Triton's stub finds the helpers too

from txt2img_backend.deployment import read_string_parameters  # noqa: E402
from txt2img_backend.pipelines import (  # noqa: E402
    DEFAULT_STYLE_SCALE,
    MAX_STYLE_BYTES,
    InvalidRequest,
    PipelineDefaults,
    parse_request,
)
from txt2img_backend.procedural import ProceduralPipeline, describe_scene  # noqa: E402

from tests.support.txt2img_backend import generation_request  # noqa: E402

DEFAULTS = PipelineDefaults(steps=20, guidance=1.0, width=256, height=256)


def reader(**inputs):
    """Like the model's reader: one-element arrays as Triton delivers them, None when omitted."""

    def read(name: str):
        if name not in inputs:
            return None
        value = inputs[name]
        return np.array([value.encode()], dtype=object) if isinstance(value, str) else np.array([value])

    return read


def test_a_minimal_request_takes_the_pipeline_defaults() -> None:
    params = parse_request(reader(PROMPT=" a red circle ", SEED=10, NUM_IMAGES=3), DEFAULTS)

    assert params.prompt == "a red circle"
    assert params.seeds == (10, 11, 12)
    assert (params.steps, params.width, params.height, params.preview_every) == (20, 256, 256, 5)


def test_steps_zero_or_absent_are_the_pipelines_default_and_set_steps_are_kept() -> None:
    defaults = PipelineDefaults(steps=25, guidance=1.25, width=256, height=256)

    assert parse_request(reader(PROMPT="x", SEED=1, NUM_IMAGES=1, STEPS=0), defaults).steps == 25
    assert parse_request(reader(PROMPT="x", SEED=1, NUM_IMAGES=1), defaults).steps == 25
    assert parse_request(reader(PROMPT="x", SEED=1, NUM_IMAGES=1, STEPS=7), defaults).steps == 7


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"PROMPT": "", "SEED": 1, "NUM_IMAGES": 1}, "PROMPT is empty"),
        ({"PROMPT": "x", "SEED": 1, "NUM_IMAGES": 0}, "NUM_IMAGES must be between 1 and 8, got 0"),
        ({"PROMPT": "x", "SEED": -5, "NUM_IMAGES": 1}, "SEED must be between 0 and"),
        ({"PROMPT": "x", "SEED": 1, "NUM_IMAGES": 1, "STEPS": 151}, "STEPS must be between 1 and 150"),
        ({"PROMPT": "x", "SEED": 1, "NUM_IMAGES": 1, "GUIDANCE": float("nan")}, "GUIDANCE must be"),
        ({"PROMPT": "x", "SEED": 1, "NUM_IMAGES": 1, "WIDTH": 7}, "WIDTH must be a multiple of 8"),
        ({"PROMPT": "x", "SEED": 1, "NUM_IMAGES": 1, "HEIGHT": 2048}, "HEIGHT must be a multiple of 8"),
        ({"PROMPT": "x", "SEED": 1, "NUM_IMAGES": 1, "PREVIEW_EVERY": -1}, "PREVIEW_EVERY must be"),
        ({"PROMPT": "x", "NUM_IMAGES": 1}, "SEED is missing"),
    ],
)
def test_bad_inputs_are_refused_with_what_to_change(inputs: dict, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_request(reader(**inputs), DEFAULTS)


@pytest.mark.parametrize(
    ("prompt", "shape", "colour", "background", "position"),
    [
        ("a red circle on a blue background", "circle", "red", "blue", (0.5, 0.5)),
        ("A green star in the top left, white background", "star", "green", "white", (0.3, 0.3)),
        ("on a grey backdrop, a yellow square at the bottom right", "square", "yellow", "gray", (0.7, 0.7)),
    ],
)
def test_the_prompt_names_the_scene(prompt, shape, colour, background, position) -> None:
    scene = describe_scene(prompt, "", np.random.default_rng(0))

    assert (scene.shape, scene.colour, scene.background, (scene.x, scene.y)) == (shape, colour, background, position)


def test_what_the_prompt_leaves_open_avoids_the_negative_prompt() -> None:
    scenes = [describe_scene("something nice", "red circles", np.random.default_rng(seed)) for seed in range(200)]

    assert all(s.colour != "red" and s.shape != "circle" and s.background != s.colour for s in scenes)
    assert len({s.shape for s in scenes}) == 3


def test_procedural_images_depend_on_prompt_and_own_seed_only() -> None:
    pipeline = ProceduralPipeline()

    def make(seeds, prompt="a blue triangle"):
        return pipeline.generate(generation_request(prompt, seeds, 4, 128, 96), lambda *_: None)

    pair = make([5, 6])
    assert pair.shape == (2, 96, 128, 3) and pair.dtype == np.uint8
    assert np.array_equal(make([6])[0], pair[1])
    assert not np.array_equal(pair[0], pair[1])
    assert not np.array_equal(make([5], prompt="a blue star")[0], pair[0])


def test_procedural_previews_end_at_the_image() -> None:
    rendered = []
    images = ProceduralPipeline().generate(
        generation_request("a red circle", [1], 10), lambda step, total, render: rendered.append(render())
    )

    assert len(rendered) == 10
    last = rendered[-1][0].astype(float)
    first = rendered[0][0].astype(float)
    small_final = images[0][::2, ::2].astype(float)
    assert np.abs(last - small_final).mean() < np.abs(first - small_final).mean() / 3


def test_model_parameters_are_read_from_the_config_file() -> None:
    parameters = read_string_parameters(MODEL_VERSION_DIR.parent / "config.pbtxt")

    assert parameters["pipeline"] == "tiny-diffusion"  # the product serves its own model


def test_the_backend_modules_import_each_other_without_a_cycle() -> None:
    """Function-level imports included: a pipeline imports the interface, never the other way round."""
    package = MODEL_VERSION_DIR / "txt2img_backend"
    imports = {path.stem: backend_imports_of(path) for path in package.glob("*.py")}
    imports["model"] = backend_imports_of(MODEL_VERSION_DIR / "model.py")

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for module in imports.get(start, ()):
            if module == target or (module not in seen and reaches(module, target, seen | {module})):
                return True
        return False

    assert "procedural" in imports["model"] and "imagemodel_adapter" in imports["model"]
    assert [module for module in imports if reaches(module, module, set())] == []


def backend_imports_of(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("txt2img_backend"):
            names = (
                [node.module] if node.module != "txt2img_backend" else [f"txt2img_backend.{a.name}" for a in node.names]
            )
            modules.update(name.removeprefix("txt2img_backend.") for name in names)
    return modules


def parse_styled(**style):
    return parse_request(reader(PROMPT="a red circle", SEED=1, NUM_IMAGES=1, **style), DEFAULTS)


def test_style_weights_and_scale_are_read_and_a_scale_alone_is_ignored() -> None:
    assert (parse_styled().style_weights, parse_styled().style_scale) == (None, DEFAULT_STYLE_SCALE)
    assert parse_styled(STYLE_SCALE=np.float32(0.5)).style_weights is None
    styled = parse_styled(STYLE_WEIGHTS=b"\x00style", STYLE_SCALE=np.float32(0.5))
    assert (styled.style_weights, styled.style_scale) == (b"\x00style", 0.5)


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ({"STYLE_WEIGHTS": b""}, "STYLE_WEIGHTS is empty"),
        ({"STYLE_WEIGHTS": b"x" * (MAX_STYLE_BYTES + 1)}, "larger than"),
        ({"STYLE_WEIGHTS": b"x", "STYLE_SCALE": np.float32(1.6)}, "STYLE_SCALE must be between 0 and 1.5"),
        ({"STYLE_WEIGHTS": b"x", "STYLE_SCALE": np.float32("nan")}, "STYLE_SCALE"),
    ],
)
def test_bad_style_inputs_are_invalid_requests(style, message) -> None:
    with pytest.raises(InvalidRequest, match=message):
        parse_styled(**style)

"""The shipped segmenter: small, cuts world scenes and the default model's own images out of their
backgrounds (IoU on a fresh seed), transparent exactly where the background was; the mounted
TorchScript path with a tiny random-weight network built here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from imagemodel import world
from segmenter import network, scenes
from segmenter.evaluate import colour_distance_mask, generated_images, iou, world_figures
from segmenter.mounted import TorchScriptSegmenter

FRESH_SEED = 424242  # neither training (1) nor the model card (1000) drew from it


@pytest.fixture(scope="module")
def shipped() -> network.Segmenter:
    return network.load()


def test_the_network_is_small() -> None:
    assert network.parameter_count(network.Segmenter()) <= 50_000


def test_anything_but_an_rgb_uint8_image_is_refused(shipped: network.Segmenter) -> None:
    with pytest.raises(ValueError, match="uint8 of shape"):
        network.remove_background(shipped, np.zeros((8, 8, 4), np.uint8))


def test_world_scenes_it_never_saw_are_cut_out_with_iou_above_0_9(shipped: network.Segmenter) -> None:
    figures = world_figures(shipped, count=32, seed=FRESH_SEED)
    assert figures["segmenter_iou"] > 0.9, figures


def test_the_default_models_own_images_are_cut_out_as_the_evaluator_reads_them(shipped: network.Segmenter) -> None:
    images = generated_images(count=3, steps=6)
    scores = [iou(colour_distance_mask(image), network.foreground(shipped, image) > 0.5) for image in images]
    assert np.mean(scores) > 0.8, scores


def test_alpha_is_0_on_the_background_255_on_the_object_and_the_pixels_are_kept(shipped: network.Segmenter) -> None:
    scene = world.sample_scene(np.random.default_rng(FRESH_SEED + 1))
    image = np.asarray(
        torch.nn.functional.interpolate(
            torch.from_numpy(world.render(scene, 64)).permute(2, 0, 1)[None].float(), size=(200, 120), mode="nearest"
        )[0]
        .permute(1, 2, 0)
        .to(torch.uint8)
    )
    truth = torch.nn.functional.interpolate(
        torch.from_numpy(scenes.render_mask(scene))[None, None], size=(200, 120), mode="nearest"
    )[0, 0].numpy()

    cut_out = network.remove_background(shipped, image)

    assert cut_out.shape == (200, 120, 4) and cut_out.dtype == np.uint8
    assert np.array_equal(cut_out[..., :3], image)
    assert np.mean(cut_out[..., 3][truth == 0] == 0) > 0.95  # exactly transparent, not merely faint
    assert np.mean(cut_out[..., 3][truth == 1] == 255) > 0.9


def tiny_torchscript(directory: Path, channels: int, config: dict) -> torch.nn.Module:
    torch.manual_seed(0)
    model = torch.nn.Conv2d(3, channels, 3, padding=1).eval()
    torch.jit.save(torch.jit.script(model), str(directory / "model.pt"))
    (directory / "config.json").write_text(json.dumps(config))
    return model


@pytest.mark.parametrize(
    ("channels", "config"),
    [
        (1, {"output": "logits"}),
        (3, {"input_size": [16, 16], "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25], "background_channel": 0}),
    ],
)
def test_a_mounted_torchscript_network_answers_rgba_from_its_own_output(
    tmp_path: Path, channels: int, config: dict
) -> None:
    model = tiny_torchscript(tmp_path, channels, config)
    image = np.random.default_rng(3).integers(0, 256, (24, 40, 3), dtype=np.uint8)

    cut_out = TorchScriptSegmenter(tmp_path, device="cpu").remove_background(image)

    assert cut_out.shape == (24, 40, 4) and np.array_equal(cut_out[..., :3], image)
    pixels = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255.0
    if "input_size" in config:
        pixels = torch.nn.functional.interpolate(pixels, size=(16, 16), mode="bilinear", align_corners=False)
    with torch.no_grad():
        out = model(
            (pixels - torch.tensor(config.get("mean", [0.0] * 3)).view(1, 3, 1, 1))
            / torch.tensor(config.get("std", [1.0] * 3)).view(1, 3, 1, 1)
        )
    probability = torch.sigmoid(out) if channels == 1 else 1 - torch.softmax(out, dim=1)[:, :1]
    probability = torch.nn.functional.interpolate(probability, size=(24, 40), mode="bilinear", align_corners=False)
    expected = network.alpha_from(probability[0, 0].numpy())
    assert np.abs(cut_out[..., 3].astype(int) - expected.astype(int)).max() <= 1


def test_a_mounted_directory_without_a_network_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="has no model.pt"):
        TorchScriptSegmenter(tmp_path, device="cpu")

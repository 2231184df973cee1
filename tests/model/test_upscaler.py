"""The shipped upscaler weights: 2x output, and sharper than Lanczos on world pairs it never saw."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from upscaler import network
from upscaler.evaluate import evaluate
from upscaler.pairs import pairs

FRESH_SEED = 424242  # neither training (1) nor the model card (1000) drew from it


def test_the_network_is_small() -> None:
    assert network.parameter_count(network.Upscaler()) <= 50_000


def test_an_untrained_network_is_bicubic() -> None:
    low = torch.rand(1, 3, 8, 10)
    expected = torch.nn.functional.interpolate(low, scale_factor=2, mode="bicubic", align_corners=False)
    assert torch.equal(network.Upscaler()(low), expected)


def test_the_output_is_exactly_twice_the_size() -> None:
    model = network.load()
    image = pairs(FRESH_SEED, 1, low_sizes=(24,))[0][0][:, :17]
    assert network.upscale(model, image).shape == (48, 34, 3)


def test_anything_but_an_rgb_uint8_image_is_refused() -> None:
    with pytest.raises(ValueError, match="uint8 of shape"):
        network.upscale(network.load(), np.zeros((8, 8), np.uint8))


def test_the_shipped_weights_beat_lanczos_and_bicubic_on_fresh_pairs() -> None:
    torch.set_num_threads(1)
    figures = evaluate(network.WEIGHTS_FILE, count=24, seed=FRESH_SEED)

    assert figures["upscaler"]["psnr"] > figures["lanczos"]["psnr"] + 1.0, figures
    assert figures["upscaler"]["psnr"] > figures["bicubic"]["psnr"] + 1.0, figures
    assert figures["upscaler"]["ssim"] > figures["lanczos"]["ssim"], figures

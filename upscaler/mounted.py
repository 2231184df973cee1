"""The upscale model's mounted-weights path for GPU deployments: diffusers'
StableDiffusionUpscalePipeline loaded from a directory (`save_pretrained` layout, e.g.
stabilityai/stable-diffusion-x4-upscaler), with an empty prompt. Whatever factor the pipeline
has (x4 for the published weights), the answer is resized to exactly 2x, the action's contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

DEFAULT_STEPS = 20


class StableDiffusionUpscaler:
    def __init__(self, weights_dir: Path, *, steps: int = DEFAULT_STEPS, device: str | None = None) -> None:
        import torch
        from diffusers import StableDiffusionUpscalePipeline

        if not Path(weights_dir).is_dir():
            raise FileNotFoundError(f"upscale weights_dir {weights_dir} is not a directory")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        self._pipeline = StableDiffusionUpscalePipeline.from_pretrained(str(weights_dir), torch_dtype=dtype).to(device)
        self._pipeline.set_progress_bar_config(disable=True)
        self._steps = steps

    def upscale(self, image: np.ndarray) -> np.ndarray:
        """uint8 (h, w, 3) -> uint8 (2h, 2w, 3)."""
        height, width = image.shape[:2]
        answer = self._pipeline(
            prompt="", image=Image.fromarray(image), num_inference_steps=self._steps, output_type="pil"
        ).images[0]
        if answer.size != (2 * width, 2 * height):
            answer = answer.resize((2 * width, 2 * height), Image.Resampling.LANCZOS)
        return np.asarray(answer.convert("RGB"), dtype=np.uint8)

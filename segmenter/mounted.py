"""The background model's mounted-weights path for GPU deployments: a TorchScript segmentation or
matting network from a directory.

The directory holds `model.pt` (torch.jit.save of any network taking (1, 3, h, w) floats) and an
optional `config.json`:

    {"input_size": [320, 320],        # resize to this before the call; null keeps the image's size
     "mean": [0.485, 0.456, 0.406],   # per-channel normalisation of [0, 1] pixels
     "std": [0.229, 0.224, 0.225],
     "output": "logits",              # or "probability"
     "background_channel": 0}         # with several output channels: softmax, foreground = 1 - this one

A one-channel output is a foreground logit (sigmoid) or probability (a matting network's alpha).
The answer is resized back to the image and cut out as the default's is (network.cut_out).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from segmenter.network import check_rgb, cut_out

MODEL_FILE = "model.pt"
CONFIG_FILE = "config.json"


class TorchScriptSegmenter:
    def __init__(self, weights_dir: Path, *, device: str | None = None) -> None:
        import torch

        weights_dir = Path(weights_dir)
        if not (weights_dir / MODEL_FILE).is_file():
            raise FileNotFoundError(f"background weights_dir {weights_dir} has no {MODEL_FILE}")
        config_path = weights_dir / CONFIG_FILE
        config = json.loads(config_path.read_text()) if config_path.is_file() else {}
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._model = torch.jit.load(str(weights_dir / MODEL_FILE), map_location=self._device).eval()
        size = config.get("input_size")
        self._input_size = (int(size[0]), int(size[1])) if size else None
        self._mean = torch.tensor(config.get("mean", [0.0, 0.0, 0.0]), device=self._device).view(1, 3, 1, 1)
        self._std = torch.tensor(config.get("std", [1.0, 1.0, 1.0]), device=self._device).view(1, 3, 1, 1)
        self._output = config.get("output", "logits")
        if self._output not in ("logits", "probability"):
            raise ValueError(f"background config output must be logits or probability, got {self._output!r}")
        self._background_channel = int(config.get("background_channel", 0))

    def foreground(self, image: np.ndarray) -> np.ndarray:
        """uint8 (h, w, 3) -> float32 (h, w) foreground probability."""
        import torch
        import torch.nn.functional as F

        check_rgb(image)
        height, width = image.shape[:2]
        pixels = torch.from_numpy(np.array(image)).to(self._device).permute(2, 0, 1)[None].float() / 255.0
        if self._input_size:
            pixels = F.interpolate(pixels, size=self._input_size, mode="bilinear", align_corners=False)
        with torch.inference_mode():
            answer = self._model((pixels - self._mean) / self._std)
            if isinstance(answer, (tuple, list)):
                answer = answer[0]  # matting and DeepLab-style networks put the main output first
            if isinstance(answer, dict):
                answer = answer["out"]
            answer = answer.float()
            if answer.shape[1] == 1:
                probability = torch.sigmoid(answer) if self._output == "logits" else answer.clamp(0.0, 1.0)
            else:
                probability = (
                    1.0 - torch.softmax(answer, dim=1)[:, self._background_channel : self._background_channel + 1]
                )
            full = F.interpolate(probability, size=(height, width), mode="bilinear", align_corners=False)
        return full[0, 0].cpu().numpy()

    def remove_background(self, image: np.ndarray) -> np.ndarray:
        return cut_out(image, self.foreground(image))

"""The describe model's mounted-weights path for GPU deployments: a transformers image-captioning
model (BLIP, e.g. Salesforce/blip-image-captioning-base) loaded from a directory in
`save_pretrained` layout, with its processor. Beam search returns up to four distinct captions,
best first, the same contract as the shipped describer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from describer.suggestions import MAX_SUGGESTIONS

MAX_NEW_TOKENS = 30


class BlipDescriber:
    def __init__(self, weights_dir: Path, *, device: str | None = None) -> None:
        import torch
        from transformers import BlipForConditionalGeneration, BlipProcessor

        if not Path(weights_dir).is_dir():
            raise FileNotFoundError(f"describe weights_dir {weights_dir} is not a directory")
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._dtype = torch.float16 if self._device.startswith("cuda") else torch.float32
        self._processor = BlipProcessor.from_pretrained(str(weights_dir))
        self._model = BlipForConditionalGeneration.from_pretrained(str(weights_dir), torch_dtype=self._dtype)
        self._model.to(self._device).eval()  # type: ignore[arg-type]

    def describe(self, image: np.ndarray) -> list[str]:
        """uint8 (h, w, 3) -> up to MAX_SUGGESTIONS distinct captions, best first."""
        import torch

        inputs = self._processor(images=Image.fromarray(image), return_tensors="pt").to(self._device, self._dtype)
        with torch.inference_mode():
            tokens = self._model.generate(
                **inputs,
                num_beams=MAX_SUGGESTIONS,
                num_return_sequences=MAX_SUGGESTIONS,
                max_new_tokens=MAX_NEW_TOKENS,
            )
        captions: list[str] = []
        for text in self._processor.batch_decode(tokens, skip_special_tokens=True):
            text = " ".join(text.split())
            if text and text not in captions:
                captions.append(text)
        return captions[:MAX_SUGGESTIONS]

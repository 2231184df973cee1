"""Requests for the Triton txt2img model's pipelines, in tests that put its backend package on sys.path."""

from __future__ import annotations

from txt2img_backend.pipelines import GenerationRequest


def generation_request(prompt: str, seeds, steps: int, width: int = 64, height: int = 64, **remix) -> GenerationRequest:
    """Guidance 1 and a preview every step: what the pipelines' own tests need."""
    return GenerationRequest(
        prompt=prompt,
        negative_prompt="",
        seeds=tuple(seeds),
        steps=steps,
        guidance=1.0,
        width=width,
        height=height,
        preview_every=1,
        **remix,
    )

"""Latency of the whole upscale action through the public API, against the same Triton call made
directly: POST /api/v1/images/{id}/upscale → the `completed` server-sent event a browser waits for,
on a 512 px source (the result is 1024 px). p50/p95 over --requests, one at a time.

    .venv/bin/python -m bench.bench_upscale_e2e [--requests 16]

Starts its own platform (bench/action_e2e.py); the bench user is put on the pro plan by an operator
call. The direct figure is TritonImageModel.infer on the same source
pixels, so platform/direct is what the job path (outbox, JetStream, object store, authority,
events) adds to the model. Never a test.
"""

from __future__ import annotations

import argparse
import io
import logging

import httpx
import numpy as np
from PIL import Image

from bench.action_e2e import compare, run_on_own_platform
from bench.bench_generation_e2e import until_completed

PROMPT = "a red circle on a blue background"


async def source_image(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[str, np.ndarray]:
    reply = await client.post("/api/v1/generations", headers=headers, json={"prompt": PROMPT, "num_images": 1})
    reply.raise_for_status()
    generation_id = reply.json()["generation_id"]
    await until_completed(client, headers, generation_id)
    image = (await client.get(f"/api/v1/generations/{generation_id}", headers=headers)).json()["images"][0]
    png = await client.get(f"/api/v1/images/{image['image_id']}/content", params={"format": "png"}, headers=headers)
    png.raise_for_status()
    return image["image_id"], np.asarray(Image.open(io.BytesIO(png.content)).convert("RGB"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=16)
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    run_on_own_platform(
        lambda stack: compare(
            stack, "upscale", lambda model, pixels: model.infer("upscale", pixels), source_image, options.requests
        )
    )


if __name__ == "__main__":
    main()

"""Times the txt2img model on a real tritonserver: start-up until the model is ready, then requests
of 4 images x 20 steps through the generation worker's client. Prints figures; never a test.

    python -m bench.txt2img_triton [--requests 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from services.generation.inference import Progress, TritonTxt2Img, Txt2ImgRequest
from tools.devstack import TritonServer, free_port

MODEL_REPOSITORY = Path(__file__).resolve().parents[1] / "model_repository"


async def time_requests(url: str, count: int) -> tuple[list[float], list[float]]:
    totals, first_previews = [], []
    async with TritonTxt2Img(url) as model:
        for seed in range(count + 1):  # the first request warms up and is not counted
            started = time.perf_counter()
            first_preview: list[float] = []

            async def on_progress(progress: Progress) -> None:
                if not first_preview:
                    first_preview.append(time.perf_counter() - started)

            request = Txt2ImgRequest(
                prompt="a red circle on a blue background", seed=seed, num_images=4, steps=20, preview_every=5
            )
            await model.generate(request, on_progress)
            if seed:
                totals.append(time.perf_counter() - started)
                first_previews.append(first_preview[0])
    return totals, first_previews


def describe(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    median = statistics.median(ordered)
    return f"median {median * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-triton-") as data_dir:
        server = TritonServer(MODEL_REPOSITORY, free_port(), free_port(), free_port(), Path(data_dir))
        started = time.perf_counter()
        server.start()
        ready_s = time.perf_counter() - started
        try:
            totals, first_previews = asyncio.run(time_requests(server.grpc_url, args.requests))
        finally:
            server.stop()
    print(f"tritonserver start until txt2img ready: {ready_s:.2f} s")
    print(f"4 images 256x256, 20 steps, previews every 5 ({len(totals)} requests, one at a time):")
    print(f"  whole request:  {describe(totals)}")
    print(f"  first preview:  {describe(first_previews)}")


if __name__ == "__main__":
    main()

"""What serving through Triton costs: a Stable Diffusion 1.5-sized pipeline with random weights,
timed called directly with diffusers in one process, then served by a real tritonserver (the txt2img
model's `stable-diffusion` pipeline) and called through the platform's own client (TritonTxt2Img),
one request at a time and --concurrency at once. Prints images/s, p50/p95 per request and the
overhead ratios. Never a test.

Random weights draw noise but cost exactly what trained ones do: the UNet (860M parameters), VAE and
CLIP text encoder have SD 1.5's real sizes; only the tokenizer is a tiny byte-level one (no
download), which changes no timing (prompts are padded to 77 tokens either way).

Meant for a GPU machine (fp16 on CUDA). From the repository root, with the venv's Python:

    HF_HUB_OFFLINE=1 .venv/bin/python -m bench.bench_sd_triton_gpu \\
        [--size 512] [--steps 20] [--images 4] [--requests 10] [--concurrency 4]

No GPU where this was written: it ran only on a CPU, as `--device cpu --tiny --size 64 --steps 4
--requests 3 --concurrency 3` (tiny UNet/VAE/CLIP, the whole path in a couple of minutes) and, at SD
1.5's sizes, as `--device cpu --size 64 --steps 1 --images 1 --requests 1 --warmup 0 --concurrency 1`.

The Triton model's instance_group is KIND_CPU: for the Python backend that only means Triton assigns
no device; the model process still sees the GPU and StableDiffusionPipelineAdapter puts the pipeline
on CUDA in fp16 when torch.cuda.is_available(). Served, the pipeline also maps the latents to a
preview on every step (txt2img_backend's adapter asks for one per step, to notice a cancelled
request), a device-to-host copy per step the direct run does not make: part of what the ratio measures.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from bench.stats import Latencies, timed
from imagemodel.pipelines import StableDiffusionPipelineAdapter
from services.generation.inference import Progress, TritonTxt2Img, Txt2ImgRequest
from tests.support.stable_diffusion import SD15, TINY, random_stable_diffusion
from tools.devstack import TritonServer, free_ports

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL_SOURCE = REPO_ROOT / "model_repository" / "txt2img"
PROMPT = "a red circle on a blue background, studio lighting, highly detailed"
# The Triton model's limits (model_repository/txt2img/1/txt2img_backend/pipelines.py).
MIN_SIDE, MAX_SIDE, MAX_IMAGES = 64, 1024, 8
PREVIEW_EVERY = 5  # what the generation worker asks for (services/generation/worker.py)


@dataclass(frozen=True)
class Run:
    name: str
    latencies: Latencies
    images_per_s: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--device",
        choices=("cuda", "cpu"),
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="default: cuda when torch sees a GPU",
    )
    parser.add_argument(
        "--tiny",
        action="store_true",
        help="a tiny UNet/VAE/CLIP instead of SD 1.5's sizes: exercises the script on a CPU",
    )
    parser.add_argument("--size", type=int, default=None, help="image side in pixels (default 512; 64 with --tiny)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--images", type=int, default=4, help="images per request")
    parser.add_argument("--requests", type=int, default=10, help="timed requests per mode")
    parser.add_argument("--warmup", type=int, default=1, help="untimed requests first, per process")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight in the concurrent Triton run")
    parser.add_argument("--guidance", type=float, default=7.5, help="> 1: classifier-free guidance (2x the batch)")
    parser.add_argument(
        "--preview-every",
        type=int,
        default=PREVIEW_EVERY,
        help="steps between streamed previews through Triton; 0: none",
    )
    args = parser.parse_args()
    args.size = args.size or (64 if args.tiny else 512)
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error(
            "--device cuda: torch sees no CUDA GPU here (torch.cuda.is_available() is False); "
            "run this on a GPU machine, or pass --device cpu --tiny to exercise it on the CPU"
        )
    if not (MIN_SIDE <= args.size <= MAX_SIDE and args.size % 8 == 0):
        parser.error(f"--size must be a multiple of 8 between {MIN_SIDE} and {MAX_SIDE} (the Triton model's limits)")
    if not 1 <= args.images <= MAX_IMAGES:
        parser.error(f"--images must be between 1 and {MAX_IMAGES} (the Triton model's limit)")
    if min(args.steps, args.requests, args.concurrency) < 1 or args.warmup < 0:
        parser.error("--steps, --requests and --concurrency must be positive, --warmup not negative")
    return args


def save_random_pipeline(directory: Path, tiny: bool, device: str) -> Path:
    pipeline = random_stable_diffusion(TINY if tiny else SD15)
    if device == "cuda":
        pipeline.to(dtype=torch.float16)
    pipeline.save_pretrained(directory)
    return directory


def request_seeds(index: int, images: int) -> list[int]:
    """The seeds the Triton model derives from request `index` (seed, seed + 1, ...)."""
    return [index * images + i for i in range(images)]


def time_direct(weights_dir: Path, args: argparse.Namespace) -> Run:
    # Loaded as the Triton model loads it (dtype, no safety checker), then called as plain diffusers.
    latencies = time_pipeline(StableDiffusionPipelineAdapter.from_pretrained(weights_dir, device=args.device), args)
    gc.collect()
    if args.device == "cuda":
        torch.cuda.empty_cache()  # leave the GPU's memory to the Triton model
    return Run("diffusers, in process", latencies, latencies.per_second(args.images))


def time_pipeline(adapter: StableDiffusionPipelineAdapter, args: argparse.Namespace) -> Latencies:
    pipe = adapter.pipeline

    def generate(index: int) -> None:
        seeds = request_seeds(index, args.images)
        pipe(
            prompt=[PROMPT] * len(seeds),
            num_inference_steps=args.steps,
            guidance_scale=args.guidance,
            width=args.size,
            height=args.size,
            output_type="np",  # np: the images reach the host, so it syncs
            generator=[torch.Generator(device=pipe.device).manual_seed(s) for s in seeds],
        )

    return timed(generate, args.requests, warm_up=args.warmup)


def model_repository(root: Path, weights_dir: Path) -> Path:
    """A copy of the txt2img model whose config points at weights_dir (the pipeline is chosen by
    TritonServer(pipeline=...)); repo_root, since the copy no longer sits beside imagemodel/."""
    target = root / "txt2img"
    shutil.copytree(MODEL_SOURCE, target, ignore=shutil.ignore_patterns("__pycache__"))
    config = target / "config.pbtxt"
    extra = {"weights_dir": weights_dir.resolve(), "repo_root": REPO_ROOT}
    config.write_text(
        config.read_text()
        + "".join(
            f'\nparameters {{\n  key: "{key}"\n  value: {{ string_value: "{value}" }}\n}}\n'
            for key, value in extra.items()
        )
    )
    return root


async def time_triton(url: str, args: argparse.Namespace, concurrency: int, first_index: int) -> Run:
    async def ignore(progress: Progress) -> None:
        pass

    async with TritonTxt2Img(url, timeout_s=3600) as model:

        async def one(index: int) -> float:
            request = Txt2ImgRequest(
                prompt=PROMPT,
                seed=request_seeds(index, args.images)[0],
                num_images=args.images,
                steps=args.steps,
                guidance=args.guidance,
                width=args.size,
                height=args.size,
                preview_every=args.preview_every,
            )
            started = time.perf_counter()
            result = await model.generate(request, ignore)
            assert len(result.images) == args.images and result.images[0].shape == (args.size, args.size, 3)
            return time.perf_counter() - started

        for index in range(args.warmup):
            await one(first_index + index)
        pending = iter(range(first_index + args.warmup, first_index + args.warmup + args.requests))
        latencies: list[float] = []

        async def client() -> None:
            for index in pending:  # shared: each request is taken by exactly one client
                latencies.append(await one(index))

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    name = "Triton, one at a time" if concurrency == 1 else f"Triton, {concurrency} in flight"
    return Run(name, Latencies.of(latencies), args.images * len(latencies) / wall)


def print_table(runs: list[Run]) -> None:
    print(f"{'':<24}{'requests':>9}{'images/s':>10}{'p50 s':>9}{'p95 s':>9}")
    for run in runs:
        figures = run.latencies
        print(f"{run.name:<24}{figures.n:>9}{run.images_per_s:>10.3f}{figures.p50:>9.3f}{figures.p95:>9.3f}")


def main() -> None:
    args = parse_args()
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    if args.device == "cpu" and torch.cuda.is_available():
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # the Triton model would otherwise pick the GPU
    print(
        f"{'tiny' if args.tiny else 'SD 1.5-sized'} pipeline, random weights, on {args.device} ({device_name}); "
        f"{args.requests} requests of {args.images} images x {args.steps} steps at {args.size}x{args.size}, "
        f"guidance {args.guidance:g}, {args.warmup} warm-up request(s) per process not counted"
    )
    with tempfile.TemporaryDirectory(prefix="bench-sd-triton-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        weights_dir = save_random_pipeline(root / "weights", args.tiny, args.device)
        size_mb = sum(f.stat().st_size for f in weights_dir.rglob("*") if f.is_file()) / 1e6
        print(f"built and saved the pipeline ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s")

        runs = [time_direct(weights_dir, args)]

        http_port, grpc_port, metrics_port = free_ports(3)
        server = TritonServer(
            model_repository(root / "models", weights_dir),
            http_port,
            grpc_port,
            metrics_port,
            root / "triton",
            pipeline="stable-diffusion",
        )
        started = time.perf_counter()
        server.start(timeout=900)
        previews = f"previews every {args.preview_every} steps" if args.preview_every else "no previews"
        print(f"tritonserver ready (stable-diffusion loaded) in {time.perf_counter() - started:.1f} s; {previews}")
        try:
            runs.append(asyncio.run(time_triton(server.grpc_url, args, 1, first_index=0)))
            if args.concurrency > 1:
                runs.append(asyncio.run(time_triton(server.grpc_url, args, args.concurrency, first_index=10_000)))
        finally:
            server.stop()

    print_table(runs)
    direct, sequential = runs[0], runs[1]
    print(
        f"overhead, one at a time: Triton images/s / direct = {sequential.images_per_s / direct.images_per_s:.3f}; "
        f"Triton p50 / direct p50 = {sequential.latencies.p50 / direct.latencies.p50:.3f}, "
        f"p95 ratio {sequential.latencies.p95 / direct.latencies.p95:.3f}"
    )
    for run in runs[2:]:
        ratio = run.latencies.p50 / direct.latencies.p50
        print(
            f"{run.name}: images/s / direct = {run.images_per_s / direct.images_per_s:.3f}; "
            f"p50 / direct p50 = {ratio:.3f} (one model instance: requests wait their turn)"
        )


if __name__ == "__main__":
    main()

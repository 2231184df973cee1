"""A real tritonserver serving the shipped tiny-diffusion model from this repository's model_repository."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tools.devstack import TritonServer, free_ports, txt2img_repository

MODEL_REPOSITORY = Path(__file__).resolve().parents[2] / "model_repository"


@contextmanager
def tiny_diffusion_triton(root: Path, dynamic_batching: bool) -> Iterator[TritonServer]:
    repository = txt2img_repository(MODEL_REPOSITORY, root / "models", dynamic_batching=dynamic_batching)
    server = TritonServer(repository, *free_ports(3), root / "data", pipeline="tiny-diffusion")
    server.start()
    try:
        yield server
    finally:
        server.stop()

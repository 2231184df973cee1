"""What the benches that compare a network on a lent GPU with the CPU share."""

from __future__ import annotations

import logging
import sys

import torch


def require_cuda(log: logging.Logger) -> None:
    """Stops (exit 2) with a message on a machine without CUDA; else names the GPU. The CPU side runs
    one torch thread, as the Triton models' instances do."""
    if not torch.cuda.is_available():
        log.error("no CUDA device here: run this on a lent GPU")
        sys.exit(2)
    log.info("GPU: %s", torch.cuda.get_device_name(0))
    torch.set_num_threads(1)

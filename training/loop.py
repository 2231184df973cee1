"""The training loop of the small CPU networks: Adam with cosine decay from a peak learning rate to
zero, one batch a step, the loss logged now and then; deterministic for a given torch thread count.

A package hands it a freshly built network and `batch_loss`, which draws the step's batch from the
package's own seeded generator and returns its loss: what the data is and how it is scored stay
with the package.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

import torch

Network = TypeVar("Network", bound=torch.nn.Module)


def cosine_learning_rate(peak: float, step: int, steps: int) -> float:
    return peak * 0.5 * (1 + math.cos(math.pi * step / steps))


def fit(
    model: Network,
    batch_loss: Callable[[Network], torch.Tensor],
    *,
    steps: int,
    learning_rate: float,
    log: logging.Logger,
    log_every: int,
) -> Network:
    """Trains model in place for steps batches; returns it in eval mode."""
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    started = time.monotonic()
    model.train()
    for step in range(steps):
        for group in optimiser.param_groups:
            group["lr"] = cosine_learning_rate(learning_rate, step, steps)
        loss = batch_loss(model)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % log_every == 0 or step == steps - 1:
            log.info("step %d loss %.5f (%.0fs)", step, loss.item(), time.monotonic() - started)
    return model.eval()

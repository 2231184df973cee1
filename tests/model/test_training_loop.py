"""The training loop the upscaler, segmenter and describer share (training/loop.py): the same seed
and thread count give the same weights, the learning rate decays on a cosine to zero, and the
network comes back in eval mode. A 4-weight network for a few steps: the loop, not a model."""

import logging

import torch

from training import loop

LOG = logging.getLogger(__name__)


def fitted(seed: int, steps: int = 5) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Dropout(0.5))

    def batch_loss(model: torch.nn.Module) -> torch.Tensor:
        inputs = torch.rand((8, 3), generator=generator)
        return ((model(inputs) - inputs.sum(dim=1, keepdim=True)) ** 2).mean()

    trained = loop.fit(model, batch_loss, steps=steps, learning_rate=0.1, log=LOG, log_every=2)
    assert not trained.training
    return {name: tensor.clone() for name, tensor in trained.state_dict().items()}


def test_the_same_seed_gives_the_same_weights_and_another_seed_others() -> None:
    first, again, other = fitted(1), fitted(1), fitted(2)
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)


def test_the_learning_rate_falls_from_its_peak_to_zero_on_a_cosine() -> None:
    rates = [loop.cosine_learning_rate(0.1, step, 100) for step in (0, 50, 100)]
    assert rates[0] == 0.1 and abs(rates[1] - 0.05) < 1e-12 and abs(rates[2]) < 1e-12
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False))

"""Train the learned prompt reader (imagemodel/prompt_reader.py) over frozen MiniLM states.

    python -m imagemodel.train_reader --out imagemodel/weights/   # ~10 min on 2 busy CPU cores

Deterministic: the phrasings, the initial weights and the batches depend only on --seed, so the same
arguments on the same thread count give the same weights. The phrasings come from
imagemodel/reader_phrasings.py alone (never phrasings.HELD_OUT or FRESH); the log ends with the reader's
whole-spec accuracy on a validation draw of the same distribution.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F

from imagemodel import captions, prompt_reader, reader_phrasings
from imagemodel.model import MAX_TOKENS, TextEncoder, slot_labels

log = logging.getLogger("imagemodel.train_reader")

ENCODE_BATCH = 64


def examples(count: int, seed: int) -> tuple[list[str], torch.Tensor]:
    """`count` prompts (slips mended, as the pipeline reads them) and their slot labels."""
    rng = np.random.default_rng(seed)
    vocabulary = captions.Vocabulary(captions.world_vocabulary())
    prompts, labels = [], []
    for _ in range(count):
        prompt, spec = reader_phrasings.training_example(rng)
        prompts.append(vocabulary.read(prompt).text)
        labels.append(slot_labels(spec))
    return prompts, torch.tensor(labels)


@torch.no_grad()
def encode(encoder: TextEncoder, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token states (fp16, padded to MAX_TOKENS) and masks, in batches of similar length."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    states = torch.zeros(len(prompts), MAX_TOKENS, encoder.model.config.hidden_size, dtype=torch.float16)
    masks = torch.zeros(len(prompts), MAX_TOKENS, dtype=torch.long)
    for start in range(0, len(order), ENCODE_BATCH):
        rows = order[start : start + ENCODE_BATCH]
        batch = encoder.tokenizer(
            [prompts[i] for i in rows], padding="longest", truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
        )
        hidden = encoder.model(**batch).last_hidden_state
        length = hidden.shape[1]
        states[rows, :length] = hidden.half()
        masks[rows, :length] = batch["attention_mask"]
    return states, masks


def loss_of(reader: prompt_reader.SlotReader, states, masks, labels) -> torch.Tensor:
    logits = reader(states.float(), masks)
    total = cast(torch.Tensor, sum(F.cross_entropy(logit, labels[:, i]) for i, logit in enumerate(logits)))
    return total / len(logits)


@torch.no_grad()
def whole_spec_accuracy(reader: prompt_reader.SlotReader, states, masks, labels) -> float:
    reader.eval()
    logits = reader(states.float(), masks)
    predicted = torch.stack([logit.argmax(-1) for logit in logits], dim=1)
    reader.train()
    return float((predicted == labels).all(dim=1).float().mean())


def train(
    encoder: TextEncoder,
    count: int,
    epochs: int,
    seed: int,
    batch_size: int = 128,
    lr: float = 2e-3,
    states_cache: Path | None = None,
) -> prompt_reader.SlotReader:
    """`states_cache`: where the encoded training prompts are kept between runs of the same arguments
    (encoding them is most of the time)."""
    prompts, labels = examples(count, seed)
    if states_cache is not None and states_cache.exists():
        states, masks = torch.load(states_cache)
    else:
        started = time.monotonic()
        states, masks = encode(encoder, prompts)
        log.info("encoded %d prompts in %.0f s", count, time.monotonic() - started)
        if states_cache is not None:
            torch.save((states, masks), states_cache)
    torch.manual_seed(seed)
    reader = prompt_reader.SlotReader()
    optimiser = torch.optim.AdamW(reader.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * (count // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps, pct_start=0.1)
    generator = torch.Generator().manual_seed(seed)
    step = 0
    for epoch in range(epochs):
        order = torch.randperm(count, generator=generator)
        for start in range(0, count - batch_size + 1, batch_size):
            rows = order[start : start + batch_size]
            loss = loss_of(reader, states[rows], masks[rows], labels[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
        log.info("epoch %d/%d: loss %.4f (%d steps)", epoch + 1, epochs, float(loss.detach()), step)
    return reader.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="imagemodel/weights/")
    parser.add_argument("--examples", type=int, default=5_000)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threads", type=int, default=1, help="1: fastest on a busy machine")
    parser.add_argument("--states-cache", type=Path, help="keep the encoded prompts here between runs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    torch.set_num_threads(args.threads)
    encoder = TextEncoder()
    reader = train(encoder, args.examples, args.epochs, args.seed, states_cache=args.states_cache)
    validation = examples(500, args.seed + 1)
    accuracy = whole_spec_accuracy(reader, *encode(encoder, validation[0]), validation[1])
    log.info("validation whole-spec accuracy %.3f", accuracy)
    prompt_reader.save(reader, Path(args.out) / prompt_reader.WEIGHTS_FILE)


if __name__ == "__main__":
    main()

"""Train the default model from scratch on procedurally drawn scenes, for a fixed number of steps.

    python -m imagemodel.train --steps 6000 --out imagemodel/weights/ [--minutes 120]

Reproducible: the data, the noise and the learning rate depend only on (seed, step), so the same
--steps on the same thread count gives the same weights, however often the run is stopped and resumed.
--minutes caps one invocation's wall-clock time: the run checkpoints and exits, and the next invocation
resumes from <state-dir>/state.pt. <out>/model.safetensors holds the EMA weights (fp16), written every
--checkpoint-minutes, with <out>/config.json beside it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import time
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from imagemodel import captions, world
from imagemodel.model import (
    SCHEDULER_CONFIG,
    SLOT_CLASSES,
    ModelConfig,
    TextEncoder,
    TextToImageModel,
    slot_labels,
    training_scheduler,
)

log = logging.getLogger("imagemodel.train")

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def make_batch(rng: np.random.Generator, batch_size: int, held_out: frozenset, drop_text: float):
    """Images in [-1, 1], prompts and slot labels; a dropped prompt is the empty string."""
    images, prompts, labels = [], [], []
    for _ in range(batch_size):
        scene = world.sample_scene(rng, exclude=held_out)
        spec = captions.mentioned_spec(scene, rng)
        if rng.random() < drop_text:
            prompts.append("")
            labels.append(slot_labels(None))
        else:
            prompts.append(captions.caption(spec, rng))
            labels.append(slot_labels(spec))
        images.append(world.render(scene))
    pixels = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1
    return pixels, prompts, torch.tensor(labels)


def attribute_loss(logits: list[torch.Tensor], labels: torch.Tensor) -> torch.Tensor:
    total = sum(F.cross_entropy(logit, labels[:, i]) for i, logit in enumerate(logits))
    return cast(torch.Tensor, total) / len(logits)  # a sum of tensors (`sum` only starts from the int 0)


def min_snr_weight(scheduler, timesteps: torch.Tensor, gamma: float = 5.0) -> torch.Tensor:
    """Min-SNR-gamma weighting for v-prediction: min(snr, gamma) / (snr + 1)."""
    alpha_bar = scheduler.alphas_cumprod[timesteps]
    snr = alpha_bar / (1 - alpha_bar)
    return snr.clamp(max=gamma) / (snr + 1)


def learning_rate(base: float, step: int, total_steps: int, warmup_steps: int = 300) -> float:
    """Linear warmup, then cosine decay to 10% over the run's steps."""
    warm = min(1.0, (step + 1) / warmup_steps)
    progress = min(1.0, step / total_steps)
    return base * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def save_weights(ema: TextToImageModel, out: Path, info: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in ema.state_dict().items()}
    tmp = out / (WEIGHTS_FILE + ".tmp")
    save_file(tensors, str(tmp))
    tmp.chmod(0o644)  # safetensors writes 0600; the Triton server may run as another user
    tmp.replace(out / WEIGHTS_FILE)
    config = {
        "model": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(ema.config).items()},
        "scheduler": SCHEDULER_CONFIG,
        "slots": {k: list(v) for k, v in SLOT_CLASSES.items()},
        "held_out_seed": world.HELD_OUT_SEED,
        "training": info,
    }
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=2))


def pretrain_adapter(model, encoder, rng, held_out, steps: int, batch_size: int = 128) -> None:
    """Teach the attribute heads to read prompts before the UNet starts listening to them."""
    optimizer = torch.optim.AdamW(model.adapter.parameters(), lr=2e-3)
    for step in range(steps):
        _, prompts, labels = make_batch(rng, batch_size, held_out, drop_text=0.1)
        states, mask = encoder.encode(prompts)
        _, _, logits, _ = model.condition(states, mask)
        loss = attribute_loss(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 50 == 0 or step == steps - 1:
            log.info("adapter step %d attribute loss %.4f", step, loss.item())


def train(args) -> None:
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    held_out = world.held_out_combinations()
    out = Path(args.out)
    state_path = Path(args.state_dir) / "state.pt"
    encoder = TextEncoder()
    model = TextToImageModel(ModelConfig())
    ema = TextToImageModel(ModelConfig()).requires_grad_(False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = training_scheduler()
    step, elapsed, earlier_stages = 0, 0.0, []

    if state_path.exists():
        state = torch.load(state_path, weights_only=False)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        optimizer.load_state_dict(state["optimizer"])
        step, elapsed, earlier_stages = state["step"], state["elapsed"], state.get("earlier_stages", [])
        log.info("resumed at step %d after %.1f min", step, elapsed / 60)
    elif args.init_from:
        # A second stage: start from released EMA weights (fresh optimiser, its own warm-up and decay).
        weights = load_file(str(Path(args.init_from) / WEIGHTS_FILE))
        model.load_state_dict({k: v.float() for k, v in weights.items()})
        ema.load_state_dict(model.state_dict())
        earlier = json.loads((Path(args.init_from) / CONFIG_FILE).read_text())["training"]
        earlier_stages = [*earlier.pop("earlier_stages", []), earlier]
        log.info("initialised from %s", args.init_from)
    else:
        pretrain_adapter(model, encoder, np.random.default_rng((args.seed, 1)), held_out, args.adapter_steps)
        ema.load_state_dict(model.state_dict())

    invocation_ends = time.monotonic() + (math.inf if args.minutes is None else args.minutes * 60)
    started = time.monotonic() - elapsed
    last_checkpoint = time.monotonic()
    running = []
    last_step = min(args.steps, args.until_step or args.steps)
    while step < last_step:
        # Everything random depends only on (seed, step), so a resumed run sees the same stream.
        rng = np.random.default_rng((args.seed, 2, step))
        noise_generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        pixels, prompts, labels = make_batch(rng, args.batch_size, held_out, args.drop_text)
        states, mask = encoder.encode(prompts)
        context, context_mask, logits, slot_vector = model.condition(states, mask)
        noise = torch.randn(pixels.shape, generator=noise_generator)
        timesteps = torch.randint(
            0, scheduler.config.num_train_timesteps, (pixels.shape[0],), generator=noise_generator
        )
        noisy = scheduler.add_noise(pixels, noise, timesteps)
        target = scheduler.get_velocity(pixels, noise, timesteps)
        prediction = model.denoise(noisy, timesteps, context, context_mask, slot_vector)
        per_sample = (prediction - target).pow(2).mean(dim=(1, 2, 3))
        diffusion_loss = (per_sample * min_snr_weight(scheduler, timesteps)).mean()
        aux_loss = attribute_loss(logits, labels)
        loss = diffusion_loss + args.aux_weight * aux_loss

        for group in optimizer.param_groups:
            group["lr"] = learning_rate(args.lr, step, args.steps, args.warmup_steps)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for e, p in zip(ema.parameters(), model.parameters()):
                e.lerp_(p, 1 - decay)
        step += 1
        elapsed = time.monotonic() - started
        running.append((diffusion_loss.item(), aux_loss.item()))
        if step % args.log_every == 0:
            d, a = np.mean(running, axis=0)
            running.clear()
            log.info(
                "step %d min %.1f diffusion %.4f attribute %.4f lr %.2e s/step %.2f",
                step,
                elapsed / 60,
                d,
                a,
                optimizer.param_groups[0]["lr"],
                elapsed / max(step, 1),
            )
        done = step >= last_step or time.monotonic() >= invocation_ends
        if done or time.monotonic() - last_checkpoint >= args.checkpoint_minutes * 60:
            last_checkpoint = time.monotonic()
            info = {
                "earlier_stages": earlier_stages,
                "steps": step,
                "total_steps": args.steps,
                "seed": args.seed,
                "minutes": round(elapsed / 60, 1),
                "batch_size": args.batch_size,
                "hardware": f"{platform.processor() or platform.machine()}, {args.threads} CPU threads",
            }
            save_weights(ema, out, info)
            state_path.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "ema": ema.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "step": step,
                    "elapsed": elapsed,
                    "earlier_stages": earlier_stages,
                },
                state_path.with_suffix(".tmp"),
            )
            state_path.with_suffix(".tmp").replace(state_path)
            log.info("checkpoint at step %d (%.1f min) -> %s", step, elapsed / 60, out / WEIGHTS_FILE)
            if done:
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, required=True, help="training steps of the whole run")
    parser.add_argument("--minutes", type=float, help="stop this invocation (checkpointed) after this long")
    parser.add_argument(
        "--until-step", type=int, help="stop (checkpointed) at this step, e.g. to reproduce a cut-short run"
    )
    parser.add_argument("--out", default="imagemodel/weights/")
    parser.add_argument("--state-dir", default=".train/")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--drop-text", type=float, default=0.1)
    parser.add_argument("--aux-weight", type=float, default=0.5)
    parser.add_argument("--adapter-steps", type=int, default=200)
    parser.add_argument("--checkpoint-minutes", type=float, default=10)
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--warmup-steps", type=int, default=300)
    parser.add_argument("--init-from", help="weights directory to continue from (a second training stage)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    train(args)


if __name__ == "__main__":
    main()

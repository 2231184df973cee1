"""A custom style of the default model: low-rank adapters (LoRA, Hu et al. 2021) on the UNet's Linear
layers, trained on a user's handful of images (`imagemodel.style_train`) and applied while sampling.

Which layers: the attention projections (the 8x8 blocks, where the picture's layout is read) and every
resnet's `time_emb_proj` (the per-channel scale and shift of each block, down to full resolution, where
a palette lives). The adapters run as forward hooks, installed for one generation (`applied`) and
removed after it: the base model's modules and weights are never touched, so a generation without a
style is bit for bit what it was before styles existed.

A style travels as safetensors bytes (`to_bytes` / `from_bytes`): each adapted layer's `lora_A`
(rank x in) and `lora_B` (out x rank), with metadata naming the base model and its fingerprint (a hash
of its weights): a style trained on other weights is refused (`StyleError`) rather than drawing noise.
"""

from __future__ import annotations

import hashlib
import json
import struct
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import nn

from imagemodel.model import TextToImageModel

FORMAT = "atelier-style-lora/1"
BASE_MODEL = "tiny-diffusion"
TARGET_SUFFIXES = ("to_q", "to_k", "to_v", "to_out.0", "time_emb_proj")
RANK = 4
MAX_SCALE = 1.5
# Below this many rows CPU BLAS sums in another order (pipelines.MIN_MATMUL_ROWS): the adapters pad, as
# the base model's Linears do, so a styled image is the same in any batch.
MIN_MATMUL_ROWS = 16
_HEADER_BYTES = 8
_fingerprints: weakref.WeakKeyDictionary[nn.Module, str] = weakref.WeakKeyDictionary()


class StyleError(ValueError):
    """The style's bytes cannot style this model; the message says why."""


@dataclass(frozen=True)
class Style:
    """LoRA factors per adapted layer name: (A (rank, in), B (out, rank)), and the metadata."""

    factors: dict[str, tuple[torch.Tensor, torch.Tensor]]
    metadata: dict[str, str]


def target_layers(unet: nn.Module) -> dict[str, nn.Linear]:
    return {
        name: module
        for name, module in unet.named_modules()
        if isinstance(module, nn.Linear) and name.endswith(TARGET_SUFFIXES)
    }


def model_fingerprint(model: nn.Module) -> str:
    """sha256 of the model's weights (names, shapes, float32 values), cached per model object."""
    cached = _fingerprints.get(model)
    if cached is None:
        digest = hashlib.sha256()
        for name, tensor in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(str(tuple(tensor.shape)).encode())
            digest.update(tensor.detach().float().contiguous().numpy().tobytes())
        cached = _fingerprints[model] = digest.hexdigest()
    return cached


def new_style(unet: nn.Module, generator: torch.Generator, rank: int = RANK) -> Style:
    """Fresh trainable factors: A small random, B zero, so the untrained style changes nothing."""
    factors = {}
    for name, layer in target_layers(unet).items():
        a = torch.randn(rank, layer.in_features, generator=generator) / layer.in_features**0.5
        b = torch.zeros(layer.out_features, rank)
        factors[name] = (a.requires_grad_(True), b.requires_grad_(True))
    return Style(factors, {})


def parameters(style: Style) -> list[torch.Tensor]:
    return [tensor for pair in style.factors.values() for tensor in pair]


def _low_rank(x: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    flat = x.reshape(-1, x.shape[-1])
    rows = flat.shape[0]
    if rows < MIN_MATMUL_ROWS:
        flat = torch.cat([flat, flat.new_zeros(MIN_MATMUL_ROWS - rows, flat.shape[1])])
    out = (flat @ a.t()) @ b.t()
    return out[:rows].reshape(*x.shape[:-1], b.shape[0])


@contextmanager
def applied(unet: nn.Module, style: Style, scale: float = 1.0) -> Iterator[None]:
    """The UNet computes with the style (delta = scale * B A x on each adapted layer) inside the block."""
    layers = target_layers(unet)
    missing = set(style.factors) - set(layers)
    if missing:
        raise StyleError(f"the style adapts layers this model does not have: {sorted(missing)[:3]}")
    handles = []
    try:
        for name, (a, b) in style.factors.items():

            def hook(module, inputs, output, a=a, b=b):
                return output + scale * _low_rank(inputs[0], a, b)

            handles.append(layers[name].register_forward_hook(hook))
        yield
    finally:
        for handle in handles:
            handle.remove()


def to_bytes(style: Style, model: nn.Module, extra: dict[str, str] | None = None) -> bytes:
    """safetensors bytes (fp32, a few hundred kB) naming the base model it was trained on."""
    tensors = {}
    for name, (a, b) in style.factors.items():
        tensors[f"{name}.lora_A"] = a.detach().float().contiguous()
        tensors[f"{name}.lora_B"] = b.detach().float().contiguous()
    metadata = {"format": FORMAT, "base_model": BASE_MODEL, "base_fingerprint": model_fingerprint(model)}
    metadata.update(extra or {})
    return _canonical(save_tensors(tensors, metadata=metadata))


def _canonical(data: bytes) -> bytes:
    """The same safetensors with its header's keys sorted: safetensors writes the metadata in hash-map
    order, which changes from call to call, and a style's bytes should be a function of its training."""
    (length,) = struct.unpack("<Q", data[:_HEADER_BYTES])
    header = json.loads(data[_HEADER_BYTES : _HEADER_BYTES + length])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format pads the header to 8 bytes with spaces
    return struct.pack("<Q", len(text)) + text + data[_HEADER_BYTES + length :]


def read_metadata(data: bytes) -> dict[str, str]:
    """The safetensors header's metadata; StyleError when the bytes are not safetensors."""
    if len(data) < _HEADER_BYTES:
        raise StyleError("the style weights are not a safetensors file (too short)")
    (length,) = struct.unpack("<Q", data[:_HEADER_BYTES])
    if length > len(data) - _HEADER_BYTES:
        raise StyleError("the style weights are not a safetensors file (bad header length)")
    try:
        header = json.loads(data[_HEADER_BYTES : _HEADER_BYTES + length])
    except ValueError:
        raise StyleError("the style weights are not a safetensors file (unreadable header)") from None
    metadata = header.get("__metadata__") if isinstance(header, dict) else None
    return dict(metadata) if isinstance(metadata, dict) else {}


def from_bytes(data: bytes, model: TextToImageModel) -> Style:
    """The style in data, checked against the model it is to style (its fingerprint and layers)."""
    metadata = read_metadata(data)
    if metadata.get("format") != FORMAT:
        raise StyleError(f"the style weights are not an Atelier style (format {metadata.get('format')!r})")
    if metadata.get("base_fingerprint") != model_fingerprint(model):
        raise StyleError(
            f"the style was trained on another base model ({metadata.get('base_model')}"
            f" {str(metadata.get('base_fingerprint'))[:12]}); this one is {BASE_MODEL} {model_fingerprint(model)[:12]}:"
            " train the style again"
        )
    try:
        tensors = load_tensors(data)
    except Exception as error:
        raise StyleError(f"the style weights are not a readable safetensors file: {error}") from None
    layers = target_layers(model.unet)
    factors = {}
    for name, layer in layers.items():
        a, b = tensors.get(f"{name}.lora_A"), tensors.get(f"{name}.lora_B")
        if a is None or b is None:
            continue
        if a.ndim != 2 or b.ndim != 2 or a.shape[1] != layer.in_features or b.shape != (layer.out_features, a.shape[0]):
            raise StyleError(f"the style's factors for {name} do not fit the layer")
        factors[name] = (a.float(), b.float())
    if not factors:
        raise StyleError("the style weights hold no adapter for this model")
    return Style(factors, metadata)

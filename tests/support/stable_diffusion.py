"""Randomly initialised diffusers Stable Diffusion pipelines, built offline (no download), for tests
(TINY: checks wiring in seconds) and benchmarks (SD15: the real SD 1.5 sizes, so timings are real
even though the images are noise)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class StableDiffusionShape:
    unet_channels: tuple[int, ...]  # the last block has no cross-attention, as in SD 1.5
    unet_layers_per_block: int
    unet_attention_head_dim: int
    unet_sample_size: int  # latent side; the default image side is 8x this
    vae_channels: tuple[int, ...]
    vae_layers_per_block: int
    norm_num_groups: int
    text_hidden: int  # also the UNet's cross_attention_dim
    text_intermediate: int
    text_layers: int
    text_heads: int
    text_vocab: int | None = None  # None: the tokenizer's own size


TINY = StableDiffusionShape(
    unet_channels=(32, 64),
    unet_layers_per_block=1,
    unet_attention_head_dim=4,
    unet_sample_size=16,
    vae_channels=(16, 32),
    vae_layers_per_block=1,
    norm_num_groups=16,
    text_hidden=32,
    text_intermediate=37,
    text_layers=2,
    text_heads=4,
)
# runwayml/stable-diffusion-v1-5: UNet 860M, VAE 84M, CLIP ViT-L/14 text encoder 123M parameters.
SD15 = StableDiffusionShape(
    unet_channels=(320, 640, 1280, 1280),
    unet_layers_per_block=2,
    unet_attention_head_dim=8,
    unet_sample_size=64,
    vae_channels=(128, 256, 512, 512),
    vae_layers_per_block=2,
    norm_num_groups=32,
    text_hidden=768,
    text_intermediate=3072,
    text_layers=12,
    text_heads=12,
    text_vocab=49408,
)


def byte_level_symbols() -> list[str]:
    """GPT-2/CLIP's printable stand-in for each of the 256 bytes."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def byte_level_clip_tokenizer():
    """A byte-level CLIP tokenizer without merges (one token per character): real CLIP vocabularies
    cannot be downloaded here. Prompts come out longer than with CLIP's merges, never over 77 tokens."""
    from transformers import CLIPTokenizer

    symbols = byte_level_symbols()
    vocab = symbols + [s + "</w>" for s in symbols] + ["<|startoftext|>", "<|endoftext|>"]
    return CLIPTokenizer(vocab={token: i for i, token in enumerate(vocab)}, merges=[], model_max_length=77)


def random_stable_diffusion(shape: StableDiffusionShape = TINY, seed: int = 0):
    """A diffusers StableDiffusionPipeline with random weights (fp32, on the CPU), no safety checker."""
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = byte_level_clip_tokenizer()
    bos, eos = tokenizer.bos_token_id, tokenizer.eos_token_id
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=shape.text_vocab or len(tokenizer),
            hidden_size=shape.text_hidden,
            intermediate_size=shape.text_intermediate,
            num_hidden_layers=shape.text_layers,
            num_attention_heads=shape.text_heads,
            max_position_embeddings=77,
            bos_token_id=bos,
            eos_token_id=eos,
        )
    )
    cross_attention_blocks = len(shape.unet_channels) - 1
    unet = UNet2DConditionModel(
        sample_size=shape.unet_sample_size,
        in_channels=4,
        out_channels=4,
        layers_per_block=shape.unet_layers_per_block,
        block_out_channels=shape.unet_channels,
        down_block_types=("CrossAttnDownBlock2D",) * cross_attention_blocks + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * cross_attention_blocks,
        cross_attention_dim=shape.text_hidden,
        attention_head_dim=shape.unet_attention_head_dim,
        norm_num_groups=shape.norm_num_groups,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=shape.vae_channels,
        layers_per_block=shape.vae_layers_per_block,
        norm_num_groups=shape.norm_num_groups,
        sample_size=8 * shape.unet_sample_size,
        down_block_types=("DownEncoderBlock2D",) * len(shape.vae_channels),
        up_block_types=("UpDecoderBlock2D",) * len(shape.vae_channels),
    )
    # SD 1.5's noise schedule
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def random_stable_diffusion_upscaler(seed: int = 0):
    """A diffusers StableDiffusionUpscalePipeline with random weights (fp32, CPU), TINY-sized: its VAE
    has two blocks, so it upscales 2x (the published x4 upscaler's VAE has three)."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        DDPMScheduler,
        StableDiffusionUpscalePipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    tokenizer = byte_level_clip_tokenizer()
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=TINY.text_hidden,
            intermediate_size=TINY.text_intermediate,
            num_hidden_layers=TINY.text_layers,
            num_attention_heads=TINY.text_heads,
            max_position_embeddings=77,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=TINY.unet_sample_size,
        in_channels=7,  # the noisy latents and the low-resolution image
        out_channels=4,
        layers_per_block=TINY.unet_layers_per_block,
        block_out_channels=TINY.unet_channels,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=TINY.text_hidden,
        attention_head_dim=TINY.unet_attention_head_dim,
        norm_num_groups=TINY.norm_num_groups,
        num_class_embeds=1000,  # the noise level of the low-resolution image
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=TINY.vae_channels,
        layers_per_block=TINY.vae_layers_per_block,
        norm_num_groups=TINY.norm_num_groups,
        down_block_types=("DownEncoderBlock2D",) * len(TINY.vae_channels),
        up_block_types=("UpDecoderBlock2D",) * len(TINY.vae_channels),
        scaling_factor=0.08333,  # the x4 upscaler's
    )
    return StableDiffusionUpscalePipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        low_res_scheduler=DDPMScheduler(),
        scheduler=DDIMScheduler(),
        max_noise_level=350,
    )

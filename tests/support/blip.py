"""A randomly initialised transformers BLIP captioning model with its processor, built offline (no
download), saved in `save_pretrained` layout: the describe model's mounted-weights path in seconds.
Its captions are random words; tests check the wiring, not the words."""

from __future__ import annotations

from pathlib import Path

WORDS = "a an the red blue green circle square star triangle on background small large left right".split()


def save_random_blip(directory: Path, seed: int = 0) -> Path:
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    directory.mkdir(parents=True, exist_ok=True)
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")
    tokenizer = BertTokenizer(str(vocab), model_max_length=32)
    tokenizer.add_special_tokens({"bos_token": "[DEC]"})
    torch.manual_seed(seed)
    config = BlipConfig(
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": 32,
            "patch_size": 8,
        },
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "encoder_hidden_size": 32,
            "bos_token_id": tokenizer.convert_tokens_to_ids("[DEC]"),
            "pad_token_id": tokenizer.pad_token_id,
            "sep_token_id": tokenizer.sep_token_id,
            "eos_token_id": tokenizer.sep_token_id,
            "max_position_embeddings": 64,
        },
        projection_dim=32,
    )
    model = BlipForConditionalGeneration(config).eval()
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)
    model.save_pretrained(str(directory))
    processor.save_pretrained(str(directory))
    return directory

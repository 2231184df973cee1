"""Magic prompt: the automatic, deterministic expansion of a short prompt."""


def expand_prompt(prompt: str, seed: int) -> str:
    from imagemodel.magic_prompt import expand

    return expand(prompt, seed)

"""The image actions as the privacy state machine models them (tests/integration/test_privacy_properties.py):
for each route under /api/v1/images/{id}/, whether the plan gates it, the body a person sends, and
the size of its result, or None where the action refuses the image's size (422).

Written from the API's documentation, not from the service's code, so that a change of a limit
shows up as a failing test rather than as a model that silently follows it."""

from __future__ import annotations

import base64
import io

from PIL import Image

# The canvas (txt2img with a mask: fill, extend, replace background) takes 64 to 1024 px a side.
CANVAS_MIN, CANVAS_MAX = 64, 1024
EXTEND_MULTIPLE = 8
# Needs a paid plan (`upscale` or `edit`: basic and up, active); the rest are on every plan.
PLAN_GATED = frozenset({"upscale", "remove-background", "replace-background", "edit"})
# Makes no image: the job's answer is its suggestions.
NO_IMAGE = frozenset({"describe"})
ROUTES = ("describe", "edit", "extend", "fill", "remove-background", "replace-background", "upscale")
PRICE = 1  # each action's, in billing's catalogue ([action_prices])
# A job whose source was deleted (or, for a remix or style reference of someone else's image, made
# private) before it started fails in the words of a missing image.
GONE = {
    "describe": "The image to describe is no longer available.",
    "edit": "The image to edit is no longer available.",
    "extend": "The image to extend is no longer available.",
    "fill": "The image to fill is no longer available.",
    "remove-background": "The image to cut out is no longer available.",
    "replace-background": "The image whose background to replace is no longer available.",
    "upscale": "The image to upscale is no longer available.",
    "remix": "The image you remixed is no longer available.",
    "style": "The style reference image is no longer available.",
}
# A repeated Idempotency-Key with another request (services/gateway/README.md, "Rules users meet").
KEY_REUSED = 409


def kind_of(route: str) -> str:
    """The job kind the API names (params.kind, remixed_from.by)."""
    return route.replace("-", "_")


def mask_png(width: int, height: int) -> str:
    """A mask of the image's size, base64: white (redraw) in the middle quarter, black elsewhere."""
    mask = Image.new("L", (width, height), 0)
    mask.paste(
        255, (width // 4, height // 4, max(width // 4 + 1, 3 * width // 4), max(height // 4 + 1, 3 * height // 4))
    )
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def edit_operations(width: int, height: int, rotate: bool, crop: bool) -> list[dict]:
    """A valid operation list: a crop to the top-left quarter (where the image is large enough to stay
    on the canvas), a flip, a brightness change, a quarter turn."""
    operations: list[dict] = []
    if crop and min(width, height) >= 2 * CANVAS_MIN:
        operations.append({"op": "crop", "x": 0, "y": 0, "width": width // 2, "height": height // 2})
    operations += [{"op": "flip", "axis": "horizontal"}, {"op": "brightness", "factor": 1.2}]
    if rotate:
        operations.append({"op": "rotate", "degrees": 90})
    return operations


def edited_size(width: int, height: int, operations: list[dict]) -> tuple[int, int]:
    for operation in operations:
        if operation["op"] == "crop":
            width, height = operation["width"], operation["height"]
        elif operation["op"] == "rotate" and operation["degrees"] in (90, 270):
            width, height = height, width
    return width, height


def _on_canvas(width: int, height: int) -> bool:
    return CANVAS_MIN <= width <= CANVAS_MAX and CANVAS_MIN <= height <= CANVAS_MAX


def result_size(route: str, width: int, height: int, body: dict | None) -> tuple[int, int] | None:
    """The result's (width, height) for a source of that size; None: a 422 (beyond the limit)."""
    if route == "upscale":
        return (2 * width, 2 * height) if max(width, height) <= 1024 else None
    if route == "remove-background":
        return (width, height) if max(width, height) <= 2048 else None
    if route in ("replace-background", "fill"):
        return (width, height) if _on_canvas(width, height) else None
    if route == "describe":
        return (width, height)
    if route == "edit":
        assert body is not None
        return edited_size(width, height, body["operations"])
    if route == "extend":
        assert body is not None
        sideways = body["direction"] in ("left", "right")
        side = width if sideways else height
        if body["pixels"] > side:
            return None
        grown = (width + body["pixels"], height) if sideways else (width, height + body["pixels"])
        return grown if _on_canvas(*grown) else None
    raise ValueError(route)


def body_for(route: str, width: int, height: int, token: str, draw_choice) -> dict | None:
    """What a person sends; prompts carry the source's secret token, which the result's prompt
    then holds and the probes look for. `draw_choice(label, options)` picks among options."""
    if route == "replace-background":
        return {"prompt": f"a white background {token}"}
    if route == "fill":
        return {"prompt": f"a green star {token}", "mask": mask_png(width, height)}
    if route == "extend":
        direction = draw_choice("direction", ["left", "right", "up", "down"])
        # 1024 is past any side here (a 422 that charges nothing); the others fit the limits mostly.
        pixels = draw_choice("pixels", [EXTEND_MULTIPLE, 64, 1024])
        return {"direction": direction, "pixels": pixels, "prompt": f"a grey wall {token}"}
    if route == "edit":
        rotate = draw_choice("rotate", [False, True])
        crop = draw_choice("crop", [False, True])
        return {"operations": edit_operations(width, height, rotate, crop)}
    return None


def first_choice(label: str, options: list) -> object:
    """A `draw_choice` that takes the first option: a body that every image of 64 px or more takes."""
    return options[0]


def another_request(route: str, body: dict | None) -> tuple[str, dict | None]:
    """A request other than (route, body) on the same image: the same route with another body where
    it takes one, else another route without one."""
    if body is None:
        return ("describe" if route != "describe" else "upscale"), None
    if route == "edit":
        return route, {"operations": [*body["operations"], {"op": "flip", "axis": "vertical"}]}
    if route == "extend":
        return route, {**body, "direction": "down" if body["direction"] != "down" else "up"}
    return route, {**body, "prompt": f"{body['prompt']} again"}

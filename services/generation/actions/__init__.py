"""Image actions: job kinds that work on one existing image of the owner instead of a prompt.

Each action is one module with one `ImageAction` (services/generation/inference.py) and one entry
in `ACTIONS`; the submission, the credits (billing prices each action), the outbox, the worker's
retries, dead letters, progress and traces are shared with text-to-image generation. Wiring hands
`ACTIONS` to the handlers and the worker, which know actions only by that interface.
"""

from collections.abc import Mapping
from types import MappingProxyType

from services.generation.actions.describe import DESCRIBE
from services.generation.actions.edit import EDIT
from services.generation.actions.extend import EXTEND
from services.generation.actions.fill import FILL
from services.generation.actions.remove_background import REMOVE_BACKGROUND
from services.generation.actions.replace_background import REPLACE_BACKGROUND
from services.generation.actions.upscale import UPSCALE
from services.generation.inference import ImageAction

ACTIONS: Mapping[str, ImageAction] = MappingProxyType(
    {action.kind: action for action in (UPSCALE, DESCRIBE, REMOVE_BACKGROUND, REPLACE_BACKGROUND, FILL, EXTEND, EDIT)}
)

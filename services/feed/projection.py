"""The merge rule of the feed's read model: what one image looks like after any set of events.

Pure: `apply(state, event) -> state`, no I/O. The rule is a join (commutative, associative,
idempotent), so the state after a set of events does not depend on the order they arrive in or on
how often each arrives (P5):

- visibility: the highest version wins; an equal or older version changes nothing, except that
  when two events claim the same version with different visibilities, private wins (fail closed;
  it also keeps the rule order-free for input the authority should never produce);
- `ImageReady` counts as its own version (1) and never lowers a higher one; it makes the image
  known (a `VisibilitySet` that arrives first is remembered on an unknown image);
- `Deleted` is final: the image is never listed again, and its prompt is erased;
- content (owner, size, creation time) comes from `ImageReady` only; if two differ, the smaller
  one wins, so even that is order-free;
- the prompt is private data (ARCHITECTURE.md §3): it belongs to the visibility version that
  brought it, and is held only while that version is the newest and says public. `ImageReady`
  brings it for an image public when ready, a `VisibilitySet` to public brings the prompt the
  generation service answered for an image public at that moment. A newer version replaces it
  (a private one erases it); at an equal version a private event erases it, else the larger of
  two prompts stays. So a private or deleted image never holds a prompt, in any order.

An image is listed in the feed iff known, public, not deleted (and not hidden by reports, which is
the feed's own moderation state, kept outside this rule).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum


class Visibility(str, Enum):
    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class ImageReady:
    owner_id: str
    prompt: str
    width: int
    height: int
    created_at: datetime
    visibility: Visibility
    version: int = 1


@dataclass(frozen=True)
class VisibilitySet:
    visibility: Visibility
    version: int
    # Public only: the prompt the generation service answered while the image was public.
    prompt: str = ""


@dataclass(frozen=True)
class Deleted:
    pass


Event = ImageReady | VisibilitySet | Deleted


@dataclass(frozen=True)
class ImageState:
    owner_id: str = ""
    prompt: str = ""
    width: int = 0
    height: int = 0
    created_at: datetime | None = None
    visibility: Visibility = Visibility.PRIVATE
    version: int = 0
    deleted: bool = False
    known: bool = False

    @property
    def listed(self) -> bool:
        """In the public feed as far as events go (reports may still hide it)."""
        return self.known and self.visibility is Visibility.PUBLIC and not self.deleted


EMPTY = ImageState()


def _content(owner_id: str, width: int, height: int, created_at: datetime) -> tuple[datetime, str, int, int]:
    return (created_at, owner_id, width, height)


def _with_visibility(state: ImageState, visibility: Visibility, version: int, prompt: str) -> ImageState:
    prompt = prompt if visibility is Visibility.PUBLIC else ""
    if version > state.version:
        merged = replace(state, visibility=visibility, version=version, prompt=prompt)
    elif version < state.version:
        merged = state
    elif visibility is Visibility.PRIVATE or state.visibility is Visibility.PRIVATE:
        merged = replace(state, visibility=Visibility.PRIVATE, prompt="")  # fail closed
    else:
        merged = replace(state, prompt=max(state.prompt, prompt))
    return replace(merged, prompt="") if merged.deleted else merged


def apply(state: ImageState, event: Event) -> ImageState:
    if isinstance(event, VisibilitySet):
        return _with_visibility(state, event.visibility, event.version, event.prompt)
    if isinstance(event, Deleted):
        return replace(state, deleted=True, prompt="")
    if isinstance(event, ImageReady):
        incoming = _content(event.owner_id, event.width, event.height, event.created_at)
        if state.known and state.created_at is not None:  # known means ImageReady set the content
            incoming = min(_content(state.owner_id, state.width, state.height, state.created_at), incoming)
        created_at, owner_id, width, height = incoming
        merged = replace(state, known=True, owner_id=owner_id, width=width, height=height, created_at=created_at)
        return _with_visibility(merged, event.visibility, max(1, event.version), event.prompt)
    raise TypeError(f"not a projection event: {event!r}")


def fold(events: Iterable[Event], state: ImageState = EMPTY) -> ImageState:
    for event in events:
        state = apply(state, event)
    return state

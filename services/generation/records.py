"""What the generation service stores, as plain data."""

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4


@dataclass(frozen=True)
class ImageRecord:
    id: UUID
    generation_id: UUID
    owner_id: str
    idx: int
    seed: int
    width: int
    height: int
    native_width: int
    native_height: int
    object_key: str
    content_type: str
    created_at: datetime
    prompt: str = ""
    # The generation's visibility at submission; the current one is the visibility service's.
    initial_visibility: str = "public"
    source_image_id: UUID | None = None  # its generation's remix source (lineage)


@dataclass(frozen=True)
class GenerationRecord:
    id: UUID
    owner_id: str
    idempotency_key: str | None
    status: str
    params: dict
    request_hash: str
    prompt: str
    effective_prompt: str
    magic_prompt: str
    seed: int
    num_images: int
    width: int
    height: int
    # Decided at submission and never changed here: the current one is the visibility service's.
    initial_visibility: str
    storage_prefix: str
    progress_step: int
    progress_total: int
    attempts: int
    error: str
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    privacy_entitled: bool = False
    source_image_id: UUID | None = None  # remix lineage: the image this generation started from
    seed_chosen: bool = False  # the owner sent the seed: a retry keeps it
    visibility_chosen: bool = False  # the owner asked for the visibility (not a retry's copy)
    unknown_prompt_words: list[str] = field(default_factory=list)  # what the model said it cannot draw
    suggestions: list[str] = field(default_factory=list)  # a describe job's answer, best first
    images: list[ImageRecord] = field(default_factory=list)

    @classmethod
    def queued(cls, **requested: Any) -> "GenerationRecord":
        """A new job's row as submitted: what was asked (`requested`) plus the bookkeeping every job
        starts with — a fresh id and storage prefix, queued, no step done, no attempt, no error."""
        return cls(
            id=uuid4(),
            status="queued",
            storage_prefix=secrets.token_urlsafe(24),
            progress_step=0,
            attempts=0,
            error="",
            created_at=datetime.now(UTC),
            started_at=None,
            completed_at=None,
            **requested,
        )

    @property
    def team_id(self) -> str:
        """The team a team generation's images are born shared with; "" for any other."""
        return self.params.get("team_id") or ""

    @property
    def api_key_id(self) -> str:
        """The owner's API key it was submitted with ("" when none): routes its webhooks; never shown."""
        return self.params.get("api_key_id") or ""

    @property
    def kind(self) -> str:
        """The job kind: "generate", or an image action (generations accepted before kinds existed
        are text-to-image)."""
        return self.params.get("kind") or "generate"

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "failed")

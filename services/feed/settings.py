from pydantic import Field, model_validator

from glue.settings import DatabaseSettings, NatsSettings, ServiceSettings

SCHEMA = "feed"


class FeedSettings(ServiceSettings, DatabaseSettings, NatsSettings):
    grpc_listen: str = "127.0.0.1:50053"
    # The visibility authority every page is checked against (P1).
    visibility_addr: str = "127.0.0.1:50052"
    # Deadline of one Authorize call; past it the request fails closed with UNAVAILABLE.
    authorize_timeout_s: float = Field(default=2.0, gt=0)
    # The generation service, asked for the prompts of images made public after they were ready.
    generation_addr: str = "127.0.0.1:50051"
    # Deadline of one BatchGetImages call; past it the events are retried.
    prompt_lookup_timeout_s: float = Field(default=5.0, gt=0)
    # ATELIER_FEED_REPORT_THRESHOLD: distinct reporters that hide an image pending review.
    feed_report_threshold: int = Field(default=3, ge=1)
    # Default window of FEED_SORT_TOP when the request leaves window_hours at 0 (7 days).
    top_window_hours: int = Field(default=168, ge=1)
    # Windows whose like counts are kept in top_scores (JSON list); top over any other window
    # aggregates the likes at request time, which grows with the likes in the window.
    top_windows_hours: list[int] = [24, 168, 720]
    # How often precomputed windows are recounted, so that likes age out of them.
    top_refresh_s: float = Field(default=60.0, gt=0)
    # Events each projection consumer fetches and handles at once; handled together, they are
    # applied in one transaction (group commit; the merge rule is order-free, so that is safe).
    consumer_concurrency: int = Field(default=64, ge=1, le=64)
    db_pool_size: int = Field(default=10, ge=2)

    @model_validator(mode="after")
    def _default_window_is_precomputed(self) -> "FeedSettings":
        if any(w < 1 for w in self.top_windows_hours):
            raise ValueError("top_windows_hours: every window must be at least 1 hour")
        if self.top_window_hours not in self.top_windows_hours:
            raise ValueError(
                f"top_window_hours ({self.top_window_hours}) must be one of top_windows_hours"
                f" {self.top_windows_hours}: the default listing must not aggregate at request time"
            )
        return self

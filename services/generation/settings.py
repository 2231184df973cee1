from pydantic import Field

from glue.settings import DatabaseSettings, NatsSettings, ObjectStoreSettings, ServiceSettings

SCHEMA = "generation"


class GenerationSettings(ServiceSettings, DatabaseSettings, NatsSettings, ObjectStoreSettings):
    grpc_listen: str = "127.0.0.1:50051"
    billing_addr: str = "127.0.0.1:50054"
    visibility_addr: str = "127.0.0.1:50052"
    triton_url: str = "127.0.0.1:18001"
    triton_model: str = "txt2img"
    # Calls to Triton per delivery before the generation fails with a clear error.
    inference_attempts: int = 4
    inference_retry_base_s: float = 1.0
    inference_timeout_s: float = 120.0
    # A Triton outage holds generations (not failed) until Triton is back; past this long an outage
    # fails the generations held and those fetched after (credits refunded).
    triton_outage_limit_s: float = 600.0
    # How long JetStream waits for an ack or a heartbeat before redelivering to another worker.
    worker_ack_wait_s: float = 30.0
    worker_max_deliver: int = 5
    worker_concurrency: int = 1
    # The longest one WatchProgress stream lasts (the gateway's event stream reconnects past it).
    progress_watch_max_s: float = Field(default=900.0, gt=0)
    # At SIGTERM the worker fetches nothing more and finishes the generations in hand within this
    # bound (below the pod's terminationGracePeriodSeconds, 120 s); those cut short are given back.
    worker_drain_timeout_s: float = 100.0
    # Credits reserved for a submission that is still unwritten after this long are released
    # (the process died in between; services/generation/reservations.py); checked this often.
    reservation_recovery_after_s: float = Field(default=30.0, gt=0)
    reservation_sweep_interval_s: float = Field(default=10.0, gt=0)
    # An undoable deletion (DeleteGeneration with `undoable`) hides the images at once and removes
    # them this long afterwards, unless RestoreGeneration undid it; 0: undoable deletions delete at once.
    delete_undo_window_s: float = Field(default=10.0, ge=0, le=3600)
    deletion_sweep_interval_s: float = Field(default=1.0, gt=0)
    # The optimisation steps each custom model's training runs (ATELIER_CUSTOM_MODEL_TRAIN_STEPS;
    # 0: the style_train model's default). Tests set it low so that a training takes seconds.
    custom_model_train_steps: int = Field(default=0, ge=0, le=10_000)
    # One training's stream from style_train may last this long (its default 300 steps take minutes on CPU).
    custom_model_train_timeout_s: float = Field(default=1800.0, gt=0)

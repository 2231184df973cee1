"""What a JetStream stream is as a contract: its name, the subjects it holds and how long it keeps
them. Where it lives (storage, replicas) is the deployment's choice, made when its owner provisions
it (glue.events.ensure_streams)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    # Messages older than this are dropped; events are consumed long before.
    max_age_s: float = 7 * 24 * 3600
    # Window in which JetStream drops a second publish with the same Nats-Msg-Id.
    duplicate_window_s: float = 24 * 3600

"""The lag gauges of a durable consumer: the server's numbers, labelled by stream and consumer, and
the consumer's own dead letters counted from the DEADLETTER stream's subject."""

from __future__ import annotations

from types import SimpleNamespace

from prometheus_client import REGISTRY

from glue.consumer import dead_letter_subject, sample_consumer_lag
from glue.events import DEAD_LETTER_STREAM


class FakeJetStream:
    def __init__(self, dead_letters: dict[str, int]):
        self.dead_letters = dead_letters
        self.asked: list[tuple[str, str | None]] = []

    async def consumer_info(self, stream: str, durable: str) -> SimpleNamespace:
        return SimpleNamespace(num_pending=7, num_ack_pending=2, num_redelivered=1)

    async def stream_info(self, name: str, subjects_filter: str | None = None) -> SimpleNamespace:
        self.asked.append((name, subjects_filter))
        return SimpleNamespace(state=SimpleNamespace(subjects=self.dead_letters or None))


def gauge(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_sample_sets_backlog_work_in_progress_and_dead_letters() -> None:
    subject = dead_letter_subject("probe-durable")
    js = FakeJetStream({subject: 3})
    await sample_consumer_lag(js, "PROBE", "probe-durable")  # type: ignore[arg-type]

    labels = {"stream": "PROBE", "consumer": "probe-durable"}
    assert gauge("atelier_jetstream_consumer_pending_messages", **labels) == 7
    assert gauge("atelier_jetstream_consumer_ack_pending_messages", **labels) == 2
    assert gauge("atelier_jetstream_consumer_redelivered_messages", **labels) == 1
    assert gauge("atelier_jetstream_dead_letters", consumer="probe-durable") == 3
    # Only its own subject: the stream's other consumers' dead letters are theirs to report.
    assert js.asked == [(DEAD_LETTER_STREAM, subject)]


async def test_no_dead_letters_reads_as_zero_not_as_missing() -> None:
    await sample_consumer_lag(FakeJetStream({}), "PROBE", "clean-durable")  # type: ignore[arg-type]
    assert gauge("atelier_jetstream_dead_letters", consumer="clean-durable") == 0

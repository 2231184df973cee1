"""Backlog of every durable JetStream consumer, and what it dead-lettered, as Prometheus gauges.

Each process that consumes samples its own consumers (its NATS user may read only their info and
the DEADLETTER stream). The values are the server's, not the process's: every replica of a worker
reports the same number for the same consumer, so the series carry no replica-specific label of
ours and dashboards and alerts aggregate with max by (stream, consumer). A process that consumes
nothing (generation-api, the gateway) reports nothing, rather than a 0 that would read as "no
backlog".
"""

import logging

from nats.js import JetStreamContext
from prometheus_client import Gauge

from glue.events import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM
from glue.periodic import run_periodically

SAMPLE_INTERVAL_S = 5.0

PENDING = Gauge(
    "atelier_jetstream_consumer_pending_messages",
    "Messages on a durable consumer's subject not yet delivered to it (its backlog); aggregate with max()",
    ["stream", "consumer"],
)
ACK_PENDING = Gauge(
    "atelier_jetstream_consumer_ack_pending_messages",
    "Messages delivered to a durable consumer and not yet acknowledged (in work); aggregate with max()",
    ["stream", "consumer"],
)
REDELIVERED = Gauge(
    "atelier_jetstream_consumer_redelivered_messages",
    "Messages of a durable consumer delivered more than once and not yet acknowledged; aggregate with max()",
    ["stream", "consumer"],
)
DEAD_LETTERS = Gauge(
    "atelier_jetstream_dead_letters",
    "Messages a consumer gave up on, kept in the DEADLETTER stream for an operator; aggregate with max()",
    ["consumer"],
)


def dead_letter_subject(durable: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{durable}"


async def sample_consumer_lag(js: JetStreamContext, stream: str, durable: str) -> None:
    info = await js.consumer_info(stream, durable)
    PENDING.labels(stream, durable).set(info.num_pending or 0)
    ACK_PENDING.labels(stream, durable).set(info.num_ack_pending or 0)
    REDELIVERED.labels(stream, durable).set(info.num_redelivered or 0)
    subject = dead_letter_subject(durable)
    dead = await js.stream_info(DEAD_LETTER_STREAM, subjects_filter=subject)
    DEAD_LETTERS.labels(durable).set((dead.state.subjects or {}).get(subject, 0))


async def report_consumer_lag(js: JetStreamContext, stream: str, durable: str) -> None:
    """Samples until cancelled; a failed sample (NATS restarting) never stops the consumer."""
    await run_periodically(
        f"lag sample of {durable}",
        lambda: sample_consumer_lag(js, stream, durable),
        SAMPLE_INTERVAL_S,
        logging.DEBUG,
    )

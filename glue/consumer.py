"""Durable JetStream pull consumers with explicit ack, bounded redelivery with backoff, and a
dead-letter stream for poison messages.

A handler raises `PoisonMessage` (or the envelope cannot be decoded) for input that will never
succeed: it goes to the dead-letter stream at once. Any other exception is retried with backoff
until max_deliver, then dead-lettered. Handlers must be idempotent: JetStream delivers at least once.

While a handler runs, the message's ack timer is reset every ack_wait/3 (`in_progress`), so long
work (a request queued in Triton) is never redelivered to a second worker meanwhile. Given a
`stopping` event, the consumer drains: once it is set no new message is fetched, and the loop ends
when the messages in hand are handled and acknowledged. A handler cancelled all the same (the drain
bound passed) gives its message back at once (nak) instead of leaving it to the ack timer.

A consumer never creates the stream it reads: its owner does (contracts/). Started before the
owner, it waits for the stream with bounded back-off, then binds; a new durable starts from the
stream's first message, so nothing published meanwhile is missed.

Each consumer also reports its backlog, and what it dead-lettered, as Prometheus gauges. Each
process that consumes samples its own consumers (its NATS user may read only their info and the
DEADLETTER stream). The values are the server's, not the process's: every replica of a worker
reports the same number for the same consumer, so the series carry no replica-specific label of
ours and dashboards and alerts aggregate with max by (stream, consumer). A process that consumes
nothing (generation-api, the gateway) reports nothing, rather than a 0 that would read as "no
backlog".
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError
from opentelemetry import context as otel_context
from opentelemetry import trace
from prometheus_client import Gauge

from atelier.common.v1 import envelope_pb2
from glue.cancellation import cancel_until_done
from glue.events import DEAD_LETTER_PREFIX, DEAD_LETTER_STREAM, EventT, UndecodableEvent, open_envelope
from glue.periodic import run_periodically
from glue.telemetry import extract_context

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

HEARTBEAT_STOP_TIMEOUT_S = 5.0
NATS_UNAVAILABLE = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.NoServersError,
    nats.errors.StaleConnectionError,
)


class PoisonMessage(Exception):
    """The event can never be handled (invalid content); do not retry it."""


@dataclass
class Delivery:
    envelope: envelope_pb2.EventEnvelope
    attempt: int
    _msg: Msg

    async def still_working(self) -> None:
        """Resets the ack timer now (the consumer's own heartbeats already do every ack_wait/3)."""
        await self._msg.in_progress()


Handler = Callable[[EventT, Delivery], Awaitable[None]]


@dataclass
class ConsumerSpec(Generic[EventT]):
    stream: str
    durable: str
    subject: str
    event_type: type[EventT]
    ack_wait_s: float = 30.0
    max_deliver: int = 5
    backoff_s: list[float] = field(default_factory=lambda: [1.0, 2.0, 5.0, 10.0])
    max_ack_pending: int = 64


async def _dead_letter(js: JetStreamContext, spec: ConsumerSpec[Any], msg: Msg, reason: str) -> None:
    headers = {k: v for k, v in (msg.headers or {}).items() if k != "Nats-Msg-Id"}
    headers.update({"Atelier-Dead-Letter-Reason": reason[:500], "Atelier-Original-Subject": msg.subject})
    await js.publish(f"{DEAD_LETTER_PREFIX}.{spec.durable}", msg.data, headers=headers)
    await msg.term()
    log.error("dead-lettered", extra={"consumer": spec.durable, "subject": msg.subject, "reason": reason})


@contextlib.asynccontextmanager
async def _heartbeats(msg: Msg, interval_s: float) -> AsyncIterator[None]:
    """Tells JetStream every interval_s that the message is still being worked on, until the block ends."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await msg.in_progress()
            except Exception as error:  # NATS reconnecting: the next beat may get through
                log.warning("heartbeat not sent", extra={"subject": msg.subject, "error": str(error)})

    beating = asyncio.create_task(beat(), name="heartbeat")
    try:
        yield
    finally:
        # Not one cancel: a beat cancelled inside nats-py's publish carries on (glue.cancellation), and
        # the handled message would never be acknowledged.
        await cancel_until_done([beating], HEARTBEAT_STOP_TIMEOUT_S)


async def _give_back(msg: Msg) -> None:
    try:
        await msg.nak()
    except Exception as error:  # the connection is going: the ack timer returns it instead
        log.warning("could not give the message back", extra={"subject": msg.subject, "error": str(error)})


async def _handle(js: JetStreamContext, spec: ConsumerSpec[EventT], handler: Handler[EventT], msg: Msg) -> None:
    attempt = msg.metadata.num_delivered
    try:
        envelope, event = open_envelope(msg.data, spec.event_type)
    except UndecodableEvent as error:
        await _dead_letter(js, spec, msg, str(error))
        return
    token = otel_context.attach(extract_context(msg.headers))
    try:
        with tracer.start_as_current_span(f"consume {spec.subject}", kind=trace.SpanKind.CONSUMER):
            async with _heartbeats(msg, spec.ack_wait_s / 3):
                await handler(event, Delivery(envelope, attempt, msg))
        await msg.ack()
    except PoisonMessage as error:
        await _dead_letter(js, spec, msg, str(error))
    except asyncio.CancelledError:
        await _give_back(msg)
        raise
    except Exception as error:
        if attempt >= spec.max_deliver:
            await _dead_letter(js, spec, msg, f"gave up after {attempt} attempts: {error}")
        else:
            delay = spec.backoff_s[min(attempt - 1, len(spec.backoff_s) - 1)]
            log.warning(
                "handler failed; will retry",
                extra={"consumer": spec.durable, "attempt": attempt, "delay_s": delay, "error": str(error)},
            )
            await msg.nak(delay=delay)
    finally:
        otel_context.detach(token)


async def wait_for_stream(
    js: JetStreamContext, stream: str, consumer: str, first_delay_s: float = 0.2, max_delay_s: float = 5.0
) -> None:
    """Returns once `stream` exists, asking again with a back-off that doubles up to max_delay_s."""
    delay = first_delay_s
    while True:
        try:
            await js.stream_info(stream)
            return
        except NotFoundError:
            reason = "the stream does not exist yet; its owning service creates it"
        except (nats.errors.TimeoutError, *NATS_UNAVAILABLE) as error:
            reason = f"NATS unavailable: {error or type(error).__name__}"
        log.warning("consumer waiting for its stream", extra={"consumer": consumer, "stream": stream, "reason": reason})
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay_s)


async def _fetch_unless_stopping(
    subscription: JetStreamContext.PullSubscription, batch: int, stopping: asyncio.Event
) -> list[Msg]:
    """The next messages, or none once `stopping` is set (the pending fetch is then abandoned: a
    message it would have brought stays unacknowledged and is redelivered after the ack wait)."""
    fetching = asyncio.ensure_future(subscription.fetch(batch, timeout=5))
    stop = asyncio.ensure_future(stopping.wait())
    try:
        await asyncio.wait([fetching, stop], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        if not fetching.done():
            fetching.cancel()
            await asyncio.gather(fetching, return_exceptions=True)
    return fetching.result() if not fetching.cancelled() else []


async def run_consumer(
    js: JetStreamContext,
    spec: ConsumerSpec[EventT],
    handler: Handler[EventT],
    concurrency: int = 1,
    stopping: asyncio.Event | None = None,
) -> None:
    """Waits for the stream, then fetches and handles messages, at most `concurrency` at a time,
    until cancelled or, once `stopping` is set, until the messages in hand are handled."""
    stopping = stopping or asyncio.Event()
    await wait_for_stream(js, spec.stream, spec.durable)
    subscription = await js.pull_subscribe(
        spec.subject,
        durable=spec.durable,
        stream=spec.stream,
        inbox_prefix=pull_inbox_prefix(js),
        config=ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=spec.ack_wait_s,
            # One more than ours so our own give-up (dead-letter) always runs before the server's.
            max_deliver=spec.max_deliver + 1,
            max_ack_pending=spec.max_ack_pending,
        ),
    )
    lag = asyncio.create_task(report_consumer_lag(js, spec.stream, spec.durable), name=f"lag-{spec.durable}")
    try:
        while not stopping.is_set():
            try:
                messages = await _fetch_unless_stopping(subscription, concurrency, stopping)
            except nats.errors.TimeoutError:
                continue
            except NATS_UNAVAILABLE as error:
                # NATS is restarting or unreachable; the client reconnects by itself.
                log.warning("consumer waiting for NATS", extra={"consumer": spec.durable, "error": str(error)})
                await asyncio.sleep(1.0)
                continue
            async with asyncio.TaskGroup() as handling:
                for msg in messages:
                    handling.create_task(_handle(js, spec, handler, msg))
    finally:
        lag.cancel()
        # Leaves the durable consumer in place; without this a connection drain waits for the
        # pending pull request to time out.
        try:
            await subscription.unsubscribe()
        except Exception as error:  # the connection may already be closing
            log.debug("unsubscribe failed", extra={"consumer": spec.durable, "error": str(error)})


def pull_inbox_prefix(js: JetStreamContext) -> bytes:
    """The connection's own inbox prefix for pull-subscription fetches: nats-py defaults those to
    `_INBOX.` whatever the connection's prefix, which a user confined to its own inbox may not
    subscribe to (glue/nats_connect.py gives each user its own)."""
    return bytes(js._nc._inbox_prefix) + b"."


# ------------------------------------------------------------------ lag and dead letters

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

"""The fault soak: generations through the public API while each platform process is SIGKILLed
in turn and started again, then an audit: 0 lost, 0 duplicated, 0 charged twice.

    .venv/bin/python -m tests.soak.run --generations 200 --kills-per-process 3

Starts its own platform (tools.devstack.Stack on free ports, in a throwaway data directory: its
Postgres and JetStream are file-backed and survive the kills). Prints the figures; exits 1 when
the audit finds anything. tests/integration/test_fault_soak.py runs a short one.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from atelier.billing.v1 import billing_pb2, billing_pb2_grpc
from atelier.generation.v1 import events_pb2
from bench.stats import Latencies
from contracts.generation import IMAGES_READY, STREAM
from tests.soak.audit import Audit, audit, settled
from tests.soak.faults import ALSO_KILLABLE, KILLABLE, FaultyPlatform
from tests.soak.load import ClientTally, Outcome, SoakClient, SoakUser, plan_generations
from tests.support.events import stream_events
from tests.support.identity import routing_channel
from tests.support.waiting import wait_until

log = logging.getLogger(__name__)

# Generations followed at once; users on the pro plan may each run 8.
CONCURRENCY = 6
USERS = 4
SETTLE_TIMEOUT_S = 180.0


@dataclass
class SoakReport:
    audit: Audit
    outcomes: list[Outcome]
    tally: ClientTally
    kills: dict[str, int]
    crashed_on_their_own: dict[str, int]
    wall_s: float
    # ImagesReady messages in JetStream, and for how many generations: repeats of at-least-once
    # delivery that the consumers must absorb.
    images_ready_published: int
    images_ready_generations: int

    def figures(self) -> str:
        latencies = [o.latency_s for o in self.outcomes if o.latency_s is not None]
        timing = Latencies.of(latencies) if latencies else None
        a = self.audit
        lines = [
            f"generations planned {len(self.outcomes)}, rows {a.generations} "
            f"({a.unknown_to_client} accepted while the client saw only an error), wall {self.wall_s:.0f} s",
            "kills (SIGKILL + restart): " + ", ".join(f"{name} {n}" for name, n in self.kills.items()),
            "exited on their own (restarted): "
            + (str(self.crashed_on_their_own) if self.crashed_on_their_own else "none"),
            "terminal states: " + ", ".join(f"{state} {n}" for state, n in sorted(a.states.items())),
            *(f"  failed with {n}x: {reason}" for reason, n in a.failure_reasons.items()),
            (
                f"latency submit -> end: p50 {timing.p50:.1f} s, p95 {timing.p95:.1f} s, max {timing.max:.1f} s"
                if timing
                else "latency: none measured"
            ),
            f"client: {sum(self.tally.statuses.values())} answers, {self.tally.server_errors} 5xx "
            f"({dict(sorted(self.tally.statuses.items()))}), {self.tally.connection_errors} connection errors, "
            f"{self.tally.retries} submits retried",
            f"ImagesReady in JetStream: {self.images_ready_published} messages for "
            f"{self.images_ready_generations} generations",
            f"lost {len(a.lost)}, duplicated {len(a.duplicated)}, charged wrongly {len(a.charged_wrongly)}",
            *(f"  LOST: {f}" for f in a.lost[:20]),
            *(f"  DUPLICATED: {f}" for f in a.duplicated[:20]),
            *(f"  CHARGED: {f}" for f in a.charged_wrongly[:20]),
        ]
        return "\n".join(lines)


async def sign_up_users(platform: FaultyPlatform, http: httpx.AsyncClient, count: int) -> list[SoakUser]:
    users = []
    stack = platform.stack
    async with routing_channel("billing", f"127.0.0.1:{stack.ports.billing}", stack.pki) as channel:
        billing = billing_pb2_grpc.BillingServiceStub(channel)
        for n in range(count):
            reply = await http.post("/api/v1/auth/signup", json={"username": f"soak_{n}", "password": "soak-pass-1"})
            reply.raise_for_status()
            body = reply.json()
            # Pro: credits for every generation, 8 at once, private images allowed.
            await billing.ChangePlan(
                billing_pb2.ChangePlanRequest(user_id=body["user_id"], plan="pro", actor="operator:soak")
            )
            users.append(SoakUser(body["user_id"], body["api_key"]))
    return users


@dataclass(frozen=True)
class Schedule:
    rounds: int  # each process killed this often
    processes: tuple[str, ...] = KILLABLE
    down_s: float = 0.0  # how long each stays dead before it is started again


async def kill_on_schedule(platform: FaultyPlatform, client: SoakClient, total: int, schedule: Schedule) -> None:
    """Kill number j once (j + 1) / (kills + 1) of the generations have ended, so the kills are
    spread over the run and each meets generations in flight; a process that exited by itself
    meanwhile is started again first."""
    kills = [name for _ in range(schedule.rounds) for name in schedule.processes]
    for j, name in enumerate(kills):
        threshold = (j + 1) * total // (len(kills) + 1)
        while client.finished < threshold:
            client.progress.clear()
            if client.finished >= threshold:
                break
            await client.progress.wait()
        await asyncio.to_thread(platform.restart_crashed_services)
        await asyncio.to_thread(platform.kill_and_restart, name, schedule.down_s)


async def images_ready_messages(platform: FaultyPlatform) -> tuple[int, int]:
    events = await stream_events(platform.stack.nats.url, STREAM, IMAGES_READY, events_pb2.ImagesReady)
    return len(events), len({event.generation_id for event in events})


async def drive(platform: FaultyPlatform, generations: int, schedule: Schedule, timeout_s: float) -> SoakReport:
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=20) as http:
        users = await sign_up_users(platform, http, USERS)
        client = SoakClient(http, deadline=time.monotonic() + timeout_s)
        killer = asyncio.create_task(kill_on_schedule(platform, client, generations, schedule))
        outcomes = await client.run(plan_generations(users, generations), CONCURRENCY)
        if not killer.done():
            log.warning("soak: the generations ended before the kill schedule did")
            killer.cancel()
        await asyncio.gather(killer, return_exceptions=True)
        if killer.done() and not killer.cancelled() and killer.exception() is not None:
            raise killer.exception()  # type: ignore[misc]
    platform.restart_crashed_services()
    try:
        wait_until(lambda: settled(platform.database_url), "every generation and its consequences", SETTLE_TIMEOUT_S)
    except AssertionError as error:
        log.warning("soak: %s; auditing what there is", error)
    published, announced = await images_ready_messages(platform)
    return SoakReport(
        images_ready_published=published,
        images_ready_generations=announced,
        audit=audit(platform.database_url, platform.stack.object_store, outcomes),
        outcomes=outcomes,
        tally=client.tally,
        kills=dict(platform.kills),
        crashed_on_their_own=dict(platform.crashed_on_their_own),
        wall_s=time.monotonic() - started,
    )


def run_soak(data_root: Path, generations: int, schedule: Schedule, timeout_s: float = 1800.0) -> SoakReport:
    platform = FaultyPlatform(data_root)
    platform.up()
    try:
        return asyncio.run(drive(platform, generations, schedule, timeout_s))
    finally:
        platform.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--generations", type=int, default=200)
    parser.add_argument("--kills-per-process", type=int, default=3, help="rounds: each process killed this often")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before the client gives up")
    parser.add_argument(
        "--all-processes", action="store_true", help=f"also kill {', '.join(ALSO_KILLABLE)} (the events' consumers)"
    )
    parser.add_argument("--down-s", type=float, default=0.0, help="seconds each killed process stays dead")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (logs) afterwards")
    options = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    data = Path(tempfile.mkdtemp(prefix="atelier-soak-"))
    data.chmod(0o711)
    sys.stdout.write(f"data and logs: {data}\n")
    processes = KILLABLE + ALSO_KILLABLE if options.all_processes else KILLABLE
    schedule = Schedule(options.kills_per_process, processes, options.down_s)
    report = run_soak(data, options.generations, schedule, options.timeout)
    sys.stdout.write(report.figures() + "\n")
    if not options.keep:
        shutil.rmtree(data, ignore_errors=True)
    sys.exit(0 if report.audit.clean else 1)


if __name__ == "__main__":
    main()

"""Triton's autoscaling policy (deploy/k8s/base/triton.yaml, the KEDA ScaledObject) simulated against a
synthetic day of arrivals, next to fixed GPU counts: queue wait (arrival to the start of its batch) p50,
p95 and p99, and the GPU-hours each costs. A discrete-event simulation with a seeded trace: no GPU, no
cluster, same figures on every run. Prints figures; never a test.

    python -m bench.bench_autoscale [--hours 24] [--mean-rate 1.0] [--seed 7] [--fixed 2,3,4,5,6,8]
                                    [--service-s 2.5] [--batch-extra-s 1.6] [--cold-start-s 180]

The trace: a non-homogeneous Poisson process, diurnal (peak at 15:00, trough at 03:00, peak/mean
1 + amplitude) plus bursts (a launch, a viral post: --bursts a day, each --burst-factor times the rate
for 5 to 20 minutes). A request is one generation. A replica serves what is queued in batches of up to
8 (Triton's dynamic batching) taking service-s for one request plus batch-extra-s for each further
one (defaults: SD 1.5-class, 30 steps, 4 images at 512x512 in fp16 on one data-centre GPU; assumed,
not measured here). The replicas share one queue, an optimistic stand-in for the worker's gRPC
connections spread over the Triton Service (README "Kubernetes": a replica KEDA adds gets work only from
new connections).

The autoscaler does what KEDA and the HPA do with the ScaledObject's numbers: every 15 s it reads the
two Prometheus queries (requests waiting per replica; mean queue wait over the last minute), wants
max(ceil(waiting / 4), ceil(replicas * wait / 2 s)) replicas within [2, 8]; it adds at most 2 pods a
minute, each ready --cold-start-s later (pulling the image, loading weights), and removes one pod per
5 minutes only after 10 minutes of wanting fewer. A pod costs from the moment it is asked for.

Figures (defaults: 72 h, 284,981 requests, mean 1.10/s, peak hour 2.46/s, seed 7; 2-core machine, 21 s CPU):

    policy                   GPUs mean/max  GPU-h/day  queue wait p50    p95     p99   > 10 s
    fixed 4                     4.00 / 4        96.0         0.1s     312.8s  669.8s   18.4%
    fixed 5                     5.00 / 5       120.0         0.0s      76.3s  306.1s    9.7%
    fixed 6                     6.00 / 6       144.0         0.0s       6.9s  122.0s    4.6%
    fixed 8                     8.00 / 8       192.0         0.0s       0.3s    1.1s    0.0%
    KEDA 2-8 (triton.yaml)      4.14 / 8        99.4         0.0s      12.3s   62.5s    5.6%
      --cold-start-s 60         3.74 / 8        89.9         0.0s       3.9s   21.5s    2.3%
      --up-pods-per-minute 4    4.35 / 8       104.3         0.0s      10.4s   66.5s    5.1%

The autoscaler costs about what 4 fixed GPUs do and half of the 8 that keep every burst under a second;
what is left of its p95/p99 is the bursts' first minutes, waiting for pods: the cold start is the lever
(weights on fast local storage, the image pre-pulled on the GPU pool), more than faster scale-up
policies. One day's p95 swings with where its bursts land (seeds 1, 2 over 24 h: 19.3 s, 5.2 s).
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from bench.stats import percentile

DAY_S = 24 * 3600
MAX_BATCH = 8


@dataclass(frozen=True)
class Workload:
    hours: float
    mean_rate: float  # requests per second over the day
    amplitude: float
    bursts_per_day: float
    burst_factor: float
    seed: int


@dataclass(frozen=True)
class Service:
    single_s: float
    batch_extra_s: float

    def batch_s(self, size: int) -> float:
        return self.single_s + (size - 1) * self.batch_extra_s


@dataclass(frozen=True)
class Policy:
    """The ScaledObject's numbers (deploy/k8s/base/triton.yaml)."""

    min_replicas: int = 2
    max_replicas: int = 8
    polling_s: float = 15.0
    pending_per_replica: float = 4.0
    queue_wait_target_s: float = 2.0
    up_pods_per_minute: int = 2
    down_window_s: float = 600.0
    down_every_s: float = 300.0
    cold_start_s: float = 180.0


def arrivals(workload: Workload) -> list[float]:
    """Arrival times by thinning: candidates at the peak rate, kept with probability rate(t) / peak."""
    rng = random.Random(workload.seed)
    horizon = workload.hours * 3600
    bursts = []
    t = 0.0
    while True:
        t += rng.expovariate(workload.bursts_per_day / DAY_S)
        if t >= horizon:
            break
        bursts.append((t, t + rng.uniform(300, 1200)))

    def rate(at: float) -> float:
        # Trough at 03:00, peak at 15:00.
        diurnal = workload.mean_rate * (1 + workload.amplitude * math.sin(2 * math.pi * (at / DAY_S - 9 / 24)))
        return diurnal * (workload.burst_factor if any(start <= at < end for start, end in bursts) else 1.0)

    peak = workload.mean_rate * (1 + workload.amplitude) * workload.burst_factor
    times: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(peak)
        if t >= horizon:
            return times
        if rng.random() < rate(t) / peak:
            times.append(t)


@dataclass
class Outcome:
    name: str
    waits: list[float]
    gpu_seconds: float
    horizon_s: float
    max_replicas: int
    queue_waits_over_10s: int = 0

    @property
    def gpu_hours_per_day(self) -> float:
        return self.gpu_seconds / 3600 * (DAY_S / self.horizon_s)

    @property
    def mean_replicas(self) -> float:
        return self.gpu_seconds / self.horizon_s


@dataclass(order=True)
class _Event:
    at: float
    order: int
    kind: str = field(compare=False)
    pod: int = field(compare=False, default=-1)


class Cluster:
    """Replicas that serve one shared queue; pods asked for start serving cold_start_s later."""

    def __init__(self, service: Service, replicas: int, cold_start_s: float) -> None:
        self.service = service
        self.cold_start_s = cold_start_s
        self.queue: deque[float] = deque()  # arrival times
        self.idle: set[int] = set()
        self.busy: set[int] = set()
        self.starting: set[int] = set()
        self.retiring: set[int] = set()  # asked to stop: finish the batch in hand, then go
        self.events: list[_Event] = []
        self._order = 0
        self._next_pod = 0
        self.waits: list[float] = []
        self.gpu_seconds = 0.0
        self._last = 0.0
        self.max_replicas = replicas
        self.queue_wait_window: deque[tuple[float, float]] = deque()  # (start time, wait) for the last minute
        for _ in range(replicas):
            pod = self._new_pod()
            self.idle.add(pod)

    def _new_pod(self) -> int:
        self._next_pod += 1
        return self._next_pod

    def schedule(self, at: float, kind: str, pod: int = -1) -> None:
        self._order += 1
        heapq.heappush(self.events, _Event(at, self._order, kind, pod))

    @property
    def replicas(self) -> int:
        """Pods that cost: serving, idle or still starting (not those already retiring)."""
        return len(self.idle) + len(self.busy - self.retiring) + len(self.starting)

    def advance(self, now: float) -> None:
        if now <= self._last:
            return
        self.gpu_seconds += (len(self.idle) + len(self.busy) + len(self.starting)) * (now - self._last)
        self._last = now

    def add(self, now: float, count: int) -> None:
        for _ in range(count):
            pod = self._new_pod()
            self.starting.add(pod)
            self.schedule(now + self.cold_start_s, "ready", pod)
        self.max_replicas = max(self.max_replicas, self.replicas)

    def remove(self, count: int) -> None:
        for _ in range(count):
            if self.starting:
                self.starting.pop()  # its "ready" event finds it gone
            elif self.idle:
                self.idle.pop()
            elif self.busy - self.retiring:
                self.retiring.add(next(iter(self.busy - self.retiring)))

    def dispatch(self, now: float) -> None:
        while self.queue and self.idle:
            pod = self.idle.pop()
            size = min(MAX_BATCH, len(self.queue))
            for _ in range(size):
                arrived = self.queue.popleft()
                self.waits.append(now - arrived)
                self.queue_wait_window.append((now, now - arrived))
            self.busy.add(pod)
            self.schedule(now + self.service.batch_s(size), "done", pod)

    def on(self, event: _Event) -> None:
        if event.kind == "ready" and event.pod in self.starting:
            self.starting.discard(event.pod)
            self.idle.add(event.pod)
        elif event.kind == "done":
            self.busy.discard(event.pod)
            if event.pod in self.retiring:
                self.retiring.discard(event.pod)
            else:
                self.idle.add(event.pod)

    def mean_queue_wait(self, now: float) -> float:
        while self.queue_wait_window and self.queue_wait_window[0][0] < now - 60:
            self.queue_wait_window.popleft()
        if not self.queue_wait_window:
            return 0.0
        return sum(wait for _, wait in self.queue_wait_window) / len(self.queue_wait_window)


class Autoscaler:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.wanted: deque[tuple[float, int]] = deque()  # recent recommendations, for the down window
        self.scaled_up: deque[float] = deque()  # pod additions in the last minute
        self.last_down = -math.inf

    def desired(self, cluster: Cluster, now: float) -> int:
        p = self.policy
        current = max(1, cluster.replicas)
        by_pending = math.ceil(len(cluster.queue) / p.pending_per_replica)
        by_wait = math.ceil(current * cluster.mean_queue_wait(now) / p.queue_wait_target_s)
        return max(p.min_replicas, min(p.max_replicas, max(by_pending, by_wait)))

    def tick(self, cluster: Cluster, now: float) -> None:
        p = self.policy
        desired = self.desired(cluster, now)
        self.wanted.append((now, desired))
        while self.wanted[0][0] < now - p.down_window_s:
            self.wanted.popleft()
        while self.scaled_up and self.scaled_up[0] < now - 60:
            self.scaled_up.popleft()
        current = cluster.replicas
        if desired > current:
            room = p.up_pods_per_minute - len(self.scaled_up)
            count = max(0, min(desired - current, room))
            cluster.add(now, count)
            self.scaled_up.extend([now] * count)
        else:
            # Scale down to the highest recommendation of the window, one pod per down_every_s.
            floor = max(wanted for _, wanted in self.wanted)
            if floor < current and now - self.last_down >= p.down_every_s:
                cluster.remove(1)
                self.last_down = now


def simulate(
    name: str, times: Iterable[float], horizon_s: float, service: Service, replicas: int, policy: Policy | None
) -> Outcome:
    cold_start = policy.cold_start_s if policy else 0.0
    cluster = Cluster(service, replicas, cold_start)
    autoscaler = Autoscaler(policy) if policy else None
    for at in times:
        cluster.schedule(at, "arrival")
    if autoscaler and policy:
        tick = policy.polling_s
        while tick < horizon_s:
            cluster.schedule(tick, "tick")
            tick += policy.polling_s
    while cluster.events:
        event = heapq.heappop(cluster.events)
        cluster.advance(min(event.at, horizon_s))  # pods cost until the end of the trace only
        if event.kind == "arrival":
            cluster.queue.append(event.at)
        elif event.kind == "tick" and autoscaler:
            autoscaler.tick(cluster, event.at)
        else:
            cluster.on(event)
        cluster.dispatch(event.at)
    cluster.advance(horizon_s)
    outcome = Outcome(name, cluster.waits, cluster.gpu_seconds, horizon_s, cluster.max_replicas)
    outcome.queue_waits_over_10s = sum(1 for wait in cluster.waits if wait > 10)
    return outcome


def report(outcomes: list[Outcome], requests: int) -> None:
    print(f"{'policy':<28}{'GPUs mean/max':>14}{'GPU-h/day':>11}{'wait p50':>10}{'p95':>9}{'p99':>9}{'> 10 s':>9}")
    for o in outcomes:
        waits = o.waits or [0.0]
        print(
            f"{o.name:<28}{o.mean_replicas:>8.2f} / {o.max_replicas:<3}{o.gpu_hours_per_day:>11.1f}"
            f"{percentile(waits, 50):>9.1f}s{percentile(waits, 95):>8.1f}s{percentile(waits, 99):>8.1f}s"
            f"{100 * o.queue_waits_over_10s / max(1, requests):>8.1f}%"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--hours", type=float, default=72, help="three days: a single day's p95 hangs on where its bursts fall"
    )
    parser.add_argument("--mean-rate", type=float, default=1.0, help="requests/s averaged over the day")
    parser.add_argument("--amplitude", type=float, default=0.7, help="peak = mean x (1 + amplitude)")
    parser.add_argument("--bursts", type=float, default=6, help="bursts a day")
    parser.add_argument("--burst-factor", type=float, default=2.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fixed", default="2,3,4,5,6,8", help="fixed GPU counts to compare")
    parser.add_argument("--service-s", type=float, default=2.5, help="one request alone on one GPU")
    parser.add_argument("--batch-extra-s", type=float, default=1.6, help="each further request in a batch")
    parser.add_argument("--cold-start-s", type=float, default=180, help="asked-for pod to serving")
    # The ScaledObject's numbers, to try others before changing triton.yaml.
    parser.add_argument("--min-replicas", type=int, default=Policy.min_replicas)
    parser.add_argument("--max-replicas", type=int, default=Policy.max_replicas)
    parser.add_argument("--pending-per-replica", type=float, default=Policy.pending_per_replica)
    parser.add_argument("--queue-wait-target-s", type=float, default=Policy.queue_wait_target_s)
    parser.add_argument("--up-pods-per-minute", type=int, default=Policy.up_pods_per_minute)
    args = parser.parse_args()

    workload = Workload(args.hours, args.mean_rate, args.amplitude, args.bursts, args.burst_factor, args.seed)
    service = Service(args.service_s, args.batch_extra_s)
    times = arrivals(workload)
    horizon = args.hours * 3600
    full_batch_rate = MAX_BATCH / service.batch_s(MAX_BATCH)
    print(
        f"trace: {len(times)} requests in {args.hours:g} h (mean {len(times) / horizon:.2f}/s, peak hour "
        f"{max_hourly_rate(times, horizon):.2f}/s), seed {args.seed}; one GPU serves {1 / service.batch_s(1):.2f}/s "
        f"alone, {full_batch_rate:.2f}/s in full batches"
    )
    outcomes = [
        simulate(f"fixed {n}", times, horizon, service, n, None) for n in (int(x) for x in args.fixed.split(","))
    ]
    policy = Policy(
        min_replicas=args.min_replicas,
        max_replicas=args.max_replicas,
        pending_per_replica=args.pending_per_replica,
        queue_wait_target_s=args.queue_wait_target_s,
        up_pods_per_minute=args.up_pods_per_minute,
        cold_start_s=args.cold_start_s,
    )
    name = f"KEDA {policy.min_replicas}-{policy.max_replicas}" + (" (triton.yaml)" if policy == Policy() else "")
    outcomes.append(simulate(name, times, horizon, service, policy.min_replicas, policy))
    report(outcomes, len(times))


def max_hourly_rate(times: list[float], horizon: float) -> float:
    counts = [0] * max(1, math.ceil(horizon / 3600))
    for at in times:
        counts[int(at // 3600)] += 1
    return max(counts) / 3600


if __name__ == "__main__":
    main()

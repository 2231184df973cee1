"""Latency figures shared by the benchmarks."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank: always one of the measured values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Latencies:
    """Seconds per operation over a run."""

    n: int
    p50: float
    p95: float
    mean: float
    max: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latencies:
        if not seconds:
            raise ValueError("no measurements")
        return cls(
            len(seconds), percentile(seconds, 50), percentile(seconds, 95), statistics.mean(seconds), max(seconds)
        )

    def per_second(self, items_per_call: int = 1) -> float:
        """Throughput of the calls run one after another: items (images, requests) a second."""
        return items_per_call / self.mean

    def seconds(self, digits: int = 3) -> str:
        return f"p50 {self.p50:.{digits}f} s p95 {self.p95:.{digits}f} s"


def timed(
    call: Callable[[int], object], runs: int, sync: Callable[[], None] = lambda: None, warm_up: int = 1
) -> Latencies:
    """Latencies of `runs` calls after `warm_up` uncounted ones (kernels, allocator, caches). call gets
    the run's index (0 for the first warm-up: to vary seeds); sync waits for the work a device still
    has queued (torch.cuda.synchronize) before the clock is read, so a GPU call is timed whole."""
    timings = []
    for run in range(warm_up + runs):
        started = time.perf_counter()
        call(run)
        sync()
        if run >= warm_up:
            timings.append(time.perf_counter() - started)
    return Latencies.of(timings)


def summary(name: str, latencies: list[float], wall: float, unit: str = "calls/s", width: int = 44) -> dict[str, float]:
    """Prints one line of figures for a run (p50/p95/mean in ms, throughput) and returns them."""
    figures = {
        "n": len(latencies),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "mean": statistics.fmean(latencies),
        "throughput": len(latencies) / wall,
    }
    columns = [
        f"{name:<{width}} n={len(latencies):<5}",
        f"p50={figures['p50'] * 1000:8.2f} ms",
        f"p95={figures['p95'] * 1000:8.2f} ms",
        f"mean={figures['mean'] * 1000:8.2f} ms",
        f"{figures['throughput']:8.2f} {unit}",
    ]
    print("  ".join(columns))
    return figures


async def run_concurrently(
    concurrency: int, work: list[T], one: Callable[[T], Awaitable[object]]
) -> tuple[list[float], float]:
    """Runs `one` over the work items with `concurrency` callers; (latency of each call, wall seconds)."""
    latencies: list[float] = []
    queue = list(reversed(work))

    async def caller() -> None:
        while queue:
            item = queue.pop()
            started = time.perf_counter()
            await one(item)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started

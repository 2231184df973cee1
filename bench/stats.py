"""Latency figures shared by the benchmarks."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


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

"""The timing every bench shares (bench/stats.py): warm-up runs are left out of the figures, each run
gets its index (benches vary their seeds with it) and the device is waited on before every reading."""

from bench.stats import Latencies, timed


def test_warm_up_runs_are_not_counted_and_every_run_is_synced() -> None:
    calls: list[int] = []
    syncs: list[int] = []
    latencies = timed(calls.append, 5, sync=lambda: syncs.append(len(calls)), warm_up=2)
    assert calls == list(range(7))
    assert syncs == list(range(1, 8))
    assert latencies.n == 5


def test_throughput_counts_the_items_of_each_call() -> None:
    latencies = Latencies.of([0.5, 0.5, 0.5, 0.5])
    assert latencies.per_second() == 2.0
    assert latencies.per_second(4) == 8.0
    assert latencies.seconds(2) == "p50 0.50 s p95 0.50 s"

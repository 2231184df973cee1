"""Stable Diffusion on a loaded GPU takes up to about two minutes from acceptance to stored images;
buckets that stop short put the slow tail in +Inf, where no quantile can be read (issue 12: 11 of
133 end-to-end latencies were above the old top bucket of 89 s)."""

from __future__ import annotations

import pytest
from prometheus_client import Histogram

from services.generation.worker import END_TO_END, INFERENCE, QUEUE_WAIT

SLOWEST_EXPECTED_S = 120


def finite_upper_bounds(histogram: Histogram) -> list[float]:
    (metric,) = histogram.collect()
    return sorted(
        {float(s.labels["le"]) for s in metric.samples if s.name.endswith("_bucket") and s.labels["le"] != "+Inf"}
    )


@pytest.mark.parametrize("histogram", [END_TO_END, QUEUE_WAIT, INFERENCE], ids=lambda h: h._name)
def test_buckets_reach_past_the_slowest_expected_generation(histogram: Histogram) -> None:
    bounds = finite_upper_bounds(histogram)
    assert bounds[-1] > SLOWEST_EXPECTED_S
    # Fine enough at the top to tell 90 s from 2 minutes.
    assert any(89 <= bound <= SLOWEST_EXPECTED_S for bound in bounds)

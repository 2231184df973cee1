"""Retry spacing: exponential, capped, with bounded jitter."""

from __future__ import annotations

import pytest

from services.webhooks.backoff import retry_delay_s


def test_delays_double_from_the_base():
    assert [retry_delay_s(n, 30, 3600, jitter=0) for n in range(1, 6)] == [30, 60, 120, 240, 480]


def test_delays_stop_growing_at_the_cap_even_after_many_attempts():
    assert retry_delay_s(8, 30, 3600, jitter=0) == 3600
    assert retry_delay_s(500, 30, 3600, jitter=0) == 3600


def test_jitter_adds_at_most_a_quarter():
    assert retry_delay_s(2, 30, 3600, jitter=0.999) < 75
    for _ in range(200):
        assert 60 <= retry_delay_s(2, 30, 3600) < 75


def test_attempts_start_at_one():
    with pytest.raises(ValueError):
        retry_delay_s(0, 30, 3600)

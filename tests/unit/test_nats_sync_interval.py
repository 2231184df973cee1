"""ATELIER_NATS_SYNC_INTERVAL: `always` unless set, a duration otherwise, nothing else reaches the config."""

import pytest

from tools.devstack.nats import jetstream_config, sync_interval_from_env


def test_always_by_default() -> None:
    assert sync_interval_from_env({}) == "always"
    assert "sync_interval: always" in jetstream_config("always")


@pytest.mark.parametrize("value", ["10s", "2m", "500ms", "1h"])
def test_a_duration_is_accepted(value: str) -> None:
    assert sync_interval_from_env({"ATELIER_NATS_SYNC_INTERVAL": value}) == value


@pytest.mark.parametrize("value", ["", "never", "0s", "10", "1s }\nauthorization {", "-1m"])
def test_anything_else_is_refused_with_the_variable_named(value: str) -> None:
    with pytest.raises(ValueError, match="ATELIER_NATS_SYNC_INTERVAL"):
        sync_interval_from_env({"ATELIER_NATS_SYNC_INTERVAL": value})

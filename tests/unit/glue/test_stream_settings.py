"""Which settings of an existing stream its owner's start-up sets (glue.events.kept_by_operator):
the contract's, and replicas only upwards; everything else stays the operator's."""

from nats.js.api import StorageType, StreamConfig

from contracts.streams import StreamSpec
from glue.events import kept_by_operator

SPEC = StreamSpec("BILLING", ("atelier.billing.>",), max_age_s=3600, duplicate_window_s=120)


def existing(**changes: object) -> StreamConfig:
    config = StreamConfig(
        name="BILLING", subjects=["atelier.billing.>"], storage=StorageType.FILE, num_replicas=1, max_age=3600
    )
    for name, value in changes.items():
        setattr(config, name, value)
    return config


def test_an_operators_replicas_are_kept_when_the_setting_asks_for_fewer() -> None:
    assert kept_by_operator(existing(num_replicas=3), SPEC, replicas=1).num_replicas == 3


def test_the_setting_raises_replicas() -> None:
    assert kept_by_operator(existing(num_replicas=1), SPEC, replicas=3).num_replicas == 3


def test_operator_limits_are_kept_and_the_contract_is_applied() -> None:
    current = existing(max_bytes=10_000_000, max_msgs=5000, subjects=["old.>"], max_age=60)
    wanted = kept_by_operator(current, SPEC, replicas=1)
    assert (wanted.max_bytes, wanted.max_msgs) == (10_000_000, 5000)
    assert (wanted.subjects, wanted.max_age, wanted.duplicate_window) == (["atelier.billing.>"], 3600, 120)


def test_nothing_to_change_gives_the_same_configuration() -> None:
    current = existing(duplicate_window=120, max_bytes=10_000_000)
    assert kept_by_operator(current, SPEC, replicas=1) == current

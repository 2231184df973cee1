"""Ports chosen for a platform of one's own never collide: with each other, with the block of
metrics ports above metrics_base, or with one handed out recently in the process."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.devstack import process
from tools.devstack.config import METRICS_BLOCK, PORT_SETTINGS, Ports
from tools.devstack.process import free_port, free_port_block, free_ports
from tools.devstack.service_processes import SERVICES


def _ephemeral_start() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


@pytest.fixture
def listening() -> set[int]:
    """Ports some other process listens on, as the chooser sees them."""
    return set()


@pytest.fixture
def candidates(monkeypatch: pytest.MonkeyPatch, listening: set[int]) -> Iterator[list[int]]:
    """The ports the chooser is offered, in order (as the kernel's bind(0) might offer them). Whether
    a port is bindable is this test's `listening` set, not the machine's: a server of another test
    on one of these ports must not change what is chosen here."""
    offered: list[int] = []
    monkeypatch.setattr(process, "_candidate", lambda rng, ceiling: offered.pop(0))
    monkeypatch.setattr(process, "_bindable", lambda port, *args, **kwargs: port not in listening)
    monkeypatch.setattr(process, "_handed_out", process.OrderedDict())
    yield offered


def test_every_process_metrics_port_fits_in_the_block() -> None:
    assert max(service.metrics_port_offset for service in SERVICES) < METRICS_BLOCK
    assert len({service.metrics_port_offset for service in SERVICES}) == len(SERVICES)


def test_a_port_offered_twice_is_handed_out_once(candidates: list[int]) -> None:
    candidates.extend([24001, 24001, 24002])
    assert free_ports(2) == [24001, 24002]


def test_a_port_another_process_listens_on_is_not_handed_out(candidates: list[int], listening: set[int]) -> None:
    listening.add(24001)
    candidates.extend([24001, 24002])
    assert free_port() == 24002


def test_a_block_with_one_port_in_use_is_passed_over(candidates: list[int], listening: set[int]) -> None:
    listening.add(24003)
    candidates.extend([24000, 24010])
    assert free_port_block(METRICS_BLOCK) == 24010


def test_the_metrics_block_takes_no_port_already_handed_out(candidates: list[int]) -> None:
    names = [name for name in PORT_SETTINGS if name != "metrics_base"]
    singles = list(range(25000, 25000 + len(names)))
    # The first block offered would cover the billing port (25010); the second is clear.
    candidates.extend([*singles, 25005, 26000])
    ports = Ports.free()
    assert ports.metrics_base == 26000
    assert sorted(v for k, v in ports.as_dict().items() if k != "metrics_base") == singles


def test_real_choices_are_distinct_and_below_the_ephemeral_range() -> None:
    chosen = [free_port() for _ in range(100)] + free_ports(100)
    assert len(set(chosen)) == len(chosen)
    assert max(chosen) < _ephemeral_start()
    for _ in range(50):
        ports = Ports.free()
        block = set(range(ports.metrics_base, ports.metrics_base + METRICS_BLOCK))
        others = [value for name, value in ports.as_dict().items() if name != "metrics_base"]
        assert len(set(others)) == len(others)
        assert not block.intersection(others)

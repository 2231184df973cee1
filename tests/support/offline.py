"""The offline tiers (tests/unit, tests/model) use no server and no service process. Their
conftest.py imports these fixtures: the session fixtures in tests/conftest.py that start real
servers are replaced by ones that fail at once, and starting a server or a managed process
directly fails too, so a test that needs one is moved to tests/integration rather than quietly
making the offline suites slow and dependent on a machine's binaries."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tools.devstack import PostgresServer
from tools.devstack.process import ManagedProcess

OFFLINE = "unit tests are offline: move this test to tests/integration"
# Seconds of import each: a unit test that needs one belongs in tests/model.
HEAVY_MODULES = ("torch", "diffusers", "transformers")

SERVER_FIXTURES = (
    "postgres_server",
    "postgres_url",
    "nats_server",
    "nats_url",
    "object_store",
    "triton_server",
    "triton_url",
)


def _refuse(name: str):
    @pytest.fixture(name=name)
    def refused():
        pytest.fail(f"{OFFLINE} (it asked for the {name!r} fixture)", pytrace=False)

    return refused


# A conftest.py that imports this dict's values under their keys offers the refusing fixtures.
REFUSED_SERVER_FIXTURES = {f"_offline_{name}": _refuse(name) for name in SERVER_FIXTURES}


@pytest.fixture(autouse=True)
def no_server_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_start(self, *args, **kwargs):
        pytest.fail(f"{OFFLINE} (it started {type(self).__name__})", pytrace=False)

    monkeypatch.setattr(PostgresServer, "start", refuse_start)
    monkeypatch.setattr(ManagedProcess, "start", refuse_start)


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Offline tests run small tensors, where a second intra-op thread gains little; on a busy 2-core
    machine OpenMP's spinning threads then fight the other processes and a 3 s test takes minutes.
    Only where a test module imported torch (importing it here would slow every other test)."""
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextmanager
def heavy_imports_refused() -> Iterator[None]:
    """Fails when the block imports one of HEAVY_MODULES (one already imported, as in a run that
    collected tests/model first, is no longer news)."""
    before = {name for name in HEAVY_MODULES if name in sys.modules}
    yield
    loaded = sorted(name for name in HEAVY_MODULES if name in sys.modules and name not in before)
    if loaded:
        pytest.fail(f"this test imports {', '.join(loaded)} (seconds): move it to tests/model", pytrace=False)


@pytest.fixture(autouse=True)
def no_heavy_imports() -> Iterator[None]:
    """For tests/unit only (its conftest.py imports it): tests/model is where torch belongs."""
    with heavy_imports_refused():
        yield

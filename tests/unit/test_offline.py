"""The unit suite refuses servers (tests/unit/conftest.py): a test that asks for one fails at once
with a message that says where it belongs, instead of starting it."""

import sys
import types
from pathlib import Path

import pytest

from tests.support.offline import OFFLINE, SERVER_FIXTURES, heavy_imports_refused
from tools.devstack import NatsServer, PostgresServer, free_port
from tools.devstack.process import ManagedProcess


@pytest.mark.parametrize("fixture", SERVER_FIXTURES)
def test_asking_for_a_server_fixture_fails_and_says_to_move_the_test(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"{OFFLINE}.*{fixture}"):
        request.getfixturevalue(fixture)


def test_starting_a_server_directly_fails_too(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"{OFFLINE}.*PostgresServer"):
        PostgresServer(tmp_path / "postgres", free_port(), durable=False).start()
    with pytest.raises(pytest.fail.Exception, match=f"{OFFLINE}.*ManagedProcess"):
        NatsServer(tmp_path / "nats", free_port()).start()
    with pytest.raises(pytest.fail.Exception, match=f"{OFFLINE}.*ManagedProcess"):
        ManagedProcess("sleeper", ["sleep", "60"], tmp_path / "sleeper.log").start()


def test_a_test_that_imports_torch_fails_and_says_to_move_it(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    assert "no_heavy_imports" in request.fixturenames  # every unit test runs inside the guard
    monkeypatch.delitem(sys.modules, "torch", raising=False)  # as in a run of tests/unit alone
    with pytest.raises(pytest.fail.Exception, match="imports torch .*move it to tests/model"):
        with heavy_imports_refused():
            monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))

"""The unit suite refuses servers (tests/unit/conftest.py): a test that asks for one fails at once
with a message that says where it belongs, instead of starting it."""

from pathlib import Path

import pytest

from tests.support.offline import OFFLINE, SERVER_FIXTURES
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

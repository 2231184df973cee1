"""The model tier is offline like the unit suite (tests/support/offline.py): a server fixture or a
started server fails at once instead of running."""

from pathlib import Path

import pytest

from tests.support.offline import OFFLINE, SERVER_FIXTURES
from tools.devstack import PostgresServer, free_port


@pytest.mark.parametrize("fixture", SERVER_FIXTURES)
def test_asking_for_a_server_fixture_fails(fixture: str, request: pytest.FixtureRequest) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"{OFFLINE}.*{fixture}"):
        request.getfixturevalue(fixture)


def test_starting_a_server_fails(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=f"{OFFLINE}.*PostgresServer"):
        PostgresServer(tmp_path / "postgres", free_port(), durable=False).start()

"""A session-scoped resource that stops after the last test that uses it (found at collection)
rather than at the session's end, so that it does not run on through the later tiers."""

from __future__ import annotations

from contextlib import ExitStack

import pytest


class StopsAfterLastUser:
    """`running` holds what the fixture started; a conftest calls `collected` from
    pytest_collection_modifyitems and `torn_down` from a trylast pytest_runtest_teardown."""

    def __init__(self, fixture: str) -> None:
        self.fixture = fixture
        self.running = ExitStack()
        self._last_user: str | None = None

    def collected(self, items: list[pytest.Item]) -> None:
        users = [item.nodeid for item in items if self.fixture in getattr(item, "fixturenames", ())]
        self._last_user = users[-1] if users else None

    def torn_down(self, item: pytest.Item) -> None:
        if item.nodeid == self._last_user:
            self.running.close()

"""glue.db.one_row: the row a statement always returns, or a loud error when it did not."""

import pytest

from glue.db import one_row


class RecordedCursor:
    def __init__(self, row: tuple[int, ...] | None) -> None:
        self._row = row

    async def fetchone(self) -> tuple[int, ...] | None:
        return self._row


async def test_the_row_is_returned() -> None:
    assert await one_row(RecordedCursor((3,))) == (3,)  # type: ignore[arg-type]  # a recorded cursor, not psycopg's


async def test_no_row_is_an_error_that_says_so() -> None:
    with pytest.raises(RuntimeError, match="returned no row"):
        await one_row(RecordedCursor(None))  # type: ignore[arg-type]  # a recorded cursor, not psycopg's

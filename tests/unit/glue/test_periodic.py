import asyncio
import logging

import pytest

from glue.periodic import run_periodically


async def test_a_failing_round_is_logged_and_the_chore_goes_on(caplog):
    caplog.set_level(logging.WARNING, logger="glue.periodic")
    rounds = 0
    third_round = asyncio.Event()

    async def sweep() -> None:
        nonlocal rounds
        rounds += 1
        if rounds == 3:
            third_round.set()
        if rounds == 1:
            raise ConnectionError("database restarting")

    chore = asyncio.create_task(run_periodically("sweep", sweep, interval_s=0))
    await asyncio.wait_for(third_round.wait(), 10)
    assert not chore.done()
    assert [r.getMessage() for r in caplog.records] == ["sweep failed; trying again next round"]
    assert caplog.records[0].error == "database restarting"
    chore.cancel()
    with pytest.raises(asyncio.CancelledError):
        await chore


async def test_cancelling_stops_it_even_in_the_middle_of_a_round():
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.Event().wait()

    chore = asyncio.create_task(run_periodically("refresh", slow, interval_s=60))
    await started.wait()
    chore.cancel()
    with pytest.raises(asyncio.CancelledError):
        await chore

import asyncio
import os
import signal

import pytest

from glue.runtime import Runtime


class FakeNats:
    is_closed = False

    async def drain(self) -> None:
        self.is_closed = True


class FakePool:
    closed = False

    async def close(self) -> None:
        self.closed = True


def runtime() -> Runtime:
    return Runtime(FakePool(), FakeNats(), js=None)


async def run_until_cancelled(cancelled: asyncio.Event) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        cancelled.set()


async def test_a_background_loop_that_dies_stops_the_process_and_closes_everything():
    subject = runtime()
    cleaned = []

    async def crashes() -> None:
        raise RuntimeError("consumer bug")

    async def cleanup() -> None:
        cleaned.append(True)

    subject.run_in_background(crashes(), "consumer")
    subject.on_close(cleanup)
    with pytest.raises(SystemExit) as stopped:
        await subject.run_until_stopped()
    assert stopped.value.code == 1
    assert cleaned == [True] and subject.pool.closed and subject.nc.is_closed


async def test_a_termination_signal_stops_loops_cleanly():
    subject = runtime()
    cancelled = asyncio.Event()
    subject.run_in_background(run_until_cancelled(cancelled), "loop")
    asyncio.get_running_loop().call_later(0.1, os.kill, os.getpid(), signal.SIGTERM)
    await subject.run_until_stopped()  # returns normally: no SystemExit
    assert cancelled.is_set() and subject.pool.closed


async def test_stop_lets_a_draining_loop_finish_what_it_holds_before_anything_closes():
    subject = runtime()
    finished_before_close = []

    async def consumer() -> None:
        await subject.stopping.wait()
        await asyncio.sleep(0.2)  # the message in hand, finished after the signal
        finished_before_close.append(not subject.pool.closed and not subject.nc.is_closed)

    subject.run_in_background(consumer(), "consumer", drains=True)
    asyncio.get_running_loop().call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
    await subject.run_until_stopped()
    assert finished_before_close == [True]


async def test_a_drain_past_its_bound_is_cancelled():
    subject = Runtime(FakePool(), FakeNats(), js=None, drain_timeout_s=0.1)
    cancelled = asyncio.Event()
    subject.run_in_background(run_until_cancelled(cancelled), "consumer", drains=True)
    await asyncio.wait_for(subject.close(), 2)
    assert cancelled.is_set() and subject.pool.closed


async def test_a_loop_that_swallows_its_cancellation_does_not_hold_the_stop(monkeypatch):
    monkeypatch.setattr("glue.runtime.LOOP_CANCEL_TIMEOUT_S", 0.2)
    subject = runtime()
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            try:
                await released.wait()
            except asyncio.CancelledError:
                pass  # a library turning a cancellation into a retry

    subject.run_in_background(stubborn(), "stubborn")
    await asyncio.sleep(0)
    await asyncio.wait_for(subject.close(), timeout=5)
    assert subject.pool.closed and subject.nc.is_closed
    released.set()  # lets the test's own event loop end


async def test_a_loop_that_swallows_one_cancellation_is_stopped_not_abandoned():
    subject = runtime()
    swallowed = []

    async def publishes_like_nats() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed.append(True)  # nats-py's _flush_pending does this once per publish

    subject.run_in_background(publishes_like_nats(), "consumer")
    await asyncio.sleep(0)
    await asyncio.wait_for(subject.close(), timeout=2)
    assert swallowed and all(task.done() for task in subject._loops)

"""A service process ends when its entry point does, even when a task it left behind swallows
its cancellation (asyncio.run alone would wait for that task forever)."""

import subprocess
import sys
import textwrap

import pytest

from glue.bootstrap import exit_status
from tests.support.services import REPO_ROOT

STUBBORN_SERVICE = textwrap.dedent(
    """
    import asyncio, sys
    from glue.bootstrap import run_then_end

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                pass  # what a library that turns a cancellation into a retry does

    async def main() -> None:
        asyncio.create_task(stubborn(), name="stubborn-consumer")
        await asyncio.sleep(0.05)
        if sys.argv[1] == "fails":
            raise SystemExit("cannot listen on 127.0.0.1:1: address in use")

    asyncio.run(run_then_end(main(), leftover_timeout_s=0.3))
    """
)


@pytest.mark.parametrize(
    ("ending", "status", "said"), [("fails", 1, "cannot listen on 127.0.0.1:1"), ("returns", 0, "")]
)
def test_the_process_ends_with_its_entry_points_status_despite_a_stubborn_task(
    ending: str, status: int, said: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", STUBBORN_SERVICE, ending],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == status, result.stderr
    assert said in result.stderr
    assert "stubborn-consumer" in result.stderr  # named, so an operator knows which loop misbehaved


def test_exit_status_is_what_the_interpreter_would_give() -> None:
    assert exit_status(None) == 0
    assert exit_status(SystemExit(None)) == 0
    assert exit_status(SystemExit(3)) == 3
    assert exit_status(SystemExit("a message")) == 1
    assert exit_status(RuntimeError("bug")) == 1

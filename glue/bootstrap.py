"""The start of every service process: JSON logs, tracing and gRPC instrumentation are set up
before the service's own async entry point runs, until it returns; then the process ends, also when
a task left behind would not stop."""

import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from glue.cancellation import cancel_until_done
from glue.logging import configure_logging
from glue.settings import ServiceSettings
from glue.telemetry import configure_tracing, instrument_grpc

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
log = logging.getLogger(__name__)
# After the entry point returns or fails: how long the tasks it left behind get to end once cancelled.
LEFTOVER_TIMEOUT_S = 5.0


def run_service(name: str, settings: SettingsT, entry: Callable[[SettingsT], Coroutine[Any, Any, None]]) -> None:
    configure_logging(name, settings.log_level)
    configure_tracing(name, settings.trace_file)
    # Before the entry point builds its server, so the server's calls are traced.
    instrument_grpc()
    asyncio.run(run_then_end(entry(settings)))


def exit_status(error: BaseException | None) -> int:
    """The status the process would exit with had `error` (None: none) reached the interpreter."""
    if error is None:
        return 0
    if isinstance(error, SystemExit):
        code = error.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 1


async def run_then_end(main: Coroutine[Any, Any, None], leftover_timeout_s: float = LEFTOVER_TIMEOUT_S) -> None:
    """Runs `main`; then cancels whatever tasks remain. asyncio.run would wait for them forever if one
    swallowed its cancellation (glue.cancellation; seen: a service whose server could not start kept
    its NATS loops, port bound, answering nothing, until killed), so a process whose leftovers do not end within
    leftover_timeout_s exits anyway, with the status and message `main` ended with."""
    error: BaseException | None = None
    try:
        await main
    except BaseException as raised:
        error = raised
        raise
    finally:
        if not await _leftovers_ended(leftover_timeout_s):
            if isinstance(error, SystemExit) and isinstance(error.code, str):
                sys.stderr.write(error.code + "\n")
            elif error is not None and not isinstance(error, SystemExit):
                log.critical("entry point failed", exc_info=error)
            logging.shutdown()
            os._exit(exit_status(error))


async def _leftovers_ended(timeout_s: float) -> bool:
    current = asyncio.current_task()
    stuck = await cancel_until_done([task for task in asyncio.all_tasks() if task is not current], timeout_s)
    if stuck:
        names = sorted(task.get_name() for task in stuck)
        log.critical("tasks ignored their cancellation (%s); the process exits without them", ", ".join(names))
    return not stuck

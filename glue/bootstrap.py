"""The start of every service process: JSON logs, tracing and gRPC instrumentation are set up
before the service's own async entry point runs, until it returns."""

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from glue.logging import configure_logging
from glue.settings import ServiceSettings
from glue.telemetry import configure_tracing, instrument_grpc

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def run_service(name: str, settings: SettingsT, entry: Callable[[SettingsT], Coroutine[Any, Any, None]]) -> None:
    configure_logging(name, settings.log_level)
    configure_tracing(name, settings.trace_file)
    # Before the entry point builds its server, so the server's calls are traced.
    instrument_grpc()
    asyncio.run(entry(settings))

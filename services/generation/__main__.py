"""`python -m services.generation api|worker`"""

import asyncio
import sys

from glue.logging import configure_logging
from glue.telemetry import configure_tracing, instrument_grpc
from services.generation.settings import GenerationSettings
from services.generation.wiring import run_api, run_worker

ROLES = {"api": run_api, "worker": run_worker}


def main() -> None:
    role = sys.argv[1] if len(sys.argv) > 1 else "api"
    if role not in ROLES:
        raise SystemExit(f"usage: python -m services.generation [{'|'.join(ROLES)}]")
    settings = GenerationSettings()
    configure_logging(f"generation-{role}", settings.log_level)
    configure_tracing(f"generation-{role}", settings.trace_file)
    instrument_grpc()
    asyncio.run(ROLES[role](settings))


if __name__ == "__main__":
    main()

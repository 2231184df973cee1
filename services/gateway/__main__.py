"""`python -m services.gateway`: the public HTTP API and web UI on ATELIER_HTTP_LISTEN."""

import asyncio
import logging
import signal
from types import FrameType

import psycopg
import uvicorn
from pydantic import ValidationError

from glue.logging import configure_logging
from glue.metrics_endpoint import serve_metrics
from glue.telemetry import configure_tracing, instrument_grpc
from services.gateway.app import create_app
from services.gateway.repository import migrate_schema
from services.gateway.settings import GatewaySettings
from services.gateway.wiring import open_dependencies

log = logging.getLogger("services.gateway")

# Open event streams would otherwise hold a shutdown until they end on their own.
SHUTDOWN_GRACE_S = 5


class GatewayServer(uvicorn.Server):
    """uvicorn stopping gracefully on SIGTERM/SIGINT, but then returning instead of re-raising the
    signal (uvicorn's default), so that the gateway still closes its pool and channels."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True  # a second Ctrl-C
        else:
            self.should_exit = True


async def serve(settings: GatewaySettings) -> None:
    async with open_dependencies(settings) as deps:
        app = create_app(settings, deps)
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,  # uvicorn logs through our JSON handler
            access_log=False,  # atelier_http_requests_total counts requests instead
            server_header=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        # Like every Atelier process, on its own metrics port too (ATELIER_METRICS_ON_HTTP_PORT=false: only there).
        serve_metrics(settings.metrics_port, settings.metrics_host)
        log.info("starting", extra={"listen": settings.http_listen, "generation_addr": settings.generation_addr})
        await GatewayServer(config).serve()
    log.info("stopped")


def main() -> None:
    try:
        settings = GatewaySettings()
    except ValidationError as error:
        raise SystemExit(f"gateway: invalid settings from ATELIER_* environment variables:\n{error}") from None
    configure_logging("gateway", settings.log_level)
    configure_tracing("gateway", settings.trace_file)
    instrument_grpc()
    try:
        migrate_schema(settings.database_url)
        asyncio.run(serve(settings))
    except psycopg.OperationalError as error:
        raise SystemExit(f"gateway: cannot use the database (ATELIER_DATABASE_URL): {error}") from None


if __name__ == "__main__":
    main()

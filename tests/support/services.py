"""Atelier's own service processes for integration tests: real subprocesses, one fresh database
per test stack, on free ports, against the session's real servers."""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import grpc
import psycopg

from contracts import identities
from tests.support.identity import RoutingChannel, SyncRoutingChannel, channel_as, session_pki, sync_channel_as
from tools.devstack import free_port
from tools.devstack.database_roles import provision, role_url
from tools.devstack.nats_auth import user_url
from tools.devstack.pki import Pki
from tools.devstack.process import ManagedProcess, port_is_open, wait_until_ready
from tools.devstack.secrets import DATABASE_ROLES, generate_secret

REPO_ROOT = Path(__file__).resolve().parents[2]

# The services' roles are the cluster's, so one password each for the whole test session.
ROLE_PASSWORDS = {role: generate_secret() for role in DATABASE_ROLES}
# The key the feed and the gateway sign their paging cursors with.
CURSOR_SECRET = generate_secret()


def fresh_database(postgres_url: str) -> str:
    """A new empty database on the same server, so stacks never see each other's rows, with each
    service's role owning its schema there. Returns the superuser's URL to it (for the tests' own
    looks at rows); a service process gets its own role's URL (Infra.service_database_url)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(postgres_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    provision(url, ROLE_PASSWORDS)
    return url


@dataclass
class Infra:
    database_url: str
    nats_url: str
    s3_endpoint: str
    s3_access_key: str
    s3_secret_key: str
    s3_bucket: str
    triton_url: str

    @classmethod
    def on(cls, postgres_url: str, nats_url: str, object_store, triton_url: str) -> Infra:
        """The session's servers, with a fresh database of its own."""
        return cls(
            database_url=fresh_database(postgres_url),
            nats_url=nats_url,
            s3_endpoint=object_store.endpoint,
            s3_access_key=object_store.access_key,
            s3_secret_key=object_store.secret_key,
            s3_bucket=object_store.bucket,
            triton_url=triton_url,
        )

    @classmethod
    def without_media(cls, postgres_url: str, nats_url: str) -> Infra:
        """For services that touch neither the object store nor Triton (billing, visibility, feed):
        addresses nothing listens on, so any accidental use fails loudly."""
        return cls(
            database_url=fresh_database(postgres_url),
            nats_url=nats_url,
            s3_endpoint="127.0.0.1:1",
            s3_access_key="unused",
            s3_secret_key="unused",
            s3_bucket="unused",
            triton_url="127.0.0.1:1",
        )

    def service_database_url(self, role: str) -> str:
        return role_url(self.database_url, role, ROLE_PASSWORDS[role])

    def env(self) -> dict[str, str]:
        return {
            # The superuser's, for a test's own commands; ServiceStack.start gives a service its role's.
            "ATELIER_DATABASE_URL": self.database_url,
            "ATELIER_NATS_URL": self.nats_url,
            "ATELIER_S3_ENDPOINT": self.s3_endpoint,
            "ATELIER_S3_ACCESS_KEY": self.s3_access_key,
            "ATELIER_S3_SECRET_KEY": self.s3_secret_key,
            "ATELIER_S3_BUCKET": self.s3_bucket,
            "ATELIER_TRITON_URL": self.triton_url,
            "ATELIER_CURSOR_SECRET": CURSOR_SECRET,
        }


@dataclass
class ServiceStack:
    """Starts and stops service processes; all share one env (infra + ports + overrides)."""

    infra: Infra
    log_dir: Path
    overrides: dict[str, str] = field(default_factory=dict)
    generation_port: int = field(default_factory=free_port)
    visibility_port: int = field(default_factory=free_port)
    billing_port: int = field(default_factory=free_port)
    feed_port: int = field(default_factory=free_port)
    webhooks_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    pki: Pki = field(default_factory=session_pki)
    _processes: dict[str, ManagedProcess] = field(default_factory=dict)
    # Inside started_together(): the processes started but not yet waited on, with their ports.
    _not_yet_ready: list[tuple[ManagedProcess, int]] | None = None

    @property
    def generation_addr(self) -> str:
        return f"127.0.0.1:{self.generation_port}"

    @property
    def visibility_addr(self) -> str:
        return f"127.0.0.1:{self.visibility_port}"

    @property
    def billing_addr(self) -> str:
        return f"127.0.0.1:{self.billing_port}"

    @property
    def feed_addr(self) -> str:
        return f"127.0.0.1:{self.feed_port}"

    @property
    def webhooks_addr(self) -> str:
        return f"127.0.0.1:{self.webhooks_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def address_of(self, server: str) -> str:
        return {
            identities.GENERATION_API: self.generation_addr,
            identities.VISIBILITY: self.visibility_addr,
            identities.BILLING: self.billing_addr,
            identities.FEED: self.feed_addr,
            identities.WEBHOOKS: self.webhooks_addr,
        }[server]

    def channel(self, server: str, caller: str | None = None) -> grpc.aio.Channel | RoutingChannel:
        """A channel to one of this stack's services (identity: billing, visibility, feed,
        generation-api) presenting `caller`'s certificate; without one, each method goes as an
        identity the service allows for it, with a token of the user its request names
        (tests/support/identity.py)."""
        address = self.address_of(server)
        if caller is not None:
            return channel_as(caller, server, address, self.pki)
        return RoutingChannel(server, lambda who: channel_as(who, server, address, self.pki), self.pki)

    def sync_channel(self, server: str, caller: str | None = None) -> grpc.Channel | SyncRoutingChannel:
        address = self.address_of(server)
        if caller is not None:
            return sync_channel_as(caller, server, address, self.pki)
        return SyncRoutingChannel(server, lambda who: sync_channel_as(who, server, address, self.pki), self.pki)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            **self.infra.env(),
            "ATELIER_GENERATION_ADDR": self.generation_addr,
            "ATELIER_VISIBILITY_ADDR": self.visibility_addr,
            "ATELIER_BILLING_ADDR": self.billing_addr,
            "ATELIER_FEED_ADDR": self.feed_addr,
            "ATELIER_WEBHOOKS_ADDR": self.webhooks_addr,
            "ATELIER_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "ATELIER_LOG_LEVEL": "INFO",
            # The processes of one test session share a database and the address 127.0.0.1: limits
            # would spill from test to test. tests/integration/gateway/test_rate_limits.py tests them.
            "ATELIER_RATE_LIMITS_ENABLED": "false",
            **self.overrides,
            **extra,
        }

    def start(
        self,
        name: str,
        *module_args: str,
        ready_port: int | None = None,
        identity: str | None = None,
        **extra_env: str,
    ) -> ManagedProcess:
        """`identity`: the service identity the process runs as; its name unless given. Each Atelier
        service runs as its own Postgres role (services.<schema>) and NATS user; anything else (a fake,
        an operator's command) as the superuser and the admin."""
        package, _, role = module_args[0].partition(".")
        database_url, nats_url = self.infra.database_url, self.infra.nats_url
        if package == "services":
            database_url = self.infra.service_database_url(role)
            nats_user = f"{role}-{module_args[1]}" if role == "generation" else role
            nats_url = user_url(self.infra.nats_url, nats_user)
        process = ManagedProcess(
            name,
            [sys.executable, "-m", *module_args],
            self.log_dir / f"{name}-{time.monotonic_ns()}.log",
            env=self.env(
                **self.pki.env(identity or name),
                **{"ATELIER_DATABASE_URL": database_url, "ATELIER_NATS_URL": nats_url, **extra_env},
            ),
            cwd=REPO_ROOT,
        )
        process.start()
        self._processes[name] = process
        if ready_port is not None:
            if self._not_yet_ready is not None:
                self._not_yet_ready.append((process, ready_port))
            else:
                _wait_until_listening(process, ready_port)
        return process

    @contextmanager
    def started_together(self) -> Iterator[None]:
        """The services started inside start at once and are all listening when it ends: their start-ups
        (imports, migrations, TLS) overlap on both cores instead of queueing. None needs another up to
        start: gRPC channels connect on first use, and a consumer waits for a stream it does not own."""
        self._not_yet_ready = []
        try:
            yield
            for process, port in self._not_yet_ready:
                _wait_until_listening(process, port)
        finally:
            self._not_yet_ready = None

    def start_generation_api(self, **extra_env: str) -> ManagedProcess:
        return self.start(
            "generation-api",
            "services.generation",
            "api",
            ready_port=self.generation_port,
            ATELIER_GRPC_LISTEN=self.generation_addr,
            **extra_env,
        )

    def start_visibility(self, **extra_env: str) -> ManagedProcess:
        return self.start(
            "visibility",
            "services.visibility",
            ready_port=self.visibility_port,
            ATELIER_GRPC_LISTEN=self.visibility_addr,
            **extra_env,
        )

    def start_billing(self, **extra_env: str) -> ManagedProcess:
        return self.start(
            "billing",
            "services.billing",
            ready_port=self.billing_port,
            ATELIER_GRPC_LISTEN=self.billing_addr,
            **extra_env,
        )

    def start_feed(self, **extra_env: str) -> ManagedProcess:
        return self.start(
            "feed", "services.feed", ready_port=self.feed_port, ATELIER_GRPC_LISTEN=self.feed_addr, **extra_env
        )

    def start_webhooks(self, **extra_env: str) -> ManagedProcess:
        """Test receivers listen on 127.0.0.1 over plain http: allowed here unless a test says otherwise."""
        settings = {
            "ATELIER_WEBHOOK_ALLOW_PRIVATE_ENDPOINTS": "true",
            "ATELIER_WEBHOOK_ALLOW_PLAIN_HTTP": "true",
            **extra_env,
        }
        return self.start(
            "webhooks",
            "services.webhooks",
            ready_port=self.webhooks_port,
            ATELIER_GRPC_LISTEN=self.webhooks_addr,
            **settings,
        )

    def start_platform(self) -> None:
        """Every service, started together (the gateway is listed last: it calls the others)."""
        with self.started_together():
            self.start_billing()
            self.start_visibility()
            self.start_feed()
            self.start_generation_api()
            self.start_worker()
            self.start_gateway()

    def start_worker(self, name: str = "generation-worker", **extra_env: str) -> ManagedProcess:
        return self.start(
            name, "services.generation", "worker", ready_port=None, identity=identities.GENERATION_WORKER, **extra_env
        )

    def start_gateway(self) -> ManagedProcess:
        return self.start("gateway", "services.gateway", ready_port=self.http_port)

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to clean up, like a crashed pod."""
        process = self._processes.pop(name)
        if process.pid is not None:
            os.kill(process.pid, 9)
        process.stop(grace_seconds=5)

    def stop(self, name: str) -> None:
        self._processes.pop(name).stop(grace_seconds=15)

    def stop_all(self) -> None:
        """Every process asked to stop at once: each drains within the same grace, in parallel."""
        processes = [self._processes.pop(name) for name in reversed(list(self._processes))]
        with ThreadPoolExecutor(max_workers=max(1, len(processes))) as pool:
            list(pool.map(lambda process: process.stop(grace_seconds=15), processes))

    def log_path(self, name: str) -> Path:
        return self._processes[name].log_path

    def logs(self) -> str:
        return "\n".join(
            f"== {p.name}\n{p.log_path.read_text(errors='replace')[-3000:]}" for p in self._processes.values()
        )


def _wait_until_listening(process: ManagedProcess, port: int) -> None:
    wait_until_ready(
        lambda: port_is_open(port),
        what=process.name,
        timeout=60,
        log_path=process.log_path,
        is_alive=process.is_running,
    )

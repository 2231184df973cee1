"""The platform under fault: a whole dev stack (tools.devstack.Stack) on free ports, whose processes
are SIGKILLed one at a time and started again on the same data directories."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections import Counter
from pathlib import Path

import psutil

from tools.devstack.config import Ports
from tools.devstack.stack import Stack

log = logging.getLogger(__name__)

# Killed in this order, round after round.
KILLABLE = ("generation-worker", "generation-api", "nats", "postgres", "triton", "gateway")
# The consumers of ImagesReady and GenerationFailed, for a wider soak (--all-processes).
ALSO_KILLABLE = ("billing", "visibility", "feed")
SERVICES = ("billing", "visibility", "feed", "generation-api", "generation-worker", "gateway")

# The soak is about crashes, not about limits: sign-ups and submits of one loopback client would
# be throttled. tests/integration/gateway/test_rate_limits.py tests the limits.
SOAK_ENVIRONMENT = {"ATELIER_RATE_LIMITS_ENABLED": "false"}


def kill_tree(pid: int) -> None:
    """SIGKILL a process and every descendant at once (a pod's container killed outright), then
    wait until all are gone, so a restart never meets a leftover holding a port or a lock."""
    try:
        root = psutil.Process(pid)
        family = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return
    for process in family:
        try:
            process.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(family, timeout=30)
    if alive:
        raise RuntimeError(f"still running 30 s after SIGKILL: {[p.pid for p in alive]}")


class FaultyPlatform:
    """Starts the whole platform, then kills and restarts any one of KILLABLE on demand. The
    procedural pipeline serves the model: it draws each prompt exactly in milliseconds, so a soak
    of hundreds of generations fits in minutes on a CPU."""

    def __init__(self, data_root: Path, environment: dict[str, str] | None = None) -> None:
        self.data_root = data_root
        # Stack reads the services' settings from this process's environment when it is built.
        saved = dict(os.environ)
        os.environ.update({**SOAK_ENVIRONMENT, **(environment or {})})
        try:
            self.stack = Stack(data_root, Ports.free())
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.stack.triton.pipeline = "procedural"
        self.kills: Counter[str] = Counter()
        self.crashed_on_their_own: Counter[str] = Counter()

    @property
    def gateway_url(self) -> str:
        return self.stack.gateway_url

    @property
    def database_url(self) -> str:
        """The superuser's, to audit every service's schema."""
        return self.stack.postgres.url

    def up(self) -> None:
        self.stack.up()

    def down(self) -> None:
        self.stack.down()

    def kill_and_restart(self, name: str, down_s: float = 0.0) -> None:
        """`down_s`: how long the process stays dead, as a pod waiting out its restart back-off
        (part of the schedule, not a wait for anything)."""
        log.warning("soak: SIGKILL %s", name)
        self._kill(name)
        self.kills[name] += 1
        time.sleep(down_s)
        self._start(name)
        log.warning("soak: %s is back", name)

    def restart_crashed_services(self) -> list[str]:
        """Services that exited although nobody killed them are started again, as Kubernetes
        would; each is counted, as a finding."""
        crashed = [name for name in SERVICES if not self.stack.service_process(name).is_running()]
        for name in crashed:
            log.warning("soak: %s exited on its own; starting it again", name)
            self.crashed_on_their_own[name] += 1
            self.stack.service_process(name).stop()
            self._start(name)
        return crashed

    def _kill(self, name: str) -> None:
        if name == "postgres":
            pid = self.stack.postgres.pid
        elif name == "nats":
            pid = self.stack.nats.pid
        elif name == "triton":
            pid = self.stack.triton.pid
        else:
            pid = self.stack.service_process(name).pid
        if pid is None:
            raise RuntimeError(f"{name} is not running, so it cannot be killed")
        kill_tree(pid)

    def _start(self, name: str) -> None:
        if name == "postgres":
            self.stack.postgres.start()  # crash recovery replays the WAL
        elif name == "nats":
            self.stack.nats.stop()  # reaps the killed process
            self.stack.nats.start()  # JetStream recovers its file store
        elif name == "triton":
            self.stack.triton.stop()
            self.stack.triton.start(timeout=self.stack.triton_ready_timeout)
        else:
            process = self.stack.service_process(name)
            process.stop()
            process.start()
            self.stack.wait_until_service_ready(name)

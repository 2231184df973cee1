"""Child processes of the dev stack: ports, start with a log file, wait until ready, stop."""

from __future__ import annotations

import ctypes
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


class ServerStartError(RuntimeError):
    """A server did not come up; the message says why and shows the end of its log."""


class PortInUseError(ServerStartError):
    pass


# Ports chosen for servers of one's own (tests, benchmarks, the fault soak) come from below the
# kernel's ephemeral range, so no outgoing connection's local port can take one before its server
# binds it, and not again while recent: the kernel's bind(0) hands out a port again (1 set of 13
# in ~200 repeated one), and two servers on one port (gRPC binds with SO_REUSEPORT) meet nobody's
# expectations; a soak once waited 120 s on a billing service whose gRPC port was its metrics port.
_CHOSEN_RANGE_FLOOR = 20000
# The most recent ports handed out (a long session's servers come and go; older ones may return).
_RECENT_PORTS = 4096
_handed_out: OrderedDict[int, None] = OrderedDict()


def _hand_out(ports: range) -> None:
    for port in ports:
        _handed_out[port] = None
        _handed_out.move_to_end(port)
    while len(_handed_out) > _RECENT_PORTS:
        _handed_out.popitem(last=False)


def _ephemeral_range_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int, host: str = LOOPBACK, *, reuse_address: bool = False) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if reuse_address:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _kernel_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _candidate(rng: random.Random, ceiling: int) -> int:
    """A port below `ceiling` (the ephemeral range's start)."""
    if ceiling - _CHOSEN_RANGE_FLOOR < 2000:  # an unusual ephemeral range: the kernel's choice, checked below
        return _kernel_port()
    return rng.randrange(_CHOSEN_RANGE_FLOOR, ceiling)


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports, none handed out recently (a base plus offsets)."""
    rng = random.SystemRandom()
    ceiling = _ephemeral_range_start()
    for _ in range(10_000):
        first = _candidate(rng, ceiling)
        block = range(first, first + size)
        if block[-1] < 65536 and not any(p in _handed_out for p in block) and all(_bindable(p) for p in block):
            _hand_out(block)
            return first
    raise RuntimeError(f"no {size} consecutive free ports on {LOOPBACK}")


def free_ports(count: int) -> list[int]:
    """Distinct free ports, none among the recent ones handed out in this process."""
    return [free_port_block(1) for _ in range(count)]


def free_port() -> int:
    return free_port_block(1)


def port_is_open(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def ensure_port_free(port: int, *, server: str, setting: str, host: str = LOOPBACK) -> None:
    """Fail early and clearly instead of letting the server die with its own cryptic bind error."""
    # Servers bind with SO_REUSEADDR, so a port in TIME_WAIT after a restart is free for them too.
    if not _bindable(port, host, reuse_address=True):
        raise PortInUseError(
            f"port {port} ({server}) is already in use; set {setting}=<a free port> or stop whatever listens there"
        )


def venv_executable(name: str) -> Path:
    """A console script installed next to the running interpreter (the project's .venv/bin)."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return beside_python
    found = shutil.which(name)
    if found is None:
        raise ServerStartError(f"{name} is not installed; run ./atelierctl bootstrap")
    return Path(found)


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16_000))
            text = f.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return "(no log file)"
    return "\n".join(text.splitlines()[-lines:])


def wait_until_ready(
    is_ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    log_path: Path,
    is_alive: Callable[[], bool] = lambda: True,
    interval: float = 0.1,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not is_alive():
            raise ServerStartError(
                f"{what} exited before it was ready; last lines of {log_path}:\n{log_tail(log_path)}"
            )
        if is_ready():
            return
        if time.monotonic() > deadline:
            raise ServerStartError(
                f"{what} was not ready after {timeout:.0f} s; last lines of {log_path}:\n{log_tail(log_path)}"
            )
        time.sleep(interval)


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: if the test run or `up` is killed outright, the server
    # goes with it instead of lingering on a 2-core machine.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    """One long-running child process writing stdout and stderr to a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str | os.PathLike[str]],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        die_with_parent: bool = True,
    ) -> None:
        self.name = name
        self.argv = [str(arg) for arg in argv]
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.die_with_parent = die_with_parent
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log.info("starting %s: %s (log %s)", self.name, " ".join(self.argv), self.log_path)
        with self.log_path.open("ab") as log_file:
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                # Own session: Ctrl-C in the terminal reaches only the supervisor, which stops the
                # children in order; and a detached stack survives the shell that started it.
                start_new_session=True,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
            )

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def exit_code(self) -> int | None:
        """None while it runs (or before it started)."""
        return self._popen.poll() if self._popen is not None else None

    def stop(self, grace_seconds: float = 10.0) -> None:
        if self._popen is None:
            return
        stop_pid(self._popen.pid, name=self.name, grace_seconds=grace_seconds)
        self._popen.poll()  # reap, so no zombie is left behind
        self._popen = None


def process_create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def is_same_process(pid: int, create_time: float) -> bool:
    """True while the process we started runs: not exited (a zombie awaiting its reaper counts as
    exited), and not a later process that reused the number."""
    try:
        process = psutil.Process(pid)
        return abs(process.create_time() - create_time) < 0.01 and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop_pid(pid: int, *, name: str, grace_seconds: float = 10.0, stop_signal: int = signal.SIGTERM) -> None:
    """Ask a process to stop, then kill it (and its process group) if it does not within the bound."""
    try:
        process = psutil.Process(pid)
        process.send_signal(stop_signal)
    except psutil.NoSuchProcess:
        return
    if _wait_until_exited(process, grace_seconds):
        log.info("stopped %s (pid %d)", name, pid)
        return
    log.warning("%s (pid %d) did not stop within %.0f s; killing it", name, pid, grace_seconds)
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, psutil.NoSuchProcess):
        return
    _wait_until_exited(process, grace_seconds)


def _wait_until_exited(process: psutil.Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.waitpid(process.pid, os.WNOHANG)  # reap it if it is our child
        except ChildProcessError:
            pass  # not our child: its own parent reaps it
        try:
            # A zombie has exited: only its parent can still reap it.
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)

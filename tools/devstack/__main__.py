"""python -m tools.devstack up|down|status: the platform on this machine, on loopback."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from pathlib import Path

from tools.devstack.config import Ports
from tools.devstack.process import LOOPBACK, ServerStartError, log_tail
from tools.devstack.stack import Stack, StackError, connection_settings, stop_recorded_stack
from tools.devstack.state import StackState

log = logging.getLogger("tools.devstack")

EXIT_NOT_RUNNING = 3


def main(argv: list[str] | None = None) -> int:
    args = _parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    data_root = Path(args.data_dir).absolute()
    try:
        if args.command == "up":
            return _up(
                data_root, infra_only=args.infra_only, detach=args.detach, model_repository=args.model_repository
            )
        if args.command == "down":
            return _down(data_root)
        return _status(data_root)
    except (StackError, ServerStartError, ValueError) as error:
        log.error("%s", error)
        return 1


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the servers and services (foreground until Ctrl-C)")
    up.add_argument("--infra-only", action="store_true", help="only Postgres, NATS, the object store and Triton")
    up.add_argument("--detach", action="store_true", help="return once everything is ready; stop with `down`")
    up.add_argument("--model-repository", type=Path, help="Triton model repository (default model_repository/)")
    commands.add_parser("down", help="stop a stack started with `up --detach` or from another shell")
    commands.add_parser("status", help="show what runs")
    for command in commands.choices.values():
        command.add_argument(
            "--data-dir",
            default=os.environ.get("ATELIER_DATA_DIR", ".atelier-data"),
            help="where every server keeps its data and logs (default .atelier-data)",
        )
    return parser.parse_args(argv)


def _up(data_root: Path, *, infra_only: bool, detach: bool, model_repository: Path | None) -> int:
    stack = Stack(data_root, Ports.from_env(), infra_only=infra_only, detach=detach, model_repository=model_repository)
    if detach:
        stack.up()
        _log_ready(stack)
        log.info("running in the background; stop it with ./atelierctl down")
        return 0

    def stop_on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starting `up` in the background hands it SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop_on_signal)
    try:
        stack.up()
        _log_ready(stack)
        log.info("press Ctrl-C to stop")
        while True:
            time.sleep(1)
            dead = stack.dead_processes()
            if dead:
                for record in dead:
                    log.error(
                        "%s stopped unexpectedly; last lines of %s:\n%s",
                        record.name,
                        record.log_path,
                        log_tail(Path(record.log_path)),
                    )
                return 1
    except KeyboardInterrupt:
        log.info("stopping")
        return 0
    finally:
        # A second Ctrl-C must not abandon half-stopped servers; every stop is bounded anyway.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stack.down()


def _log_ready(stack: Stack) -> None:
    if stack.infra_only:
        settings = connection_settings(stack.ports, stack.credentials)
        log.info(
            "servers ready; to run a service by hand:\n%s",
            "\n".join(f"export {name}={value}" for name, value in settings.items()),
        )
        log.info(
            "and the service's own database role: ATELIER_DATABASE_URL=postgresql://SERVICE:PASSWORD@%s:%d/atelier"
            " (SERVICE is its schema; PASSWORD is postgres_SERVICE_password in %s)",
            LOOPBACK,
            stack.ports.postgres,
            stack.data_root / "secrets",
        )
    else:
        log.info("Atelier is up at %s (data in %s)", stack.gateway_url, stack.data_root)


def _down(data_root: Path) -> int:
    if not stop_recorded_stack(data_root):
        log.info("nothing is recorded as running from %s", data_root)
    return 0


def _status(data_root: Path) -> int:
    state = StackState.load(data_root)
    if state is None:
        log.info("not running (no state in %s)", data_root)
        return EXIT_NOT_RUNNING
    alive = {record.name for record in state.alive()}
    for record in state.processes:
        log.info(
            "%-18s %-8s %-45s pid %-7d log %s",
            record.name,
            "running" if record.name in alive else "STOPPED",
            record.address,
            record.pid,
            record.log_path,
        )
    if not alive:
        return EXIT_NOT_RUNNING
    return 0 if len(alive) == len(state.processes) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The state file of a running stack, so `down` and `status` work from any shell."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.devstack.process import is_same_process

STATE_FILE_NAME = "devstack-state.json"


@dataclass
class ProcessRecord:
    name: str
    pid: int
    create_time: float
    address: str
    log_path: str
    # "postgres" is stopped with pg_ctl (as the OS user that owns its data), the rest by signal.
    kind: str = "process"

    def is_alive(self) -> bool:
        return is_same_process(self.pid, self.create_time)


@dataclass
class StackState:
    data_root: str
    ports: dict[str, int]
    processes: list[ProcessRecord] = field(default_factory=list)

    @staticmethod
    def path(data_root: Path) -> Path:
        return Path(data_root) / STATE_FILE_NAME

    @classmethod
    def load(cls, data_root: Path) -> StackState | None:
        try:
            raw = json.loads(cls.path(data_root).read_text())
        except FileNotFoundError:
            return None
        return cls(
            data_root=raw["data_root"],
            ports=raw["ports"],
            processes=[ProcessRecord(**record) for record in raw["processes"]],
        )

    def save(self) -> None:
        target = self.path(Path(self.data_root))
        staging = target.with_suffix(".tmp")
        staging.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(staging, target)

    def remove(self) -> None:
        self.path(Path(self.data_root)).unlink(missing_ok=True)

    def alive(self) -> list[ProcessRecord]:
        return [record for record in self.processes if record.is_alive()]

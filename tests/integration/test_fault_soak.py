"""The fault soak, short: generations through the public API while generation-worker,
generation-api, NATS, Postgres, Triton and the gateway are each SIGKILLed once and started again
→ none lost, none duplicated, none charged twice. The long one is `python -m tests.soak.run`."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.soak.faults import KILLABLE
from tests.soak.run import Schedule, run_soak

pytestmark = pytest.mark.integration

log = logging.getLogger(__name__)


@pytest.fixture
def soak_root() -> Iterator[Path]:
    # Not under pytest's basetemp (mode 700): the non-root postgres user must traverse it.
    root = Path(tempfile.mkdtemp(prefix="atelier-soak-"))
    root.chmod(0o711)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_every_generation_ends_once_and_is_charged_once_while_each_process_is_killed(soak_root: Path) -> None:
    report = run_soak(soak_root, generations=15, schedule=Schedule(rounds=1), timeout_s=600)
    figures = report.figures()
    log.warning("fault soak:\n%s", figures)

    assert report.kills == dict.fromkeys(KILLABLE, 1), figures
    assert report.audit.clean, figures
    assert report.audit.generations >= 15, figures
    assert sum(report.audit.states.values()) == report.audit.generations, figures

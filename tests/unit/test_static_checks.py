"""The static gate (`./atelierctl check`, run first by `./atelierctl test`) holds on the tree and
bites on planted violations, judged with the project's own ruff configuration."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = Path(sys.executable).with_name("ruff")

CLEAN_MODULE = '''"""A module the gate accepts."""

import logging

log = logging.getLogger(__name__)


def greet(name: str) -> str:
    log.info("greeting", extra={"name": name})
    return f"hello {name}"
'''


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RUFF), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "__init__.py").write_text("")
    (tmp_path / "services" / "clean.py").write_text(CLEAN_MODULE)
    return tmp_path


def test_the_tree_passes_lint_and_format() -> None:
    assert ruff("check", "--quiet", ".", cwd=ROOT).returncode == 0
    assert ruff("format", "--check", "--quiet", ".", cwd=ROOT).returncode == 0


def test_a_clean_module_passes(project: Path) -> None:
    assert ruff("check", ".", cwd=project).returncode == 0
    assert ruff("format", "--check", ".", cwd=project).returncode == 0


@pytest.mark.parametrize(
    ("planted", "rule"),
    [
        ('print("debugging")\n', "T201"),  # services log, never print
        ("import sys\nimport os\n\nsys, os\n", "I001"),  # unsorted imports
        ("import json\n", "F401"),  # unused import
        ("x = 1  # noqa\n", "PGH004"),  # a blanket noqa hides every rule
    ],
)
def test_a_planted_violation_fails_lint(project: Path, planted: str, rule: str) -> None:
    (project / "services" / "planted.py").write_text(planted)
    result = ruff("check", "--output-format", "concise", ".", cwd=project)
    assert result.returncode == 1
    assert rule in result.stdout


def test_unformatted_code_fails_the_format_check(project: Path) -> None:
    (project / "services" / "planted.py").write_text("x = {  'a':1 }\n")
    assert ruff("format", "--check", ".", cwd=project).returncode == 1

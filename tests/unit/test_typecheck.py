"""The type gate (`./atelierctl typecheck`, part of `./atelierctl check`; mypy with [tool.mypy] in
pyproject.toml): planted violations fail, judged with the project's own configuration. That the
tree passes is the gate's own job (`./atelierctl test` runs it before pytest); repeating the whole
tree's mypy run here would cost the offline unit suite 10-40 s for nothing new."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def mypy(*paths: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ["glue", "services", "services/visibility"]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    return tmp_path


def plant(project: Path, module: str, source: str) -> str:
    path = project / f"{module.replace('.', '/')}.py"
    path.write_text(source)
    return str(path.relative_to(project))


UNANNOTATED = "def scale(x, factor):\n    return x * factor\n"


@pytest.mark.parametrize(
    ("module", "planted", "code"),
    [
        ("glue.planted", UNANNOTATED, "no-untyped-def"),  # glue is strict
        ("services.visibility.policy", UNANNOTATED, "no-untyped-def"),  # and so are the pure domain modules
        ("glue.planted", "def pairs(items: list) -> None: ...\n", "type-arg"),
        ("services.loose", 'def size() -> int:\n    return "big"\n', "return-value"),
        ("services.loose", 'count: int = "one"  # type: ignore\n', "ignore-without-code"),
        ("services.loose", "count: int = 1  # type: ignore[assignment]\n", "unused-ignore"),
        # check_untyped_defs: the body of an unannotated function outside the strict modules is checked.
        ("services.loose", 'def f():\n    x: int = "one"\n    return x\n', "assignment"),
    ],
)
def test_a_planted_violation_fails(project: Path, module: str, planted: str, code: str) -> None:
    result = mypy(plant(project, module, planted), cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"[{code}]" in result.stdout


def test_outside_the_strict_modules_an_unannotated_function_is_accepted(project: Path) -> None:
    result = mypy(plant(project, "services.loose", UNANNOTATED), cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr

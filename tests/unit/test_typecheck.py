"""The type gate (`./atelierctl typecheck`, part of `./atelierctl check`; mypy with [tool.mypy] in
pyproject.toml): planted violations fail, judged with the project's own configuration. That the
tree passes is the gate's own job (`./atelierctl test` runs it before pytest); repeating the whole
tree's mypy run here would cost the offline unit suite 10-40 s for nothing new.

Every violation is planted in its own module of one small copy and mypy runs once over them all:
a cold mypy run costs seconds (typeshed, the pydantic plugin), and each module is judged alone."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

UNANNOTATED = "def scale(x, factor):\n    return x * factor\n"

# module → (planted source, the error code mypy must report in it; None: no error at all)
PLANTED = {
    "glue.unannotated": (UNANNOTATED, "no-untyped-def"),  # glue is strict
    "services.visibility.policy": (UNANNOTATED, "no-untyped-def"),  # and so are the pure domain modules
    "glue.bare_generic": ("def pairs(items: list) -> None: ...\n", "type-arg"),
    "services.wrong_return": ('def size() -> int:\n    return "big"\n', "return-value"),
    "services.bare_ignore": ('count: int = "one"  # type: ignore\n', "ignore-without-code"),
    "services.unused_ignore": ("count: int = 1  # type: ignore[assignment]\n", "unused-ignore"),
    # check_untyped_defs: the body of an unannotated function outside the strict modules is checked.
    "services.untyped_body": ('def f():\n    x: int = "one"\n    return x\n', "assignment"),
    # Outside the strict modules an unannotated function is accepted.
    "services.loose": (UNANNOTATED, None),
}


def module_path(module: str) -> str:
    return f"{module.replace('.', '/')}.py"


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """mypy's report for each planted module (its lines that name the module's file)."""
    project = tmp_path_factory.mktemp("typed")
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    for package in ["glue", "services", "services/visibility"]:
        (project / package).mkdir()
        (project / package / "__init__.py").write_text("")
    for module, (source, _) in PLANTED.items():
        (project / module_path(module)).write_text(source)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", *map(module_path, PLANTED)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stdout + result.stderr
    lines = result.stdout.splitlines()
    return {module: "\n".join(line for line in lines if line.startswith(module_path(module))) for module in PLANTED}


@pytest.mark.parametrize("module", [module for module, (_, code) in PLANTED.items() if code])
def test_a_planted_violation_fails(reported: dict[str, str], module: str) -> None:
    code = PLANTED[module][1]
    assert f"[{code}]" in reported[module], reported[module]


def test_outside_the_strict_modules_an_unannotated_function_is_accepted(reported: dict[str, str]) -> None:
    assert reported["services.loose"] == ""

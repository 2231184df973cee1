"""A service started without its secret stops at once and says which variable to set."""

import os
import subprocess
import sys

import pytest

from tests.support.services import REPO_ROOT


@pytest.mark.parametrize(
    ("module_args", "missing"),
    [
        (("services.generation", "api"), "ATELIER_S3_SECRET_KEY"),
        (("services.generation", "worker"), "ATELIER_S3_ACCESS_KEY"),
        (("services.gateway",), "ATELIER_S3_SECRET_KEY"),
        (("services.gateway",), "ATELIER_CURSOR_SECRET"),
        (("services.feed",), "ATELIER_CURSOR_SECRET"),
    ],
)
def test_a_service_without_its_secret_exits_naming_the_variable(module_args: tuple[str, ...], missing: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATELIER_")}
    env.update(
        {
            "ATELIER_S3_ACCESS_KEY": "an-access-key",
            "ATELIER_S3_SECRET_KEY": "a-secret-key",
            "ATELIER_CURSOR_SECRET": "a-cursor-secret",
        }
    )
    del env[missing]
    result = subprocess.run(
        [sys.executable, "-m", *module_args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"{missing} not set" in result.stderr
    assert all(secret not in result.stderr for secret in ("a-secret-key", "an-access-key", "a-cursor-secret"))

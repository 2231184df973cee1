"""No secret has a default in the services' settings: a value written in this repository would
be the secret of every deployment that forgot to set its own (issue 10)."""

import ast
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from glue.settings import ObjectStoreSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILES = [REPO_ROOT / "glue" / "settings.py", *sorted((REPO_ROOT / "services").glob("*/settings.py"))]
SECRET_NAME = re.compile(r"(secret|password|access_key|token)", re.IGNORECASE)


def _literal_secret_defaults(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None):
            continue
        if not SECRET_NAME.search(node.target.id):
            continue
        default = node.value
        if isinstance(default, ast.Call) and default.args:  # Field("...")
            default = default.args[0]
        if isinstance(default, ast.Call):
            default = next((kw.value for kw in default.keywords if kw.arg == "default"), None)
        if isinstance(default, ast.Constant) and isinstance(default.value, str) and default.value:
            found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno} {node.target.id} = {default.value!r}")
    return found


def test_the_settings_are_all_checked() -> None:
    assert len(SETTINGS_FILES) >= 6, SETTINGS_FILES


@pytest.mark.parametrize("path", SETTINGS_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_secret_setting_has_a_literal_default(path: Path) -> None:
    assert _literal_secret_defaults(path) == []


def test_database_urls_carry_no_password_by_default() -> None:
    for path in SETTINGS_FILES:
        assert not re.search(r"postgres(ql)?://[^@\s\"']*:[^@\s\"']+@", path.read_text()), path


def test_the_object_store_keys_are_required_and_named_by_their_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ATELIER_S3_ACCESS_KEY", raising=False)
    monkeypatch.setenv("ATELIER_S3_SECRET_KEY", "a-secret-that-must-not-be-echoed")
    with pytest.raises(ValidationError) as raised:
        ObjectStoreSettings()
    message = str(raised.value)
    assert "ATELIER_S3_ACCESS_KEY not set" in message
    assert "ATELIER_S3_SECRET_KEY" not in message
    # A validation error never prints the other settings' values.
    assert "a-secret-that-must-not-be-echoed" not in message

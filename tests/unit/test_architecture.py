"""The import contracts in .importlinter hold for the real code, and they do catch violations."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    only = [arg for contract in contracts for arg in ("--contract", contract)]
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", *only],
        cwd=root,
        env={"PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_the_import_contracts() -> None:
    result = lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def write_layout(root: Path, modules: dict[str, str]) -> Path:
    """A copy of the real contracts over a tiny fake code base: {"pkg/mod.py": source}."""
    shutil.copy(REPO_ROOT / ".importlinter", root / ".importlinter")
    for relative, source in modules.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return root


CLEAN_LAYOUT = {
    "services/__init__.py": "",
    "services/gateway/__init__.py": "",
    "services/gateway/api/__init__.py": "",
    "services/gateway/api/access.py": "",
    "services/gateway/api/routes/__init__.py": "",
    "services/gateway/api/routes/images.py": "from services.gateway.api import access\n",
    "services/gateway/api/routes/social.py": "from services.gateway.api import access\n",
    "services/gateway/web/__init__.py": "",
    "services/gateway/web/pages.py": "",
    "services/gateway/auth/__init__.py": "",
    "services/gateway/auth/security.py": "",
    "services/gateway/clients/__init__.py": "",
    "services/gateway/clients/feed.py": "",
    "services/alpha/__init__.py": "import glue\nimport atelier\n",
    "services/beta/__init__.py": "import glue\n",
    "glue/__init__.py": "import atelier\nimport contracts\n",
    "atelier/__init__.py": "",
    "contracts/__init__.py": "import atelier\n",
}


def test_a_layout_that_follows_the_rules_passes(tmp_path: Path) -> None:
    result = lint_imports(write_layout(tmp_path, CLEAN_LAYOUT))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("offender", "source", "contract", "reported"),
    [
        (
            "services/alpha/handlers.py",
            "from services.beta import rules\n",
            "services-are-independent",
            "services.alpha.handlers -> services.beta",
        ),
        (
            "services/gateway/api/routes/social.py",
            "from services.gateway.api.routes.images import NOT_FOUND_RESPONSE\n",
            "gateway-routes-are-independent",
            "services.gateway.api.routes.social -> services.gateway.api.routes.images",
        ),
        (
            "services/gateway/web/pages.py",
            "import services.gateway.api.routes.images\n",
            "gateway-routes-are-independent",
            "services.gateway.web.pages -> services.gateway.api.routes.images",
        ),
        (
            "services/gateway/clients/feed.py",
            "from services.gateway.api import access\n",
            "gateway-clients-and-auth-import-no-http-layer",
            "services.gateway.clients.feed -> services.gateway.api.access",
        ),
        (
            "services/gateway/auth/security.py",
            "from services.gateway.web import pages\n",
            "gateway-clients-and-auth-import-no-http-layer",
            "services.gateway.auth.security -> services.gateway.web.pages",
        ),
        (
            "glue/helpers.py",
            "import services.alpha\n",
            "shared-code-imports-no-service",
            "glue.helpers -> services.alpha",
        ),
        (
            "atelier/thing_pb2.py",
            "from services.beta import rules\n",
            "shared-code-imports-no-service",
            "atelier.thing_pb2 -> services.beta",
        ),
        (
            "contracts/alpha.py",
            "from services.alpha import rules\n",
            "contracts-are-declarations",
            "contracts.alpha -> services.alpha",
        ),
        (
            "contracts/beta.py",
            "from glue import events\n",
            "contracts-are-declarations",
            "contracts.beta -> glue",
        ),
    ],
)
def test_each_contract_catches_the_import_it_forbids(
    tmp_path: Path, offender: str, source: str, contract: str, reported: str
) -> None:
    result = lint_imports(write_layout(tmp_path, {**CLEAN_LAYOUT, offender: source}), contract)
    assert result.returncode != 0, result.stdout + result.stderr
    assert reported in result.stdout

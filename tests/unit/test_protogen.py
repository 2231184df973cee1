"""The generated code in atelier/ is what `python -m tools.protogen` makes from proto/, and the
check notices when the two drift apart."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def protogen(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.protogen", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_regenerating_the_committed_code_changes_nothing() -> None:
    result = protogen(REPO_ROOT, "--check")
    assert result.returncode == 0, result.stderr


def copy_of_the_contracts(root: Path) -> Path:
    """protogen finds proto/ and atelier/ beside its own tools/ folder, so a copy of the three
    is a repository of its own where the test may change protos freely."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "tools", root / "tools", ignore=shutil.ignore_patterns("__pycache__", "devstack"))
    shutil.copytree(REPO_ROOT / "proto", root / "proto", ignore=ignore)
    shutil.copytree(REPO_ROOT / "atelier", root / "atelier", ignore=ignore)
    return root


def test_the_check_fails_after_a_proto_changes_until_the_code_is_regenerated(tmp_path: Path) -> None:
    root = copy_of_the_contracts(tmp_path)
    assert protogen(root, "--check").returncode == 0

    feed_proto = root / "proto" / "atelier" / "feed" / "v1" / "feed.proto"
    feed_proto.write_text(feed_proto.read_text() + "\nmessage AddedByTheTest {}\n")
    stale = protogen(root, "--check")
    assert stale.returncode != 0
    assert "feed_pb2.py" in stale.stderr

    assert protogen(root).returncode == 0
    assert protogen(root, "--check").returncode == 0

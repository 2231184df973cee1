"""The proto gate: `buf lint` holds the contracts to buf's STANDARD style, and `buf breaking`
refuses changes that break their users, judged against the right point in git history both on a
branch and on main (CI's clean clone). buf is the binary that ./atelierctl bootstrap installs. That the
tree itself passes is the gate's own job (`./atelierctl check`), not repeated here."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / ".venv" / "buf" / "node_modules" / ".bin" / "buf"
FEED_PROTO = Path("atelier") / "feed" / "v1" / "feed.proto"
GENERATION_PROTO = Path("atelier") / "generation" / "v1" / "generation.proto"


def buf(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert BUF.exists(), f"{BUF} is missing: run ./atelierctl bootstrap"
    return subprocess.run([str(BUF), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    """A copy of proto/ (with its buf.yaml) the test may change freely."""
    copy = tmp_path / "proto"
    shutil.copytree(ROOT / "proto", copy)
    return copy


def test_an_enum_without_an_unspecified_zero_value_fails_lint(contracts: Path) -> None:
    (contracts / FEED_PROTO).write_text((contracts / FEED_PROTO).read_text() + "enum Mood {\n  MOOD_HAPPY = 0;\n}\n")
    result = buf("lint", str(contracts), cwd=contracts.parent)
    assert result.returncode != 0
    assert 'Enum zero value name "MOOD_HAPPY" should be suffixed with "_UNSPECIFIED"' in result.stdout


def breaking(contracts: Path) -> subprocess.CompletedProcess[str]:
    return buf("breaking", str(contracts), "--against", str(ROOT / "proto"), cwd=contracts.parent)


def test_the_unchanged_contracts_are_not_breaking(contracts: Path) -> None:
    assert breaking(contracts).returncode == 0


def test_a_renumbered_field_is_a_breaking_change(contracts: Path) -> None:
    edit(
        contracts / FEED_PROTO,
        "  int32 page_size = 4;\n  string cursor = 5;",
        "  int32 page_size = 4;\n  string cursor = 10;",
    )
    result = breaking(contracts)
    assert result.returncode != 0
    assert 'field "5" with name "cursor" on message "ListFeedRequest" was deleted' in result.stdout


def test_a_field_removed_with_its_number_and_name_reserved_is_not_breaking(contracts: Path) -> None:
    edit(contracts / GENERATION_PROTO, "  int32 steps = 10;\n", '  reserved 10;\n  reserved "steps";\n')
    assert breaking(contracts).returncode == 0


@pytest.mark.parametrize("reservation", ["", "  reserved 10;\n", '  reserved "steps";\n'])
def test_a_field_removed_without_reserving_both_number_and_name_is_breaking(contracts: Path, reservation: str) -> None:
    edit(contracts / GENERATION_PROTO, "  int32 steps = 10;\n", reservation)
    result = breaking(contracts)
    assert result.returncode != 0
    assert 'field "10" with name "steps" on message "GenerationParams" was deleted without reserving' in result.stdout


# ./atelierctl protocheck (the buf part of ./atelierctl check) in a repository of its own: the gate as
# CI and developers run it.

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, **GIT_IDENTITY}
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, timeout=60)


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def atelierctl_check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["./atelierctl", "protocheck"], cwd=repo, capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """atelierctl, its requirements (so bootstrap finds the venv up to date) and proto/, sharing the
    project's installed venv, committed on main."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ["atelierctl", "pyproject.toml", "requirements.txt", "constraints.txt"]:
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "proto", repo / "proto")
    shutil.copytree(ROOT / "requirements", repo / "requirements")
    shutil.copytree(ROOT / "tools" / "buf", repo / "tools" / "buf")
    (repo / ".venv").symlink_to((ROOT / ".venv").resolve())
    (repo / ".gitignore").write_text(".venv\n")
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "contracts")
    return repo


def test_on_main_the_latest_change_to_the_contracts_is_judged(repo: Path) -> None:
    """CI checks a clean clone of main: the newest commit that changed proto/ is judged against
    its parent, even when later commits did not touch proto/."""
    edit(repo / "proto" / FEED_PROTO, "string cursor = 5;", "string cursor = 10;")
    commit_all(repo, "renumber a field")
    (repo / "README.md").write_text("a later commit that leaves proto/ alone\n")
    commit_all(repo, "docs")

    result = atelierctl_check(repo)
    assert result.returncode != 0
    assert 'field "5" with name "cursor" on message "ListFeedRequest" was deleted' in result.stdout


def test_on_main_a_compatible_change_passes(repo: Path) -> None:
    edit(repo / "proto" / FEED_PROTO, "message PinResponse {}", "message PinResponse {\n  bool pinned = 1;\n}")
    commit_all(repo, "add a field")
    result = atelierctl_check(repo)
    assert result.returncode == 0, result.stdout + result.stderr


def test_on_a_branch_the_contracts_are_judged_against_where_it_left_main(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "README.md").write_text("branch work\n")
    commit_all(repo, "branch work")
    # main moves on with a field the branch does not have yet: no deletion on the branch.
    git(repo, "checkout", "-q", "main")
    edit(repo / "proto" / FEED_PROTO, "message PinResponse {}", "message PinResponse {\n  bool pinned = 1;\n}")
    commit_all(repo, "add a field on main")
    git(repo, "checkout", "-q", "feature")
    assert atelierctl_check(repo).returncode == 0

    edit(repo / "proto" / FEED_PROTO, "string cursor = 5;", "string cursor = 10;")
    result = atelierctl_check(repo)
    assert result.returncode != 0
    assert 'field "5" with name "cursor" on message "ListFeedRequest" was deleted' in result.stdout

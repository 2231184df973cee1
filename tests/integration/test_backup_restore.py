"""`./atelierctl backup` / `restore` on the fixtures' Postgres: every service schema comes back,
owned by its role, and a failed restore changes nothing."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from glue import db
from tests.support.services import ROLE_PASSWORDS, fresh_database
from tools.devstack.database_roles import role_url
from tools.devstack.secrets import DATABASE_ROLES

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]


def atelierctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / "atelierctl"), *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )


def _migrate_every_service(database_url: str) -> None:
    for role in DATABASE_ROLES:
        migrations = REPO_ROOT / "services" / role / "migrations"
        if migrations.is_dir():
            db.migrate(role_url(database_url, role, ROLE_PASSWORDS[role]), role, migrations)


def _prompts(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [row[0] for row in conn.execute("SELECT prompt FROM generation.generations ORDER BY prompt")]


def _add_generation(database_url: str, prompt: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO generation.generations (id, owner_id, status, params, request_hash, prompt,"
            " effective_prompt, seed, num_images, width, height, visibility, storage_prefix)"
            " VALUES (gen_random_uuid(), 'alice', 'queued', '{}', '', %s, %s, 1, 4, 512, 512, 'private',"
            " gen_random_uuid()::text)",
            (prompt, prompt),
        )


@pytest.fixture
def database(postgres_url: str) -> str:
    url = fresh_database(postgres_url)
    _migrate_every_service(url)
    return url


def test_backup_drop_restore_brings_the_data_back(database: str, tmp_path: Path) -> None:
    _add_generation(database, "a lighthouse at dusk")
    archive = tmp_path / "atelier.dump"

    backed_up = atelierctl("backup", str(archive), "--database-url", database)
    assert backed_up.returncode == 0, backed_up.stderr
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # private prompts inside
    assert database.split("@")[0].split(":")[-1] not in backed_up.stderr  # no password echoed

    with psycopg.connect(database, autocommit=True) as conn:
        for role in DATABASE_ROLES:
            conn.execute(f'DROP SCHEMA "{role}" CASCADE')

    restored = atelierctl("restore", str(archive), "--database-url", database)
    assert restored.returncode == 0, restored.stderr
    assert _prompts(database) == ["a lighthouse at dusk"]
    # Still the service's own: its role reads and writes its restored schema.
    generation_url = role_url(database, "generation", ROLE_PASSWORDS["generation"])
    with psycopg.connect(generation_url) as conn:
        assert conn.execute("SELECT count(*) FROM generation.generations").fetchone() == (1,)
        owner = conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'generation'")
        assert owner.fetchone() == ("generation",)


def test_restore_replaces_newer_rows_and_a_bad_archive_changes_nothing(database: str, tmp_path: Path) -> None:
    _add_generation(database, "before the backup")
    archive = tmp_path / "atelier.dump"
    assert atelierctl("backup", str(archive), "--database-url", database).returncode == 0
    _add_generation(database, "after the backup")

    torn = tmp_path / "torn.dump"
    torn.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    failed = atelierctl("restore", str(torn), "--database-url", database)
    assert failed.returncode == 1
    assert _prompts(database) == ["after the backup", "before the backup"]

    assert atelierctl("restore", str(archive), "--database-url", database).returncode == 0
    assert _prompts(database) == ["before the backup"]


def test_backup_without_a_database_names_what_to_set(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.backup", "backup", str(tmp_path / "x.dump"), "--data-dir", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "ATELIER_BACKUP_DATABASE_URL" in result.stderr
    assert not (tmp_path / "x.dump").exists()

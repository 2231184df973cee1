"""`./atelierctl backup FILE` / `./atelierctl restore FILE`: every service's Postgres schema, dumped
with pg_dump into one archive (custom format) and put back with pg_restore.

Postgres only: the images live in the object store (back the bucket up with the store's own tools,
e.g. `mc mirror`), and JetStream holds only events in flight, which the services' outboxes publish
again. The archive holds private prompts and images' keys (ARCHITECTURE.md §3): it is written 0600;
keep it encrypted.

Restore replaces the schemas the archive holds, in one transaction: each is dropped and recreated
from the archive, or nothing changes. The archive is read in full before anything is dropped. The
services' roles must exist (`./atelierctl up` or tools/devstack/database_roles.py provision them);
restart the services after it (their caches and consumers hold state from the rows they saw).

The database: --database-url, else ATELIER_BACKUP_DATABASE_URL (a superuser's, or one that owns
every service schema), else the `./atelierctl up` stack's (its data directory's secrets).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from tools.devstack.config import Ports
from tools.devstack.postgres import POSTGRES_BIN_PATH, PostgresServer
from tools.devstack.secrets import DATABASE_ROLES, SECRETS_FILE_NAME

log = logging.getLogger("atelier.backup")

# One schema per service, named after it (and after its role).
SCHEMAS = DATABASE_ROLES
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ SCHEMA - (\S+) ")


class BackupError(Exception):
    """The backup or restore could not be done; nothing was changed."""


def postgres_tool(name: str) -> str:
    """The client tool matching the dev stack's server (pg_dump refuses a newer server than its
    own version), else the one on PATH (an operator's machine or job image)."""
    bundled = POSTGRES_BIN_PATH / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def backup(database_url: str, target: Path) -> None:
    staging = target.with_name(target.name + ".partial")
    # Created 0600 before pg_dump writes a byte into it: the archive holds private data.
    os.close(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    command = [postgres_tool("pg_dump"), "--format=custom", f"--file={staging}"]
    command += [f"--schema={schema}" for schema in SCHEMAS]
    try:
        _run(command, "pg_dump", database_url)
        archived = archived_schemas(staging)
        missing = sorted(set(SCHEMAS) - set(archived))
        if missing:
            raise BackupError(f"the database has no schema {', '.join(missing)}: is it Atelier's?")
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    os.replace(staging, target)
    log.info("backed up schemas %s to %s", ", ".join(SCHEMAS), target)


def restore(database_url: str, source: Path) -> None:
    schemas = archived_schemas(source)
    if not schemas:
        raise BackupError(f"{source} holds no Atelier schema")
    # The whole SQL first (0600, beside the archive): a torn archive fails here, before any drop.
    with tempfile.NamedTemporaryFile(dir=source.parent, prefix=".restore-", suffix=".sql") as script:
        _run([postgres_tool("pg_restore"), f"--file={script.name}", str(source)], "pg_restore")
        drops = " ".join(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE;' for schema in schemas)
        # --single-transaction wraps the drops and the script: on any error psql rolls back all.
        _run(
            [
                postgres_tool("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--command={drops}",
                f"--file={script.name}",
            ],
            "psql",
            database_url,
        )
    log.info("restored schemas %s from %s", ", ".join(schemas), source)


def archived_schemas(archive: Path) -> list[str]:
    """The service schemas an archive holds; BackupError if it is not a pg_dump archive."""
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    listing = _run([postgres_tool("pg_restore"), "--list", str(archive)], "pg_restore --list").stdout.decode()
    found = [m.group(1) for line in listing.splitlines() if (m := _SCHEMA_ENTRY.match(line))]
    return [schema for schema in found if schema in SCHEMAS]


def _run(command: list[str], what: str, database_url: str | None = None) -> subprocess.CompletedProcess[bytes]:
    """database_url: where the tool connects, handed over in libpq's environment (PGPASSWORD
    apart), never on the command line, which every local user can read."""
    env = dict(os.environ)
    if database_url is not None:
        parts = urlsplit(database_url)
        if parts.password:
            env["PGPASSWORD"] = unquote(parts.password)
            netloc = parts.netloc.rpartition("@")[2]
            user = parts.netloc.rpartition("@")[0].partition(":")[0]
            parts = parts._replace(netloc=f"{user}@{netloc}")
        command = [*command, f"--dbname={urlunsplit(parts)}"]
    result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.decode(errors='replace').strip()}")
    return result


def dev_stack_database_url(data_root: Path) -> str:
    secrets_file = data_root / SECRETS_FILE_NAME
    try:
        password = json.loads(secrets_file.read_text())["postgres_superuser_password"]
    except (FileNotFoundError, KeyError, ValueError) as error:
        raise BackupError(
            f"no database given and no dev stack secrets in {secrets_file} ({error}):"
            " pass --database-url or set ATELIER_BACKUP_DATABASE_URL"
        ) from None
    return PostgresServer(data_root / "postgres", Ports.from_env().postgres, password=password).url


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="atelierctl: %(message)s")
    parser = argparse.ArgumentParser(prog="atelierctl", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("backup", "restore"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--database-url", default=os.environ.get("ATELIER_BACKUP_DATABASE_URL"))
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("ATELIER_DATA_DIR", ".atelier-data")))
    args = parser.parse_args(argv)
    try:
        database_url = args.database_url or dev_stack_database_url(args.data_dir.absolute())
        if args.command == "backup":
            backup(database_url, args.file)
        else:
            restore(database_url, args.file)
    except BackupError as error:
        log.error("%s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

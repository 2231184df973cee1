"""Each service reaches Postgres as its own role, with a password, and only its own schema (issue 10)."""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from glue.db import migrate
from tests.support.services import REPO_ROOT, ROLE_PASSWORDS, fresh_database
from tools.devstack.database_roles import role_url
from tools.devstack.secrets import DATABASE_ROLES


def _migrations(service: str) -> Path:
    return REPO_ROOT / "services" / service / "migrations"


@pytest.fixture
def database(postgres_url: str) -> str:
    """A fresh database, the generation and feed schemas migrated by their own roles."""
    url = fresh_database(postgres_url)
    for service in ("generation", "feed"):
        migrate(role_url(url, service, ROLE_PASSWORDS[service]), service, _migrations(service))
    return url


def _as(database: str, role: str) -> psycopg.Connection:
    return psycopg.connect(role_url(database, role, ROLE_PASSWORDS[role]), autocommit=True)


def test_migrations_run_as_the_services_role_which_owns_what_they_made(database: str) -> None:
    with psycopg.connect(database) as conn:
        owners = conn.execute(
            "SELECT DISTINCT n.nspname, pg_get_userbyid(c.relowner) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('generation', 'feed')"
        ).fetchall()
    assert set(owners) == {("generation", "generation"), ("feed", "feed")}
    with _as(database, "generation") as conn:
        conn.execute("SELECT count(*) FROM generation.images").fetchone()


@pytest.mark.parametrize("role", [r for r in DATABASE_ROLES if r != "generation"])
def test_no_other_service_can_read_the_generation_schema(database: str, role: str) -> None:
    with _as(database, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
        conn.execute("SELECT * FROM generation.images")


def test_the_feed_cannot_write_into_another_schema_nor_make_one(database: str) -> None:
    with _as(database, "feed") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE generation.planted (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE SCHEMA planted")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.planted (x int)")


def test_a_wrong_password_is_refused(database: str) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(role_url(database, "feed", "not-the-password")).close()


def test_no_login_without_a_password_not_even_the_superuser(database: str) -> None:
    parts = urlsplit(database)
    passwordless = urlunsplit(parts._replace(netloc=f"{parts.username}@{parts.hostname}:{parts.port}"))
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(passwordless).close()


def test_service_roles_are_not_superusers(database: str) -> None:
    with psycopg.connect(database) as conn:
        flags = conn.execute(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolpassword IS NOT NULL FROM pg_authid"
            " WHERE rolname = ANY(%s)",
            (list(DATABASE_ROLES),),
        ).fetchall()
        scram = conn.execute(
            "SELECT bool_and(rolpassword LIKE 'SCRAM-SHA-256$%%') FROM pg_authid WHERE rolname = ANY(%s)",
            (list(DATABASE_ROLES),),
        ).fetchone()
    assert sorted(flags) == sorted((role, False, False, False, True) for role in DATABASE_ROLES)
    assert scram == (True,)

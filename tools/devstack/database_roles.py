"""One Postgres role per service: it logs in with a password (scram-sha-256), owns its own
schema and has no right on another service's, so a bug or a breach in one service reads no other
service's rows (issue 10). The bootstrap superuser only provisions; no service runs as it."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tools.devstack.secrets import DATABASE_ROLES

# Objects a service's migrations create; ownership moves to the role in databases made before roles existed.
_ALTER_KEYWORD = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}


def role_url(database_url: str, role: str, password: str) -> str:
    """database_url (any user) as `role` with its password."""
    parts = urlsplit(database_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(role, safe='')}:{quote(password, safe='')}@{host}"))


def provision(admin_url: str, passwords: Mapping[str, str]) -> dict[str, str]:
    """Creates (or updates the password of) each service's role and gives it its schema in
    admin_url's database. Idempotent. Returns each role's connection URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        database = conn.info.dbname
        for statement in _public_revoked(database):
            conn.execute(statement)
        for role in DATABASE_ROLES:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            conn.execute(_role_statement("ALTER" if exists else "CREATE", role, passwords[role]))
            for statement in _schema_given(database, role):
                conn.execute(statement)
            _hand_schema_to(conn, role)
    return {role: role_url(admin_url, role, passwords[role]) for role in DATABASE_ROLES}


def fresh_database_sql(database: str, passwords: Mapping[str, str]) -> str:
    """What provision() does, as a psql script for a database just initialised (a Postgres image's
    /docker-entrypoint-initdb.d: the dev k8s overlay, tools/devstack/k8s_dev_accounts.py)."""
    statements = list(_public_revoked(database))
    for role in DATABASE_ROLES:
        statements += [_role_statement("CREATE", role, passwords[role]), *_schema_given(database, role)]
    return "".join(statement.as_string(None) + ";\n" for statement in statements)


def _public_revoked(database: str) -> list[sql.Composed | sql.SQL]:
    # Nothing for PUBLIC (every role): a service connects to the database and uses only its schema.
    return [
        sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
        sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
    ]


def _role_statement(verb: str, role: str, password: str) -> sql.Composed:
    # The password as a literal: utility statements take no parameters. password_encryption is
    # scram-sha-256 (the default since Postgres 14), so it is stored as a SCRAM verifier.
    return sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
        sql.Identifier(role), sql.Literal(password)
    )


def _schema_given(database: str, role: str) -> list[sql.Composed | sql.SQL]:
    return [
        sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(sql.Identifier(database), sql.Identifier(role)),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(sql.Identifier(role), sql.Identifier(role)),
    ]


def _hand_schema_to(conn: psycopg.Connection, role: str) -> None:
    """The schema and what is in it belong to the role (a database migrated before roles existed
    holds them as the superuser)."""
    conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(sql.Identifier(role), sql.Identifier(role)))
    relations = conn.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_roles r ON r.oid = c.relowner"
        " WHERE n.nspname = %s AND r.rolname <> %s AND c.relkind::text = ANY(%s)"
        # Sequences owned by a table follow the table.
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))",
        (role, role, list(_ALTER_KEYWORD)),
    ).fetchall()
    for name, kind in relations:
        conn.execute(
            sql.SQL("ALTER {} {}.{} OWNER TO {}").format(
                sql.SQL(_ALTER_KEYWORD[kind]), sql.Identifier(role), sql.Identifier(name), sql.Identifier(role)
            )
        )
    functions = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " JOIN pg_roles r ON r.oid = p.proowner WHERE n.nspname = %s AND r.rolname <> %s",
        (role, role),
    ).fetchall()
    for (signature,) in functions:
        conn.execute(sql.SQL("ALTER ROUTINE {} OWNER TO {}").format(sql.SQL(signature), sql.Identifier(role)))

"""SQL for accounts, sessions and API keys (schema `gateway`, reached through a schema-pinned pool)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from glue.db import migrate, one_row

SCHEMA = "gateway"


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    username: str
    avatar_image_id: uuid.UUID | None


@dataclass(frozen=True)
class Credentials:
    user: User
    password_hash: str


@dataclass(frozen=True)
class ApiKeyRecord:
    id: uuid.UUID
    key_prefix: str
    name: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class KeyHolder:
    """Who an API key belongs to and what it may do."""

    user: User
    scopes: frozenset[str]
    # The key's public id (never the key): which of the user's programs a request came from.
    key_id: uuid.UUID


@dataclass(frozen=True)
class SessionRecord:
    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    user_agent: str
    # Whether this is the session the listing was asked from.
    current: bool


class UsernameTaken(Exception):
    pass


def migrate_schema(database_url: str) -> None:
    migrate(database_url, SCHEMA, Path(__file__).parent / "migrations")


class AccountsRepository:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def ping(self) -> None:
        async with self._pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")

    # users

    async def create_user(self, user_id: uuid.UUID, username: str, password_hash: str) -> User:
        try:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "INSERT INTO users (id, username, password_hash) VALUES (%s, %s, %s)",
                    (user_id, username, password_hash),
                )
        except psycopg.errors.UniqueViolation as error:
            raise UsernameTaken(username) from error
        return User(user_id, username, None)

    async def credentials(self, username: str) -> Credentials | None:
        async with self._pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT id, username, avatar_image_id, password_hash FROM users WHERE username = %s", (username,)
                )
            ).fetchone()
        if row is None:
            return None
        return Credentials(User(row[0], row[1], row[2]), row[3])

    async def set_password_hash(self, user_id: uuid.UUID, password_hash: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))

    async def usernames(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not user_ids:
            return {}
        async with self._pool.connection() as conn:
            rows = await (
                await conn.execute("SELECT id, username FROM users WHERE id = ANY(%s)", (user_ids,))
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    async def user_by_username(self, username: str) -> User | None:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(User))
            await cursor.execute("SELECT id, username, avatar_image_id FROM users WHERE username = %s", (username,))
            return await cursor.fetchone()

    async def users(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
        if not user_ids:
            return {}
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(User))
            await cursor.execute("SELECT id, username, avatar_image_id FROM users WHERE id = ANY(%s)", (user_ids,))
            return {user.id: user for user in await cursor.fetchall()}

    async def set_avatar(self, user_id: uuid.UUID, image_id: uuid.UUID | None) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("UPDATE users SET avatar_image_id = %s WHERE id = %s", (image_id, user_id))

    # sessions

    async def create_session(
        self, token_hash: bytes, user_id: uuid.UUID, expires_at: datetime, user_agent: str
    ) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM sessions WHERE user_id = %s AND expires_at <= now()", (user_id,))
            await conn.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at, user_agent) VALUES (%s, %s, %s, %s)",
                (token_hash, user_id, expires_at, user_agent),
            )

    async def user_for_session(self, token_hash: bytes) -> User | None:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(User))
            await cursor.execute(
                # Records use at most once a minute, so that browsing does not write on every call.
                "WITH used AS (UPDATE sessions SET last_used_at = now() WHERE token_hash = %s AND expires_at > now()"
                "   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))"
                " SELECT u.id, u.username, u.avatar_image_id FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE s.token_hash = %s AND s.expires_at > now()",
                (token_hash, token_hash),
            )
            return await cursor.fetchone()

    async def delete_session(self, token_hash: bytes) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))

    async def list_sessions(self, user_id: uuid.UUID, current_token_hash: bytes | None) -> list[SessionRecord]:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(SessionRecord))
            await cursor.execute(
                "SELECT id, created_at, last_used_at, expires_at, user_agent, (token_hash = %s) IS TRUE AS current"
                " FROM sessions WHERE user_id = %s AND expires_at > now() ORDER BY created_at DESC, id DESC",
                (current_token_hash, user_id),
            )
            return await cursor.fetchall()

    async def delete_session_by_id(self, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
        """False when the session does not exist, has expired or belongs to someone else."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "DELETE FROM sessions WHERE id = %s AND user_id = %s AND expires_at > now()", (session_id, user_id)
            )
            return cursor.rowcount == 1

    async def delete_sessions(self, user_id: uuid.UUID) -> int:
        async with self._pool.connection() as conn:
            cursor = await conn.execute("DELETE FROM sessions WHERE user_id = %s", (user_id,))
            return cursor.rowcount

    async def replace_password(self, user_id: uuid.UUID, password_hash: str, keep_session: bytes | None) -> None:
        """The new hash and the end of every other session, in one transaction: no session started
        with the old password outlives the change."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))
            await conn.execute(
                "DELETE FROM sessions WHERE user_id = %s AND token_hash IS DISTINCT FROM %s", (user_id, keep_session)
            )

    # API keys

    async def create_api_key(
        self, key_id: uuid.UUID, user_id: uuid.UUID, key_hash: bytes, key_prefix: str, name: str, scopes: list[str]
    ) -> ApiKeyRecord:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(ApiKeyRecord))
            await cursor.execute(
                "INSERT INTO api_keys (id, user_id, key_hash, key_prefix, name, scopes)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, key_prefix, name, scopes, created_at, last_used_at",
                (key_id, user_id, key_hash, key_prefix, name, scopes),
            )
            return await one_row(cursor)

    async def holder_of_api_key(self, key_hash: bytes) -> KeyHolder | None:
        async with self._pool.connection() as conn:
            row = await (
                await conn.execute(
                    # Records use at most once a minute, so that API traffic does not write on every call.
                    "WITH used AS (UPDATE api_keys SET last_used_at = now() WHERE key_hash = %s AND revoked_at IS NULL"
                    "   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))"
                    " SELECT u.id, u.username, u.avatar_image_id, k.scopes, k.id"
                    " FROM api_keys k JOIN users u ON u.id = k.user_id"
                    " WHERE k.key_hash = %s AND k.revoked_at IS NULL",
                    (key_hash, key_hash),
                )
            ).fetchone()
        return KeyHolder(User(row[0], row[1], row[2]), frozenset(row[3]), row[4]) if row else None

    async def list_api_keys(self, user_id: uuid.UUID) -> list[ApiKeyRecord]:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(ApiKeyRecord))
            await cursor.execute(
                "SELECT id, key_prefix, name, scopes, created_at, last_used_at FROM api_keys"
                " WHERE user_id = %s AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
                (user_id,),
            )
            return await cursor.fetchall()

    async def revoke_api_key(self, user_id: uuid.UUID, key_id: uuid.UUID) -> bool:
        """False when the key does not exist, belongs to someone else or is already revoked."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "UPDATE api_keys SET revoked_at = now() WHERE id = %s AND user_id = %s AND revoked_at IS NULL",
                (key_id, user_id),
            )
            return cursor.rowcount == 1

"""SQL for accounts, sessions and API keys (schema `gateway`, reached through a schema-pinned pool)."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg
from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

from glue.db import migrate

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
    created_at: datetime
    last_used_at: datetime | None


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

    async def create_session(self, token_hash: bytes, user_id: uuid.UUID, expires_at: datetime) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM sessions WHERE user_id = %s AND expires_at <= now()", (user_id,))
            await conn.execute(
                "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (%s, %s, %s)",
                (token_hash, user_id, expires_at),
            )

    async def user_for_session(self, token_hash: bytes) -> User | None:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(User))
            await cursor.execute(
                "SELECT u.id, u.username, u.avatar_image_id FROM sessions s JOIN users u ON u.id = s.user_id"
                " WHERE s.token_hash = %s AND s.expires_at > now()",
                (token_hash,),
            )
            return await cursor.fetchone()

    async def delete_session(self, token_hash: bytes) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))

    # API keys

    async def create_api_key(
        self, key_id: uuid.UUID, user_id: uuid.UUID, key_hash: bytes, key_prefix: str, name: str
    ) -> ApiKeyRecord:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(ApiKeyRecord))
            await cursor.execute(
                "INSERT INTO api_keys (id, user_id, key_hash, key_prefix, name) VALUES (%s, %s, %s, %s, %s)"
                " RETURNING id, key_prefix, name, created_at, last_used_at",
                (key_id, user_id, key_hash, key_prefix, name),
            )
            record = await cursor.fetchone()
        assert record is not None
        return record

    async def user_for_api_key(self, key_hash: bytes) -> User | None:
        async with self._pool.connection() as conn:
            row = await (
                await conn.execute(
                    # Records use at most once a minute, so that API traffic does not write on every call.
                    "WITH used AS (UPDATE api_keys SET last_used_at = now() WHERE key_hash = %s AND revoked_at IS NULL"
                    "   AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute'))"
                    " SELECT u.id, u.username, u.avatar_image_id FROM api_keys k JOIN users u ON u.id = k.user_id"
                    " WHERE k.key_hash = %s AND k.revoked_at IS NULL",
                    (key_hash, key_hash),
                )
            ).fetchone()
        return User(row[0], row[1], row[2]) if row else None

    async def list_api_keys(self, user_id: uuid.UUID) -> list[ApiKeyRecord]:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(ApiKeyRecord))
            await cursor.execute(
                "SELECT id, key_prefix, name, created_at, last_used_at FROM api_keys"
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

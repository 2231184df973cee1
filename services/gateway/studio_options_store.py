"""SQL of the studio options each account left last time (gateway migration 0007): one JSON
document per user, replaced whole."""

import uuid
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool


class StudioOptionsStore:
    def __init__(self, pool: AsyncConnectionPool):
        self._pool = pool

    async def get(self, user_id: uuid.UUID) -> dict[str, Any] | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute("SELECT options FROM studio_options WHERE user_id = %s", (user_id,))
            row = await cursor.fetchone()
        return None if row is None else row[0]

    async def put(self, user_id: uuid.UUID, options: dict[str, Any]) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO studio_options (user_id, options) VALUES (%s, %s) "
                "ON CONFLICT (user_id) DO UPDATE SET options = EXCLUDED.options, updated_at = now()",
                (user_id, Jsonb(options)),
            )

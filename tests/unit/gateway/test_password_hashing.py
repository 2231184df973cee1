"""The gateway's password hashes cost what RFC 9106 recommends (the gateway's HTTP tests use a cheap
argon2id of their own, tests/integration/gateway/conftest.py, so only this test holds the real cost)."""

import uuid
from datetime import UTC, datetime, timedelta

from argon2 import extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from services.gateway.auth.accounts import Accounts
from services.gateway.repository import ApiKeyRecord, User


class _RecordingRepository:
    def __init__(self) -> None:
        self.password_hashes: list[str] = []

    async def create_user(self, user_id: uuid.UUID, username: str, password_hash: str) -> User:
        self.password_hashes.append(password_hash)
        return User(user_id, username, None)

    async def create_api_key(self, key_id: uuid.UUID, user_id, key_hash, key_prefix, name, scopes) -> ApiKeyRecord:
        return ApiKeyRecord(key_id, key_prefix, name, scopes, datetime.now(UTC), None)


async def test_sign_up_stores_an_argon2id_hash_with_the_rfc_9106_low_memory_parameters() -> None:
    repository = _RecordingRepository()
    accounts = Accounts(repository, timedelta(days=1))  # type: ignore[arg-type]
    await accounts.sign_up("alice", "correct horse battery")
    [stored] = repository.password_hashes
    assert stored.startswith("$argon2id$")
    assert extract_parameters(stored) == RFC_9106_LOW_MEMORY

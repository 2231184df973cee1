"""Accounts: sign-up, log-in, web sessions and API keys.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile), in a
thread so that the event loop keeps serving. Session tokens and API keys are 256-bit random values,
so a single SHA-256 is the right hash for them: there is nothing to brute-force, and a lookup by hash
stays one index probe. Neither is ever stored in clear.
"""

import asyncio
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from glue.ids import parse_uuid
from services.gateway.repository import AccountsRepository, ApiKeyRecord, User

USERNAME_PATTERN = r"^[a-z0-9_]{3,32}$"
USERNAME_RULE = "3 to 32 characters: lower-case letters, digits and underscores"
PASSWORD_MIN_LENGTH = 8
# Bounds the hashing work one request can ask for.
PASSWORD_MAX_LENGTH = 1024
API_KEY_PREFIX = "atl_"
_SHOWN_KEY_CHARS = len(API_KEY_PREFIX) + 6


class InvalidCredentials(Exception):
    """Unknown username or wrong password; deliberately does not say which."""


def normalize_username(raw: str) -> str:
    """Usernames are case-insensitive: `Alice` and `alice` are one account, stored in lower case."""
    return raw.strip().lower()


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def csrf_token_for(session_token: str) -> str:
    """The CSRF token bound to one session: only someone holding the (HttpOnly) session cookie can
    compute it, so a cookie planted by a sibling site cannot be paired with a matching header."""
    return hmac.new(session_token.encode(), b"atelier-csrf-v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: datetime
    max_age_s: int


@dataclass(frozen=True)
class NewApiKey:
    key: str
    record: ApiKeyRecord


class Accounts:
    def __init__(
        self, repository: AccountsRepository, session_ttl: timedelta, password_hasher: PasswordHasher | None = None
    ):
        self._repository = repository
        self._session_ttl = session_ttl
        self._hasher = password_hasher or PasswordHasher()
        self._decoy_hash: str | None = None

    async def sign_up(self, username: str, password: str) -> tuple[User, NewApiKey]:
        """Creates the account and its first API key; raises UsernameTaken."""
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        user = await self._repository.create_user(uuid.uuid4(), username, password_hash)
        return user, await self.create_api_key(user, name="default")

    async def log_in(self, username: str, password: str) -> User:
        credentials = await self._repository.credentials(username)
        if credentials is None:
            # Spend the same time as a real check, so response times do not reveal which usernames exist.
            await asyncio.to_thread(self._verify, await self._decoy(), password)
            raise InvalidCredentials()
        if not await asyncio.to_thread(self._verify, credentials.password_hash, password):
            raise InvalidCredentials()
        if self._hasher.check_needs_rehash(credentials.password_hash):
            new_hash = await asyncio.to_thread(self._hasher.hash, password)
            await self._repository.set_password_hash(credentials.user.id, new_hash)
        return credentials.user

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await asyncio.to_thread(self._hasher.hash, secrets.token_urlsafe(16))
        return self._decoy_hash

    # preferences and names

    async def usernames(self, user_ids: list[str]) -> dict[str, str]:
        """Usernames of the given user ids (ids that are not accounts here are absent)."""
        return {str(key): name for key, name in (await self._repository.usernames(_known_ids(user_ids))).items()}

    async def user_by_username(self, username: str) -> User | None:
        return await self._repository.user_by_username(normalize_username(username))

    async def users(self, user_ids: list[str]) -> dict[str, User]:
        """Accounts of the given user ids (ids that are not accounts here are absent)."""
        return {str(key): user for key, user in (await self._repository.users(_known_ids(user_ids))).items()}

    async def set_avatar(self, user: User, image_id: str | None) -> None:
        await self._repository.set_avatar(user.id, uuid.UUID(image_id) if image_id else None)

    # sessions

    async def start_session(self, user: User) -> NewSession:
        token = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + self._session_ttl
        await self._repository.create_session(_token_hash(token), user.id, expires_at)
        return NewSession(token, csrf_token_for(token), expires_at, int(self._session_ttl.total_seconds()))

    async def end_session(self, token: str) -> None:
        await self._repository.delete_session(_token_hash(token))

    async def user_for_session(self, token: str) -> User | None:
        return await self._repository.user_for_session(_token_hash(token))

    # API keys

    async def create_api_key(self, user: User, name: str) -> NewApiKey:
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        record = await self._repository.create_api_key(
            uuid.uuid4(), user.id, _token_hash(key), key[:_SHOWN_KEY_CHARS], name
        )
        return NewApiKey(key, record)

    async def user_for_api_key(self, key: str) -> User | None:
        if not key.startswith(API_KEY_PREFIX):
            return None
        return await self._repository.user_for_api_key(_token_hash(key))

    async def list_api_keys(self, user: User) -> list[ApiKeyRecord]:
        return await self._repository.list_api_keys(user.id)

    async def revoke_api_key(self, user: User, key_id: uuid.UUID) -> bool:
        return await self._repository.revoke_api_key(user.id, key_id)


def _known_ids(user_ids: list[str]) -> list[uuid.UUID]:
    """The ids that spell a UUID, once each; anything else names no account here."""
    parsed = (parse_uuid(user_id) for user_id in dict.fromkeys(user_ids))
    return [user_id for user_id in parsed if user_id is not None]

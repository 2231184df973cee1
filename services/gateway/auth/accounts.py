"""Accounts: sign-up, log-in, password changes, web sessions, API keys and their scopes.

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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from glue.ids import parse_uuid
from services.gateway.repository import AccountsRepository, ApiKeyRecord, KeyHolder, SessionRecord, User

USERNAME_PATTERN = r"^[a-z0-9_]{3,32}$"
USERNAME_RULE = "3 to 32 characters: lower-case letters, digits and underscores"
PASSWORD_MIN_LENGTH = 8
# Bounds the hashing work one request can ask for.
PASSWORD_MAX_LENGTH = 1024
API_KEY_PREFIX = "atl_"
_SHOWN_KEY_CHARS = len(API_KEY_PREFIX) + 6
# Enough to tell "Firefox on Linux" from "curl"; the rest of a long header is dropped.
USER_AGENT_MAX_LENGTH = 200


# API key scopes: what a key may do, and the scope each request needs.
# - `read`: every GET and HEAD (own generations, images and creations, /me, the feed as a signed-in viewer).
# - `generate`: every other request that creates or changes something: submit, remix, retry,
#   visibility, like, pin, report, delete, profile photo.
# - `manage`: the account itself: list, create and revoke API keys, list and end sessions, change the
#   password. A `manage` key can create keys of any scope, so it is full control: hand it out sparingly.
# A web session has every scope: it is the person at the keyboard.
class Scope(StrEnum):
    READ = "read"
    GENERATE = "generate"
    MANAGE = "manage"


ALL_SCOPES = frozenset(Scope)
# What a key gets when its creator names no scopes: enough for a script that generates and reads
# its results, not enough to mint more keys.
DEFAULT_KEY_SCOPES = (Scope.READ, Scope.GENERATE)

_API_PREFIX = "/api/v1"
MANAGE_ROUTE_PREFIXES = (f"{_API_PREFIX}/api-keys", f"{_API_PREFIX}/sessions", f"{_API_PREFIX}/me/password")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def scope_needed(route: str, method: str) -> Scope:
    """`route` is the route's path template (`/api/v1/api-keys/{key_id}`), not the request's path."""
    if route.startswith(MANAGE_ROUTE_PREFIXES):
        return Scope.MANAGE
    return Scope.READ if method in _READ_METHODS else Scope.GENERATE


def ordered(scopes: frozenset[str] | set[str]) -> list[str]:
    """Scopes in their documented order (read, generate, manage), for answers and storage."""
    return [scope.value for scope in Scope if scope in scopes]


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
        return user, await self.create_api_key(user, name="default", scopes=ALL_SCOPES)

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

    async def change_password(
        self, user: User, current_password: str, new_password: str, keep_session: str | None
    ) -> None:
        """Checks the current password (InvalidCredentials if wrong), stores the new one and ends
        every session but `keep_session` (the one asking, if it is a web session)."""
        credentials = await self._repository.credentials(user.username)
        if credentials is None or not await asyncio.to_thread(
            self._verify, credentials.password_hash, current_password
        ):
            raise InvalidCredentials()
        new_hash = await asyncio.to_thread(self._hasher.hash, new_password)
        kept = _token_hash(keep_session) if keep_session is not None else None
        await self._repository.replace_password(user.id, new_hash, kept)

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

    async def start_session(self, user: User, user_agent: str = "") -> NewSession:
        token = secrets.token_urlsafe(32)
        expires_at = datetime.now(UTC) + self._session_ttl
        await self._repository.create_session(
            _token_hash(token), user.id, expires_at, user_agent[:USER_AGENT_MAX_LENGTH]
        )
        return NewSession(token, csrf_token_for(token), expires_at, int(self._session_ttl.total_seconds()))

    async def end_session(self, token: str) -> None:
        await self._repository.delete_session(_token_hash(token))

    async def user_for_session(self, token: str) -> User | None:
        return await self._repository.user_for_session(_token_hash(token))

    async def list_sessions(self, user: User, current_token: str | None) -> list[SessionRecord]:
        current = _token_hash(current_token) if current_token is not None else None
        return await self._repository.list_sessions(user.id, current)

    async def end_session_by_id(self, user: User, session_id: uuid.UUID) -> bool:
        """False for an unknown or expired session and for another user's alike."""
        return await self._repository.delete_session_by_id(user.id, session_id)

    async def end_all_sessions(self, user: User) -> int:
        return await self._repository.delete_sessions(user.id)

    # API keys

    async def create_api_key(self, user: User, name: str, scopes: Iterable[str]) -> NewApiKey:
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        record = await self._repository.create_api_key(
            uuid.uuid4(), user.id, _token_hash(key), key[:_SHOWN_KEY_CHARS], name, ordered(set(scopes))
        )
        return NewApiKey(key, record)

    async def holder_of_api_key(self, key: str) -> KeyHolder | None:
        if not key.startswith(API_KEY_PREFIX):
            return None
        return await self._repository.holder_of_api_key(_token_hash(key))

    async def list_api_keys(self, user: User) -> list[ApiKeyRecord]:
        return await self._repository.list_api_keys(user.id)

    async def revoke_api_key(self, user: User, key_id: uuid.UUID) -> bool:
        return await self._repository.revoke_api_key(user.id, key_id)


def _known_ids(user_ids: list[str]) -> list[uuid.UUID]:
    """The ids that spell a UUID, once each; anything else names no account here."""
    parsed = (parse_uuid(user_id) for user_id in dict.fromkeys(user_ids))
    return [user_id for user_id in parsed if user_id is not None]

"""Signing up through the public API, for tests that act as users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx


@dataclass
class User:
    user_id: str
    username: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def sign_up(base_url: str, username: str | None = None) -> User:
    username = username or f"user_{uuid.uuid4().hex[:10]}"
    reply = httpx.post(f"{base_url}/api/v1/auth/signup", json={"username": username, "password": "correct horse 1"})
    reply.raise_for_status()
    body = reply.json()
    return User(body["user_id"], body["username"], body["api_key"])

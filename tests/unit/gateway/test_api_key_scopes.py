"""The scope a request needs from an API key, by route template and method."""

import pytest

from services.gateway.auth.accounts import Scope, ordered, scope_needed


@pytest.mark.parametrize(
    ("route", "method", "needed"),
    [
        ("/api/v1/me", "GET", Scope.READ),
        ("/api/v1/generations/{generation_id}/events", "GET", Scope.READ),
        ("/api/v1/feed", "HEAD", Scope.READ),
        ("/api/v1/generations", "POST", Scope.GENERATE),
        ("/api/v1/images/{image_id}", "PATCH", Scope.GENERATE),
        ("/api/v1/generations/{generation_id}", "DELETE", Scope.GENERATE),
        ("/api/v1/me/avatar", "PUT", Scope.GENERATE),
        ("/api/v1/api-keys", "GET", Scope.MANAGE),
        ("/api/v1/api-keys", "POST", Scope.MANAGE),
        ("/api/v1/api-keys/{key_id}", "DELETE", Scope.MANAGE),
        ("/api/v1/sessions", "GET", Scope.MANAGE),
        ("/api/v1/sessions/{session_id}", "DELETE", Scope.MANAGE),
        ("/api/v1/me/password", "POST", Scope.MANAGE),
    ],
)
def test_scope_needed(route: str, method: str, needed: Scope) -> None:
    assert scope_needed(route, method) == needed


def test_scopes_are_answered_in_their_documented_order() -> None:
    assert ordered({"manage", "read"}) == ["read", "manage"]
    assert ordered(frozenset(Scope)) == ["read", "generate", "manage"]

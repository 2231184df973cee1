"""Who is calling: an API key (`Authorization: Bearer <key>`) or the web session cookie.

Cookie-authenticated requests that change state must carry the CSRF token twice: in the
`atelier_csrf` cookie (readable by our own page's JS) and in the `X-CSRF-Token` header. A foreign
site can make the browser send our cookies but can neither read them nor set our header. The token
is derived from the session (see accounts.csrf_token_for), so a planted cookie does not help either.
Bearer-key requests are exempt: browsers never add that header on their own.
"""

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from services.gateway.auth.accounts import Accounts, NewSession, csrf_token_for
from services.gateway.problems import Problem, unauthorized
from services.gateway.repository import User

SESSION_COOKIE = "atelier_session"
CSRF_COOKIE = "atelier_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    user: User
    # The session token when the caller came with the session cookie; None for an API key.
    session_token: str | None = None
    # The API key the caller came with, kept so that a long-lived stream can re-check it.
    api_key: str | None = None

    @property
    def user_id(self) -> str:
        return str(self.user.id)


def _check_csrf(request: Request, session_token: str) -> None:
    expected = csrf_token_for(session_token)
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (hmac.compare_digest(header, expected) and hmac.compare_digest(cookie, expected)):
        raise Problem(
            403,
            f"Missing or invalid CSRF token: send the value of the {CSRF_COOKIE} cookie "
            f"in the {CSRF_HEADER} header. Reload the page if this persists.",
        )


def accounts_of(request: Request) -> Accounts:
    """The app's accounts (create_app keeps the GatewayDeps on app.state)."""
    return request.app.state.deps.accounts


async def _caller_from_api_key(accounts: Accounts, authorization: str) -> Caller:
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized("Malformed Authorization header; use: Authorization: Bearer <api key>.")
    user = await accounts.user_for_api_key(key.strip())
    if user is None:
        raise unauthorized("This API key is not valid (wrong, or revoked).")
    return Caller(user, api_key=key.strip())


async def credential_still_valid(accounts: Accounts, caller: Caller) -> bool:
    """Whether the session or API key this caller came with is still live (not revoked, ended or
    expired), for responses that outlive the request's own check (event streams)."""
    if caller.session_token is not None:
        return await accounts.user_for_session(caller.session_token) is not None
    if caller.api_key is not None:
        return await accounts.user_for_api_key(caller.api_key) is not None
    return False


async def optional_caller(request: Request) -> Caller | None:
    # Asked twice in a request (the rate limit's key, then the route): looked up once. A refusal
    # is not kept, so the route raises it again.
    looked_up: tuple[Caller | None] | None = getattr(request.state, "caller_looked_up", None)
    if looked_up is None:
        looked_up = (await _look_up_caller(request),)
        request.state.caller_looked_up = looked_up
    return looked_up[0]


async def _look_up_caller(request: Request) -> Caller | None:
    accounts = accounts_of(request)
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return await _caller_from_api_key(accounts, authorization)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = await accounts.user_for_session(token)
    if user is None:
        return None
    if request.method not in SAFE_METHODS:
        _check_csrf(request, token)
    return Caller(user, token)


async def required_caller(caller: Annotated[Caller | None, Depends(optional_caller)]) -> Caller:
    if caller is None:
        raise unauthorized()
    return caller


MaybeCaller = Annotated[Caller | None, Depends(optional_caller)]
CurrentCaller = Annotated[Caller, Depends(required_caller)]


def set_session_cookies(response: Response, session: NewSession, *, secure: bool) -> None:
    max_age = session.max_age_s
    response.set_cookie(
        SESSION_COOKIE, session.token, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure
    )
    set_csrf_cookie(response, session.csrf_token, max_age=max_age, secure=secure)


def set_csrf_cookie(response: Response, csrf_token: str, *, max_age: int | None, secure: bool) -> None:
    # Not HttpOnly: the page's JS reads it to echo it in the X-CSRF-Token header.
    response.set_cookie(
        CSRF_COOKIE, csrf_token, max_age=max_age, path="/", httponly=False, samesite="lax", secure=secure
    )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=False, samesite="lax", secure=secure)

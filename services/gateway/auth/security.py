"""Who is calling: an API key (`Authorization: Bearer <key>`) or the web session cookie.

Cookie-authenticated requests that change state must carry the CSRF token twice: in the
`atelier_csrf` cookie (readable by our own page's JS) and in the `X-CSRF-Token` header. A foreign
site can make the browser send our cookies but can neither read them nor set our header. The token
is derived from the session (see accounts.csrf_token_for), so a planted cookie does not help either.
Bearer-key requests are exempt: browsers never add that header on their own. A key may do only
what its scopes allow (auth/scopes.py): anything else answers 403 before the route runs.

A request with neither a key nor a live session is anonymous: a route that needs an account
answers 401 (problem+json, `WWW-Authenticate: Bearer`), before it looks at the body.
"""

import hmac
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from services.gateway.auth.accounts import ALL_SCOPES, Accounts, NewSession, csrf_token_for, scope_needed
from services.gateway.problems import Problem, on_problem, on_validation_error, unauthorized
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
    # That key's public id: a generation it submits routes to the key's webhook endpoints.
    api_key_id: uuid.UUID | None = None
    # What the caller may do: a web session everything, an API key what it was given.
    scopes: frozenset[str] = ALL_SCOPES

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


async def _caller_from_api_key(request: Request, accounts: Accounts, authorization: str) -> Caller:
    scheme, _, key = authorization.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise unauthorized("Malformed Authorization header; use: Authorization: Bearer <api key>.")
    holder = await accounts.holder_of_api_key(key.strip())
    if holder is None:
        raise unauthorized("This API key is not valid (wrong, or revoked).")
    needed = scope_needed(getattr(request.scope.get("route"), "path", request.url.path), request.method)
    if needed not in holder.scopes:
        raise Problem(
            403,
            f"This API key does not have the {needed.value!r} scope this request needs "
            f"(it has: {', '.join(sorted(holder.scopes))}). Create a key with that scope on the Account page.",
        )
    return Caller(holder.user, api_key=key.strip(), api_key_id=holder.key_id, scopes=holder.scopes)


async def credential_still_valid(accounts: Accounts, caller: Caller) -> bool:
    """Whether the session or API key this caller came with is still live (not revoked, ended or
    expired), for responses that outlive the request's own check (event streams)."""
    if caller.session_token is not None:
        return await accounts.user_for_session(caller.session_token) is not None
    if caller.api_key is not None:
        return await accounts.holder_of_api_key(caller.api_key) is not None
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
        return await _caller_from_api_key(request, accounts, authorization)
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


def user_agent_of(request: Request) -> str:
    return request.headers.get("user-agent", "")


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


def _needs_account(route: object) -> bool:
    if not isinstance(route, APIRoute):
        return False
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if dependant.call is required_caller:
            return True
        pending.extend(dependant.dependencies)
    return False


async def on_validation_error_after_caller(request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI reads a JSON body before it resolves dependencies, so a malformed body would be
    answered 400 before the route could say 401. A route that needs an account asks who is calling
    first: anonymous → 401, a refused key or CSRF token → that refusal, else the body's problem."""
    if _needs_account(request.scope.get("route")):
        try:
            caller = await optional_caller(request)
        except Problem as refusal:
            return await on_problem(request, refusal)
        if caller is None:
            return await on_problem(request, unauthorized())
    return await on_validation_error(request, error)

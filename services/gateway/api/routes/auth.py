"""Sign-up, log-in and log-out (web sessions)."""

from fastapi import APIRouter, Request, Response, status

from services.gateway.api.schemas import LoginRequest, LoginResponse, SignupRequest, SignupResponse
from services.gateway.auth.accounts import ALL_SCOPES, InvalidCredentials
from services.gateway.auth.security import (
    SESSION_COOKIE,
    MaybeCaller,
    clear_session_cookies,
    set_session_cookies,
    user_agent_of,
)
from services.gateway.dependencies import deps_of
from services.gateway.problems import Problem
from services.gateway.ratelimit.http import CurrentLoginThrottle
from services.gateway.repository import UsernameTaken
from services.gateway.transport_security import secure_cookies_for

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _cookie_secure(request: Request) -> bool:
    return secure_cookies_for(request)


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=SignupResponse,
    summary="Create an account (plan free); also starts a web session",
)
async def sign_up(body: SignupRequest, request: Request, response: Response) -> SignupResponse:
    accounts = deps_of(request).accounts
    try:
        user, api_key = await accounts.sign_up(body.username, body.password)
    except UsernameTaken:
        raise Problem(409, f"The username {body.username!r} is already taken; choose another.") from None
    set_session_cookies(
        response, await accounts.start_session(user, user_agent_of(request)), secure=_cookie_secure(request)
    )
    return SignupResponse(user_id=user.id, username=user.username, api_key=api_key.key)


@router.post(
    "/login", response_model=LoginResponse, response_model_exclude_none=True, summary="Start a web session (cookie)"
)
async def log_in(
    body: LoginRequest, request: Request, response: Response, throttle: CurrentLoginThrottle
) -> LoginResponse:
    accounts = deps_of(request).accounts
    await throttle.refuse_if_locked(body.username)
    try:
        user = await accounts.log_in(body.username, body.password)
    except InvalidCredentials:
        await throttle.failed(body.username)
        raise Problem(401, "Wrong username or password.") from None
    await throttle.succeeded(body.username)
    set_session_cookies(
        response, await accounts.start_session(user, user_agent_of(request)), secure=_cookie_secure(request)
    )
    new_key = await accounts.create_api_key(user, name="login", scopes=ALL_SCOPES) if body.create_api_key else None
    api_key = new_key.key if new_key is not None else None
    return LoginResponse(user_id=user.id, username=user.username, api_key=api_key)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End the web session")
async def log_out(caller: MaybeCaller, request: Request) -> Response:
    # optional_caller has already checked the CSRF token of a live session.
    if caller is not None and caller.session_token is not None:
        await deps_of(request).accounts.end_session(caller.session_token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if request.cookies.get(SESSION_COOKIE) is not None:
        clear_session_cookies(response, secure=_cookie_secure(request))
    return response

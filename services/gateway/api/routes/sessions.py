"""Where I am signed in: my web sessions, ending one or all of them, and changing my password.

Each needs the `manage` scope (a web session has it). Ending a session takes effect at the next
request made with it, live progress streams included (they re-check their credential). Another
user's session id answers 404, as an unknown one.
"""

from fastapi import APIRouter, Request, Response, status

from glue.ids import parse_uuid
from services.gateway.api.schemas import PasswordChangeRequest, SessionList, SessionOut, SessionsEnded
from services.gateway.auth.accounts import InvalidCredentials
from services.gateway.auth.security import SESSION_COOKIE, CurrentCaller, clear_session_cookies
from services.gateway.dependencies import deps_of
from services.gateway.problems import Problem, not_found
from services.gateway.ratelimit.http import CurrentLoginThrottle
from services.gateway.transport_security import secure_cookies_for

router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get("/sessions", response_model=SessionList, summary="My live web sessions, newest first")
async def list_sessions(caller: CurrentCaller, request: Request) -> SessionList:
    records = await deps_of(request).accounts.list_sessions(caller.user, caller.session_token)
    return SessionList(
        items=[
            SessionOut(
                id=record.id,
                created_at=record.created_at,
                last_used_at=record.last_used_at,
                expires_at=record.expires_at,
                user_agent=record.user_agent,
                current=record.current,
            )
            for record in records
        ]
    )


def _signed_out(request: Request, response: Response) -> None:
    if request.cookies.get(SESSION_COOKIE) is not None:
        clear_session_cookies(response, secure=secure_cookies_for(request))


@router.delete(
    "/sessions",
    response_model=SessionsEnded,
    summary="Sign out everywhere: end every session of mine, this one too",
    description="API keys stay valid; revoke them one by one.",
)
async def end_all_sessions(caller: CurrentCaller, request: Request, response: Response) -> SessionsEnded:
    ended = await deps_of(request).accounts.end_all_sessions(caller.user)
    if caller.session_token is not None:
        _signed_out(request, response)
    return SessionsEnded(ended=ended)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, summary="End one of my sessions")
async def end_session(session_id: str, caller: CurrentCaller, request: Request) -> Response:
    parsed = parse_uuid(session_id)
    if parsed is None or not await deps_of(request).accounts.end_session_by_id(caller.user, parsed):
        raise not_found("Session")
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if (
        caller.session_token is not None
        and await deps_of(request).accounts.user_for_session(caller.session_token) is None
    ):
        _signed_out(request, response)  # it was this one
    return response


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password; every other session ends",
    description="The current password is required. Wrong ones count towards the log-in lockout of the "
    "username (429 while locked), as failed log-ins do. The session asking stays signed in; API keys stay valid.",
)
async def change_password(
    body: PasswordChangeRequest, caller: CurrentCaller, request: Request, throttle: CurrentLoginThrottle
) -> Response:
    await throttle.refuse_if_locked(caller.user.username)
    try:
        await deps_of(request).accounts.change_password(
            caller.user, body.current_password, body.new_password, keep_session=caller.session_token
        )
    except InvalidCredentials:
        await throttle.failed(caller.user.username)
        raise Problem(403, "The current password is wrong.") from None
    await throttle.succeeded(caller.user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""The caller's own account: profile summary and API keys (listing, creating and revoking keys
needs the `manage` scope, which a web session has)."""

import logging

from fastapi import APIRouter, Body, Request, Response, status

from glue.ids import parse_uuid
from services.gateway.api.schemas import ApiKeyCreated, ApiKeyCreateRequest, ApiKeyList, ApiKeyOut, Me, PermissionOut
from services.gateway.auth.accounts import DEFAULT_KEY_SCOPES, csrf_token_for
from services.gateway.auth.security import CSRF_COOKIE, CurrentCaller, set_csrf_cookie
from services.gateway.clients.webhooks import WebhooksClient
from services.gateway.dependencies import deps_of
from services.gateway.plans import display_name, permissions
from services.gateway.problems import Problem, not_found
from services.gateway.repository import ApiKeyRecord
from services.gateway.transport_security import secure_cookies_for

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get(
    "/me",
    response_model=Me,
    summary="Who I am, my plan, credits and what the plan allows",
    description="Plan, entitlements and credits come from the billing service at each request; "
    "`permissions` says, per entitlement, whether it is usable now and if not, why "
    "(the web UI shows that reason beside each disabled control).",
)
async def me(caller: CurrentCaller, request: Request, response: Response) -> Me:
    if caller.session_token is not None:
        # Re-issue the CSRF cookie if the browser lost it, so the page can keep acting.
        csrf_token = csrf_token_for(caller.session_token)
        if request.cookies.get(CSRF_COOKIE) != csrf_token:
            set_csrf_cookie(response, csrf_token, max_age=None, secure=secure_cookies_for(request))
    deps = deps_of(request)
    account = await deps.billing.account(caller.user_id)
    plans = await deps.billing.plans_or_empty()
    return Me(
        user_id=caller.user.id,
        username=caller.user.username,
        plan=account.plan,
        plan_display_name=display_name(plans, account.plan),
        entitlements=sorted(account.entitlements),
        credits=account.credits,
        avatar_image_id=caller.user.avatar_image_id,
        subscription_status=account.status,
        lapsed_plan=account.lapsed_plan or None,
        current_period_end=account.current_period_end,
        max_concurrent_generations=account.max_concurrent_generations,
        last_visibility=await deps.generations.last_visibility(caller.user_id),
        permissions={
            name: PermissionOut(allowed=p.allowed, reason=p.reason) for name, p in permissions(account, plans).items()
        },
    )


def _key_out(record: ApiKeyRecord) -> ApiKeyOut:
    return ApiKeyOut(
        id=record.id,
        name=record.name,
        prefix=record.key_prefix,
        scopes=record.scopes,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
    )


@router.get("/api-keys", response_model=ApiKeyList, summary="My API keys (never the keys themselves)")
async def list_api_keys(caller: CurrentCaller, request: Request) -> ApiKeyList:
    records = await deps_of(request).accounts.list_api_keys(caller.user)
    return ApiKeyList(items=[_key_out(record) for record in records])


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    summary="Create an API key; the key is shown only in this response",
    description="Without `scopes` the key gets `read` and `generate`. A request the key's scopes do not "
    "cover answers 403.",
)
async def create_api_key(
    caller: CurrentCaller, request: Request, body: ApiKeyCreateRequest | None = Body(default=None)
) -> ApiKeyCreated:
    scopes = body.scopes if body is not None and body.scopes is not None else DEFAULT_KEY_SCOPES
    new_key = await deps_of(request).accounts.create_api_key(caller.user, name=body.name if body else "", scopes=scopes)
    return ApiKeyCreated(**_key_out(new_key.record).model_dump(), api_key=new_key.key)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key; the webhook endpoints tied to it are deleted with it",
)
async def revoke_api_key(key_id: str, caller: CurrentCaller, request: Request) -> Response:
    parsed = parse_uuid(key_id)
    deps = deps_of(request)
    if parsed is None or not await deps.accounts.revoke_api_key(caller.user, parsed):
        raise not_found("API key")
    # Revoked first: a key is never kept alive by the webhooks service being down. Its endpoints
    # left behind then are deleted at the next listing of webhooks (routes/webhooks.py).
    if isinstance(deps.webhooks, WebhooksClient):
        try:
            await deps.webhooks.delete_key_endpoints(caller.user_id, str(parsed))
        except Problem as problem:
            log.warning(
                "the revoked key's webhook endpoints stay until the next listing", extra={"error": str(problem)}
            )
    return Response(status_code=status.HTTP_204_NO_CONTENT)

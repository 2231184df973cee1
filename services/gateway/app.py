"""The FastAPI application: routers, problem handlers, metrics, security headers, tracing."""

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from services.gateway.api.access import PRIVATE_NO_STORE, PUBLIC_CACHE_CONTROL, PUBLIC_MAX_AGE_S, PUBLIC_VARY
from services.gateway.api.routes import (
    account,
    actions,
    auth,
    background,
    billing,
    canvas,
    creations,
    feed,
    generations,
    health,
    images,
    models,
    profiles,
    remix,
    sessions,
    social,
    studio,
    teams,
    webhooks,
)
from services.gateway.auth.security import on_validation_error_after_caller
from services.gateway.dependencies import GatewayDeps
from services.gateway.metrics import HttpMetricsMiddleware
from services.gateway.problems import install_problem_handlers
from services.gateway.ratelimit.http import RateLimitHeadersMiddleware, TarpitMiddleware, enforce_rate_limit
from services.gateway.request_guard import RequestGuardMiddleware
from services.gateway.response_headers import SecurityHeadersMiddleware
from services.gateway.settings import GatewaySettings
from services.gateway.transport_security import parse_proxies
from services.gateway.web import pages
from services.gateway.web.pages import STATIC_DIR

API_PREFIX = "/api/v1"
API_DESCRIPTION = f"""Privacy: another user's private image, a deleted image and an unknown id answer the same 404 on
every endpoint. Every read of an image by someone other than its owner is authorised by the
visibility authority at the moment of the request.

Caching: every API response is `Cache-Control: {PRIVATE_NO_STORE}` except the bytes of public
images (`GET /api/v1/images/{{id}}/content`), which are `{PUBLIC_CACHE_CONTROL}` with `Vary: {PUBLIC_VARY}`:
a shared cache may keep a public image's bytes for at most {PUBLIC_MAX_AGE_S} s, also after it was made private.

Downloads: PNG for plans with `download_png`; a slightly compressed JPG for anonymous viewers, free
plans and lapsed accounts.
"""
UNTRACED_PATHS = "healthz,readyz,metrics,static"


def create_app(settings: GatewaySettings, deps: GatewayDeps) -> FastAPI:
    app = FastAPI(
        title="Atelier",
        summary="Text-to-image generation: the public HTTP API",
        description=API_DESCRIPTION,
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        # Every route takes a token from its bucket first (ratelimit/policy.py says which, if any).
        dependencies=[Depends(enforce_rate_limit)],
    )
    app.state.settings = settings
    app.state.deps = deps
    install_problem_handlers(app)
    app.add_exception_handler(RequestValidationError, on_validation_error_after_caller)  # type: ignore[arg-type]
    for router in (
        auth.router,
        account.router,
        sessions.router,
        creations.router,
        billing.router,
        generations.router,
        images.router,
        feed.router,
        social.router,
        remix.router,
        actions.router,
        background.router,
        canvas.router,
        profiles.router,
        webhooks.router,
        teams.router,
        models.router,
        studio.router,
        health.router,
        pages.router,
    ):
        app.include_router(router)
    if settings.metrics_on_http_port:
        app.include_router(health.metrics_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        RequestGuardMiddleware,
        max_body_bytes=settings.max_request_body_bytes,
        larger_bodies=((f"{API_PREFIX}/models", settings.max_model_upload_body_bytes),),
        exempt_prefixes=(f"{API_PREFIX}/billing/webhooks/",),
    )
    # Outside the request guard and the app (a remembered refusal costs neither), inside the
    # security headers and the metrics (a refusal still gets both).
    app.add_middleware(TarpitMiddleware)
    app.add_middleware(
        SecurityHeadersMiddleware,
        trusted_proxies=parse_proxies(settings.trusted_proxies),
        hsts_max_age_s=settings.hsts_max_age_s,
    )
    app.add_middleware(RateLimitHeadersMiddleware)
    app.add_middleware(HttpMetricsMiddleware)
    # A POST starts the trace; the instrumented gRPC client carries it on to the services.
    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_PATHS)
    return app

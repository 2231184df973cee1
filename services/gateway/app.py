"""The FastAPI application: routers, problem handlers, metrics, security headers, tracing."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from services.gateway.dependencies import GatewayDeps
from services.gateway.metrics import HttpMetricsMiddleware
from services.gateway.problems import install_problem_handlers
from services.gateway.response_headers import SecurityHeadersMiddleware
from services.gateway.routes import account, auth, generations, health, images, pages
from services.gateway.routes.pages import STATIC_DIR
from services.gateway.settings import GatewaySettings

API_PREFIX = "/api/v1"
UNTRACED_PATHS = "healthz,readyz,metrics,static"


def create_app(settings: GatewaySettings, deps: GatewayDeps) -> FastAPI:
    app = FastAPI(
        title="Atelier",
        summary="Text-to-image generation: the public HTTP API",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.deps = deps
    install_problem_handlers(app)
    for router in (auth.router, account.router, generations.router, images.router, health.router, pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HttpMetricsMiddleware)
    # A POST starts the trace; the instrumented gRPC client carries it on to the services.
    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_PATHS)
    return app

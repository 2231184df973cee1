"""Liveness, readiness and Prometheus metrics."""

import asyncio
import logging
from collections.abc import Mapping

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from services.gateway.dependencies import ReadinessCheck, deps_of
from services.gateway.problems import problem_response

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_S = 3.0


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _failure(check: ReadinessCheck) -> str | None:
    try:
        await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_S:.0f} s"
    except Exception as error:  # any failure means "not ready"; the reason goes to the operator
        return str(error) or type(error).__name__
    return None


async def _failures(checks: Mapping[str, ReadinessCheck]) -> dict[str, str]:
    results = await asyncio.gather(*(_failure(check) for check in checks.values()))
    return {name: reason for name, reason in zip(checks, results, strict=True) if reason is not None}


@router.get(
    "/readyz",
    summary="Ready to serve: what sign-in needs is reachable; the rest is reported, not required",
    responses={
        200: {"description": "status `ready`, or `degraded` naming the dependencies whose routes answer 503"},
        503: {"description": "a dependency every page needs is not reachable; the body names it"},
    },
)
async def readyz(request: Request) -> Response:
    deps = deps_of(request)
    failed, degraded = await asyncio.gather(_failures(deps.readiness_checks), _failures(deps.route_checks))
    if failed:
        log.warning("not ready", extra={"failed": failed, "degraded": degraded})
        names = ", ".join(sorted(failed))
        return problem_response(
            503, f"Not ready: {names} unavailable.", instance=request.url.path, failed=failed, degraded=degraded
        )
    if degraded:
        log.warning("degraded", extra={"degraded": degraded})
    checks = {name: "ok" for name in (*deps.readiness_checks, *deps.route_checks)} | degraded
    return JSONResponse({"status": "degraded" if degraded else "ready", "checks": checks})


# Left off the public app with ATELIER_METRICS_ON_HTTP_PORT=false (deploy/k8s): /metrics is then only
# on ATELIER_METRICS_PORT, which the Ingress never reaches.
metrics_router = APIRouter(tags=["operations"])


@metrics_router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

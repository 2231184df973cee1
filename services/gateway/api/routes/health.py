"""Liveness, readiness and Prometheus metrics."""

import asyncio
import logging

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


@router.get(
    "/readyz",
    summary="Every dependency is reachable (database, NATS, generation service)",
    responses={503: {"description": "a dependency is not reachable; the body names it"}},
)
async def readyz(request: Request) -> Response:
    checks = deps_of(request).readiness_checks
    results = await asyncio.gather(*(_failure(check) for check in checks.values()))
    failed = {name: reason for name, reason in zip(checks, results, strict=True) if reason is not None}
    if failed:
        log.warning("not ready", extra={"failed": failed})
        names = ", ".join(sorted(failed))
        return problem_response(503, f"Not ready: {names} unavailable.", instance=request.url.path, failed=failed)
    return JSONResponse({"status": "ready", "checks": {name: "ok" for name in checks}})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

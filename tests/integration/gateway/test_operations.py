"""Health, readiness, metrics, the OpenAPI document, the page, and problem documents everywhere."""

import dataclasses

import grpc
import httpx
from prometheus_client import REGISTRY

from services.gateway.app import create_app
from services.gateway.clients.generation import GenerationClient
from tests.integration.gateway.conftest import Gateway, SignUp
from tests.integration.gateway.fakes import FakeGenerationService, running_services


async def test_healthz_and_readyz_when_everything_is_up(gateway: Gateway) -> None:
    async with gateway.client() as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "generation": "ok"}}


async def test_readyz_is_not_ready_when_what_every_page_needs_fails(gateway: Gateway) -> None:
    async def database_down() -> None:
        raise RuntimeError("connection refused")

    gateway.app.state.deps = dataclasses.replace(gateway.app.state.deps, readiness_checks={"database": database_down})
    async with gateway.client() as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["failed"] == {"database": "connection refused"}
    assert "database" in response.json()["detail"]


async def test_a_stopped_service_degrades_its_routes_not_the_site(gateway: Gateway, sign_up: SignUp) -> None:
    """The generation service stops: the pod stays in the Service (readyz 200, `degraded`), the page and
    sign-in go on, and only the generation routes answer 503 problem+json."""
    async with running_services(
        FakeGenerationService(gateway.objects, gateway.visibility, gateway.billing), gateway.billing, gateway.visibility
    ) as address:
        pass  # now stopped: nothing listens at `address` any more
    async with grpc.aio.insecure_channel(address) as stopped:
        generations = GenerationClient(stopped, timeout_s=2)
        deps = gateway.app.state.deps
        gateway.app.state.deps = dataclasses.replace(
            deps, generations=generations, route_checks={**deps.route_checks, "generation": generations.check_serving}
        )
        alice = await sign_up("alice")
        async with gateway.client() as client:
            ready = await client.get("/readyz")
            page = await client.get("/")
        submitted = await alice.client.post("/api/v1/generations", json={"prompt": "p"}, headers=alice.csrf)

    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["generation"] != "ok"
    assert page.status_code == 200
    assert submitted.status_code == 503
    assert submitted.headers["content-type"] == "application/problem+json"
    assert submitted.headers["retry-after"]


async def test_metrics_count_requests_by_route_template_and_submissions(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    labels = {"route": "/api/v1/generations/{generation_id}", "method": "GET", "status": "404"}
    before = REGISTRY.get_sample_value("atelier_http_requests_total", labels) or 0
    submitted_before = REGISTRY.get_sample_value("atelier_generations_submitted_total") or 0

    await alice.client.get("/api/v1/generations/8d3c3e64-0000-4000-8000-000000000000")
    await alice.client.post("/api/v1/generations", json={"prompt": "p"}, headers=alice.csrf)
    async with gateway.client() as client:
        text = (await client.get("/metrics")).text

    assert REGISTRY.get_sample_value("atelier_http_requests_total", labels) == before + 1
    assert REGISTRY.get_sample_value("atelier_generations_submitted_total") == submitted_before + 1
    assert "atelier_http_request_duration_seconds_bucket" in text
    assert "8d3c3e64" not in text  # ids never become label values


async def test_unknown_routes_and_methods_are_problem_documents(gateway: Gateway) -> None:
    async with gateway.client() as client:
        unknown = await client.get("/api/v1/nope")
        wrong_method = await client.put("/api/v1/generations")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["detail"] == "There is nothing at this address."
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


async def test_openapi_is_served_under_the_api_prefix(gateway: Gateway) -> None:
    async with gateway.client() as client:
        document = (await client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/generations" in document["paths"]
    assert "/api/v1/generations/{generation_id}/events" in document["paths"]


async def test_the_page_and_its_assets_are_served_with_a_strict_policy(gateway: Gateway) -> None:
    async with gateway.client() as client:
        page = await client.get("/")
        script = await client.get("/static/app.js")
        style = await client.get("/static/style.css")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert script.status_code == style.status_code == 200
    assert '<script type="module" src="/static/app.js">' in page.text


async def test_an_unexpected_crash_is_a_500_problem_without_internals(gateway: Gateway, sign_up: SignUp) -> None:
    alice = await sign_up("alice")
    image_id = gateway.generation.succeed(gateway.generation.add(alice.user_id).generation_id)[0]

    async def broken_get(key: str) -> bytes:
        raise RuntimeError("secret internal state")

    gateway.objects.get = broken_get  # type: ignore[method-assign]
    transport = httpx.ASGITransport(app=gateway.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=gateway.base_url) as client:
        response = await client.get(f"/api/v1/images/{image_id}/content", headers=alice.bearer)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internal state" not in response.text


async def test_metrics_can_be_kept_off_the_public_port(gateway: Gateway) -> None:
    """deploy/k8s sets ATELIER_METRICS_ON_HTTP_PORT=false: what the Ingress reaches has no /metrics."""
    settings = gateway.app.state.settings.model_copy(update={"metrics_on_http_port": False})
    app = create_app(settings, gateway.app.state.deps)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=gateway.base_url) as client:
        hidden = await client.get("/metrics")
        ready = await client.get("/readyz")
    assert hidden.status_code == 404
    assert "atelier_http_requests_total" not in hidden.text
    assert ready.status_code == 200

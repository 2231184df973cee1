"""Telemetry of a running platform: spans leave a service over OTLP, and every metric a Grafana
dashboard or an alert rule names is one the processes really expose after a generation (scraped
from their /metrics, Triton's included, not grepped from the code)."""

from __future__ import annotations

import httpx
import pytest

from atelier.visibility.v1 import visibility_pb2, visibility_pb2_grpc
from tests.support.accounts import sign_up
from tests.support.monitoring import GPU_ONLY, PROMETHEUS_OWN, exposed_names, named_metrics
from tests.support.otlp_receiver import OtlpTraceReceiver
from tests.support.waiting import wait_until
from tools.devstack import free_port, nats_auth

pytestmark = pytest.mark.integration

GENERATION_TIMEOUT_S = 120


async def test_a_service_exports_its_spans_to_an_otlp_receiver(stack) -> None:
    with OtlpTraceReceiver() as receiver:
        stack.start_visibility(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_EXPORTER_OTLP_INSECURE="true",
            OTEL_BSP_SCHEDULE_DELAY="200",
        )
        async with stack.channel("visibility") as channel:
            await visibility_pb2_grpc.VisibilityServiceStub(channel).Authorize(
                visibility_pb2.AuthorizeRequest(viewer_id="alice", image_ids=[])
            )
        spans = wait_until(
            lambda: [s for s in receiver.spans() if "Authorize" in s.name], "Authorize span at the receiver"
        )
    assert {span.service_name for span in spans} == {"visibility"}


def _scrape(url: str) -> str:
    reply = httpx.get(url, timeout=10)
    reply.raise_for_status()
    return reply.text


def test_every_metric_a_dashboard_or_alert_names_is_exposed_by_the_running_platform(stack, triton_server) -> None:
    ports = {
        name: free_port()
        for name in ("billing", "visibility", "feed", "webhooks", "generation-api", "generation-worker")
    }
    stack.start_billing(ATELIER_METRICS_PORT=str(ports["billing"]))
    stack.start_visibility(ATELIER_METRICS_PORT=str(ports["visibility"]))
    stack.start_feed(ATELIER_METRICS_PORT=str(ports["feed"]))
    stack.start_webhooks(ATELIER_METRICS_PORT=str(ports["webhooks"]))
    stack.start_generation_api(ATELIER_METRICS_PORT=str(ports["generation-api"]))
    stack.start_worker(ATELIER_METRICS_PORT=str(ports["generation-worker"]))
    stack.start_gateway()

    user = sign_up(stack.gateway_url)
    with httpx.Client(base_url=stack.gateway_url, headers=user.headers, timeout=30) as http:
        submitted = http.post("/api/v1/generations", json={"prompt": "a red circle", "num_images": 1, "steps": 2})
        assert submitted.status_code == 202, submitted.text
        generation_id = submitted.json()["generation_id"]

        def finished() -> dict | None:
            body = http.get(f"/api/v1/generations/{generation_id}").json()
            return body if body["status"] in ("succeeded", "failed") else None

        generation = wait_until(finished, "the generation finished", timeout=GENERATION_TIMEOUT_S, interval=0.3)
        assert generation["status"] == "succeeded", generation
        assert http.get("/api/v1/feed").status_code == 200

    urls = {name: f"http://127.0.0.1:{port}/metrics" for name, port in ports.items()}
    urls["gateway"] = f"{stack.gateway_url}/metrics"
    urls["triton"] = f"http://127.0.0.1:{triton_server.metrics_port}/metrics"
    # The lag of each durable is sampled every few seconds by the process that consumes it: every
    # durable the NATS permissions know of (the platform's whole list) must be reported.
    durables = [durable for service in nats_auth.SERVICES for durable in service.durables]
    lag_series = [
        f'atelier_jetstream_consumer_pending_messages{{consumer="{d.name}",stream="{d.stream}"}}' for d in durables
    ]

    def every_lag_reported() -> dict[str, str] | None:
        pages = {name: _scrape(url) for name, url in urls.items()}
        every_page = "".join(pages.values())
        return pages if all(series in every_page for series in lag_series) else None

    pages = wait_until(every_lag_reported, f"lag of every durable ({[d.name for d in durables]}) reported")
    exposed = set().union(*(exposed_names(page) for page in pages.values()))

    named = named_metrics()
    assert len(named) >= 20, "dashboards and rules name too few metrics to be read"
    missing = {
        name: where for name, where in named.items() if name not in exposed | PROMETHEUS_OWN and name not in GPU_ONLY
    }
    assert not missing, f"named by dashboards or rules, exposed by no process: {missing}"

    # What the dashboards rely on beyond names: RED series of every gRPC server, lag without a fake
    # 0 from the API process, and Triton's latency summaries.
    for server in ("billing", "visibility", "feed", "generation-api"):
        assert 'atelier_grpc_server_handled_total{grpc_code="OK"' in pages[server], server
    assert "atelier_jetstream_consumer_pending_messages{" not in pages["generation-api"]
    assert 'atelier_jetstream_dead_letters{consumer="generation-worker"} 0.0' in pages["generation-worker"]
    assert "nv_inference_request_summary_us" in pages["triton"]

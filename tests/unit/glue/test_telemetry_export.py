"""Trace export configured by the standard OTEL_* variables: which exporters run, the service name,
and spans really arriving at an OTLP receiver (a real gRPC server implementing the collector's
TraceService, in-process)."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from glue.telemetry import service_resource, trace_exporter_names
from tests.support.otlp_receiver import OtlpTraceReceiver
from tests.support.waiting import wait_until


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, []),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}, ["otlp"]),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4317"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, ["otlp"]),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317"}, []),
        ({"OTEL_TRACES_EXPORTER": "otlp, console,otlp"}, ["otlp", "console"]),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, []),
    ],
)
def test_exporters_follow_the_standard_variables(environ: dict[str, str], expected: list[str]) -> None:
    assert trace_exporter_names(environ) == expected


def test_an_unknown_exporter_stops_the_process_at_start() -> None:
    with pytest.raises(SystemExit, match="zipkn"):
        trace_exporter_names({"OTEL_TRACES_EXPORTER": "zipkn"})


def test_the_operator_names_the_service_or_the_process_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert service_resource("feed").attributes["service.name"] == "feed"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "feed-eu")
    assert service_resource("feed").attributes["service.name"] == "feed-eu"


def test_spans_reach_an_otlp_receiver_configured_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from glue import telemetry

    with OtlpTraceReceiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
        monkeypatch.setenv("OTEL_SERVICE_NAME", "probe")
        (name,) = trace_exporter_names(telemetry.os.environ)
        provider = TracerProvider(resource=service_resource("unused"), shutdown_on_exit=False)
        provider.add_span_processor(BatchSpanProcessor(telemetry._exporter(name)))
        with provider.get_tracer("test").start_as_current_span("probe work"):
            pass
        provider.force_flush()
        (span,) = wait_until(receiver.spans, "span exported", timeout=10)
        provider.shutdown()
    assert (span.service_name, span.name) == ("probe", "probe work")

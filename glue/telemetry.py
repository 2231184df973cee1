"""OpenTelemetry set-up and W3C trace-context propagation through carriers we own (NATS headers).

gRPC calls are instrumented by opentelemetry-instrumentation-grpc, so their context travels in
gRPC metadata without code in the services.

Export follows the standard OTEL_* variables, read by the SDK and its OTLP exporter:
OTEL_TRACES_EXPORTER (`otlp`, `console`, `none`; comma-separated), OTEL_EXPORTER_OTLP_ENDPOINT
(or ..._TRACES_ENDPOINT), OTEL_EXPORTER_OTLP_INSECURE/_HEADERS/_TIMEOUT, OTEL_SERVICE_NAME,
OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_* (batching) and OTEL_SDK_DISABLED. One departure from the
SDK's default: with no OTEL_TRACES_EXPORTER, spans go over OTLP only when an endpoint is named, so a
laptop or a test without a collector does not log export failures every few seconds.
ATELIER_TRACE_FILE (JSON lines) is for tests and local debugging only: no manifest sets it.
"""

import json
import os
from collections.abc import Mapping

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

SUPPORTED_EXPORTERS = ("otlp", "console")
_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def _one_json_line(span: ReadableSpan) -> str:
    return json.dumps(json.loads(span.to_json()), separators=(",", ":")) + "\n"


def trace_exporter_names(environ: Mapping[str, str]) -> list[str]:
    """The exporters OTEL_TRACES_EXPORTER names (see the module's note for its default). An unknown
    name stops the process at start: a typo must not silently drop every trace."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    raw = environ.get("OTEL_TRACES_EXPORTER")
    if raw is None:
        return ["otlp"] if any(environ.get(name) for name in _ENDPOINT_VARIABLES) else []
    names = [name.strip().lower() for name in raw.split(",") if name.strip()]
    unknown = sorted(set(names) - {*SUPPORTED_EXPORTERS, "none"})
    if unknown:
        raise SystemExit(f"OTEL_TRACES_EXPORTER names {unknown}; supported: {', '.join(SUPPORTED_EXPORTERS)}, none")
    return [name for name in dict.fromkeys(names) if name != "none"]


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        # Imported here: it loads gRPC and the OTLP protos, which a process that exports nothing skips.
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()  # endpoint, TLS, headers, timeout: from OTEL_EXPORTER_OTLP_*
    return ConsoleSpanExporter()


def service_resource(service: str) -> Resource:
    """OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES when set (an operator's choice wins), else `service`."""
    detected = Resource.create()
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return Resource.create({SERVICE_NAME: service})
    return detected


def configure_tracing(service: str, trace_file: str | None = None) -> TracerProvider:
    provider = TracerProvider(resource=service_resource(service))
    for name in trace_exporter_names(os.environ):
        # Batched, off the request path; the provider flushes what is left when the process exits.
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    if trace_file:
        # Line-buffered append: several processes share one file and each line stays whole.
        out = open(trace_file, "a", buffering=1, encoding="utf-8")
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=_one_json_line)))
    trace.set_tracer_provider(provider)
    return provider


def instrument_grpc() -> None:
    from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer

    # The instrumentation package ships no type information.
    GrpcAioInstrumentorServer().instrument()  # type: ignore[no-untyped-call]
    GrpcAioInstrumentorClient().instrument()  # type: ignore[no-untyped-call]


def inject_headers(headers: dict[str, str] | None = None) -> dict[str, str]:
    """The current trace context as W3C headers (traceparent, tracestate)."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> context.Context:
    return propagate.extract(dict(headers or {}))

"""Configures tracing for one process: resource, sampler, and the exporter (OTLP or the local span store)."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from shared.settings import ServiceSettings
from shared.telemetry.span_store import JsonLinesSpanExporter


def configure_telemetry(service: str, settings: ServiceSettings) -> TracerProvider:
    """Install the global tracer provider for ``service``; returns it so the caller can shut it down."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.namespace": "oms"}),
        sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)),
    )
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otlp_endpoint, insecure=True)
    else:
        exporter = JsonLinesSpanExporter(settings.state_dir / "spans", service)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return provider

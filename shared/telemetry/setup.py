"""Configures tracing for one process: resource, sampler, W3C propagation, library instrumentation, the
order-tag and redaction processors, and the exporter (OTLP or the local span store)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.telemetry.redaction import RedactingSpanProcessor
from shared.telemetry.sampling import SuiteSampler
from shared.telemetry.span_store import MEBIBYTE, JsonLinesSpanExporter
from shared.telemetry.tagging import BaggageTagsProcessor

log = logging.getLogger(__name__)


class TracingSettings(Protocol):
    """The fields of a process's settings that tracing reads (ServiceSettings and the gateway's have them)."""

    @property
    def state_dir(self) -> Path: ...

    @property
    def otlp_endpoint(self) -> str: ...

    @property
    def trace_sample_ratio(self) -> float: ...


class ExportOptions(BaseSettings):
    """How spans leave the process, from OMS_* variables (the same in every process, the gateway too)."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", frozen=True)

    trace_export_delay_ms: int = Field(
        default=1000, ge=1, le=60_000, description="Longest a finished span waits in memory before export."
    )
    span_store_file_mb: int = Field(default=32, ge=1, le=4096, description="A store file is set aside past this.")
    span_store_total_mb: int = Field(default=512, ge=1, le=65_536, description="The store directory's budget.")
    trace_instrument_libraries: bool = Field(
        default=True, description="Trace every asyncpg query and Redis command made inside an operation."
    )


def build_tracer_provider(
    service: str, settings: TracingSettings, options: ExportOptions, *, exporter: SpanExporter | None = None
) -> TracerProvider:
    """The provider of one process, not installed anywhere (``configure_telemetry`` installs it)."""
    # The local store keeps every trace: it is how errors and slow orders are found on one machine.
    ratio = settings.trace_sample_ratio if settings.otlp_endpoint else 1.0
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.namespace": "oms"}),
        sampler=SuiteSampler(ratio),
    )
    provider.add_span_processor(BaggageTagsProcessor())
    if exporter is None:
        exporter = _exporter(service, settings, options)
    provider.add_span_processor(
        RedactingSpanProcessor(BatchSpanProcessor(exporter, schedule_delay_millis=options.trace_export_delay_ms))
    )
    return provider


def _exporter(service: str, settings: TracingSettings, options: ExportOptions) -> SpanExporter:
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=settings.otlp_endpoint, insecure=True)
    return JsonLinesSpanExporter(
        Path(settings.state_dir) / "spans",
        service,
        max_file_bytes=options.span_store_file_mb * MEBIBYTE,
        max_total_bytes=max(options.span_store_total_mb, options.span_store_file_mb) * MEBIBYTE,
    )


def instrument_libraries(provider: TracerProvider) -> None:
    """Database and Redis spans (asyncpg sits under SQLAlchemy, so one span per round trip, not two)."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    for instrumentor in (AsyncPGInstrumentor(), RedisInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=provider)


def configure_telemetry(
    service: str, settings: TracingSettings, options: ExportOptions | None = None
) -> TracerProvider:
    """Install the global tracer provider and propagators for ``service``; returns the provider so the
    caller can shut it down (which flushes the last spans)."""
    options = options or ExportOptions()
    provider = build_tracer_provider(service, settings, options)
    # W3C trace context and baggage in gRPC metadata whatever OTEL_PROPAGATORS says: the suite relies on both.
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()]))
    trace.set_tracer_provider(provider)
    if options.trace_instrument_libraries:
        instrument_libraries(provider)
    if settings.otlp_endpoint and settings.trace_sample_ratio < 1.0:
        log.warning(
            "tracing samples %.0f%% of new traces: errors and slow orders in the others are lost to the collector",
            settings.trace_sample_ratio * 100,
        )
    return provider

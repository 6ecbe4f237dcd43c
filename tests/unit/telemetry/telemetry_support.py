"""Helpers of the telemetry tests: a provider built like a service's, exporting to memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry.setup import ExportOptions, build_tracer_provider


@dataclass(frozen=True)
class TracingSettings:
    state_dir: Path
    otlp_endpoint: str = ""
    trace_sample_ratio: float = 1.0


@dataclass
class Recorder:
    """A service's provider (sampler, order tags, redaction) whose spans land in memory."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    def spans(self) -> list[ReadableSpan]:
        assert self.provider.force_flush(5_000)
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> ReadableSpan:
        (span,) = [s for s in self.spans() if s.name == name]
        return span


def recorder(service: str, tmp_path: Path, *, ratio: float = 1.0, otlp: str = "") -> Recorder:
    exporter = InMemorySpanExporter()
    provider = build_tracer_provider(
        service,
        TracingSettings(state_dir=tmp_path, otlp_endpoint=otlp, trace_sample_ratio=ratio),
        ExportOptions(trace_export_delay_ms=10),
        exporter=exporter,
    )
    return Recorder(provider, exporter)

"""OpenTelemetry set-up: OTLP export when configured, otherwise a local span store on disk."""

from shared.telemetry.setup import configure_telemetry

__all__ = ["configure_telemetry"]

"""OpenTelemetry for every process: set-up, order tags in the baggage, redaction, the local span store."""

from shared.telemetry.setup import ExportOptions, configure_telemetry
from shared.telemetry.tagging import OrderTags, tag_order

__all__ = ["ExportOptions", "OrderTags", "configure_telemetry", "tag_order"]

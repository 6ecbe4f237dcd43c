"""The process set-up: sampling (local store keeps all, idle polling dropped), export options from OMS_*."""

from __future__ import annotations

import pytest
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from shared.telemetry.setup import ExportOptions, build_tracer_provider
from tests.unit.telemetry.telemetry_support import TracingSettings, recorder


def test_parentless_database_and_redis_calls_are_dropped_but_rpcs_and_children_kept(tmp_path):
    relay = recorder("orders", tmp_path)
    tracer = relay.provider.get_tracer("test")

    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT):
        pass
    with tracer.start_as_current_span("XREADGROUP", kind=SpanKind.CLIENT):
        pass
    with tracer.start_as_current_span("/oms.orders.v1.OrdersService/CancelOrder", kind=SpanKind.CLIENT):
        pass
    with (
        tracer.start_as_current_span("consume oms.orders.v1.OrderPlaced", kind=SpanKind.CONSUMER),
        tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT),
    ):
        pass

    assert sorted(s.name for s in relay.spans()) == [
        "/oms.orders.v1.OrdersService/CancelOrder",
        "INSERT",
        "consume oms.orders.v1.OrderPlaced",
    ]


def test_the_local_store_keeps_every_trace_whatever_the_ratio(tmp_path):
    local = recorder("orders", tmp_path, ratio=0.0)
    with local.provider.get_tracer("test").start_as_current_span("/x/Y", kind=SpanKind.SERVER):
        pass
    assert [s.name for s in local.spans()] == ["/x/Y"]


def test_with_a_collector_the_ratio_samples_new_traces_and_children_follow_their_parent(tmp_path):
    exported = recorder("orders", tmp_path, ratio=0.0, otlp="http://127.0.0.1:4317")
    tracer = exported.provider.get_tracer("test")
    with tracer.start_as_current_span("/x/Y", kind=SpanKind.SERVER), tracer.start_as_current_span("child"):
        pass
    assert exported.spans() == []

    kept = recorder("orders", tmp_path, ratio=1.0, otlp="http://127.0.0.1:4317")
    with kept.provider.get_tracer("test").start_as_current_span("/x/Y", kind=SpanKind.SERVER):
        pass
    assert [s.name for s in kept.spans()] == ["/x/Y"]


def test_export_options_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OMS_TRACE_EXPORT_DELAY_MS", "50")
    monkeypatch.setenv("OMS_SPAN_STORE_FILE_MB", "4")
    monkeypatch.setenv("OMS_SPAN_STORE_TOTAL_MB", "16")
    options = ExportOptions()
    assert (options.trace_export_delay_ms, options.span_store_file_mb, options.span_store_total_mb) == (50, 4, 16)

    monkeypatch.setenv("OMS_TRACE_EXPORT_DELAY_MS", "0")
    with pytest.raises(ValidationError, match="trace_export_delay_ms"):
        ExportOptions()


def test_without_a_collector_spans_go_to_the_bounded_local_store(tmp_path):
    provider = build_tracer_provider(
        "inventory",
        TracingSettings(state_dir=tmp_path),
        ExportOptions(trace_export_delay_ms=10, span_store_file_mb=2, span_store_total_mb=8),
    )
    with provider.get_tracer("test").start_as_current_span("/oms.inventory.v1.InventoryService/Reserve"):
        pass
    provider.shutdown()

    (path,) = (tmp_path / "spans").glob("inventory-*.jsonl")
    assert '"/oms.inventory.v1.InventoryService/Reserve"' in path.read_text(encoding="utf-8")

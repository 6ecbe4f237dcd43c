"""Inventory records what the dashboards show: refused reservations by reason, breaker trips, hot-SKU stock."""

from __future__ import annotations

from prometheus_client import REGISTRY

from shared import metrics


def failures(reason: str) -> float:
    return REGISTRY.get_sample_value("oms_reservation_failures_total", {"reason": reason}) or 0.0


def test_refusals_and_trips_are_counted_and_hot_stock_is_a_bounded_gauge():
    before = failures("INSUFFICIENT_STOCK")
    metrics.record_reservation_failure("INSUFFICIENT_STOCK")
    assert failures("INSUFFICIENT_STOCK") == before + 1

    trips = REGISTRY.get_sample_value("oms_sku_breaker_trips_total") or 0.0
    metrics.record_breaker_trip()
    assert REGISTRY.get_sample_value("oms_sku_breaker_trips_total") == trips + 1

    metrics.HOT_STOCK.observe("HOT-1", 7)
    assert REGISTRY.get_sample_value("oms_stock_available", {"sku": "HOT-1"}) == 7

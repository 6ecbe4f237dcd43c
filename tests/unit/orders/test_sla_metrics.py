"""Unit tests of what the SLA tasks record under the suite's metric names: breaches, waiting orders, red
orders and the order health index."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY

from services.orders.adapters.sla_tasks import record_health, record_sweep
from services.orders.application.fulfilment_commands import HealthReport
from services.orders.application.fulfilment_ports import WaitingCounts
from services.orders.application.sla import SweepResult
from services.orders.domain.values import OrderStatus
from shared.metrics import EXCEPTIONS_CLOSED_24H, STEP_TIME_DEVIATION

NOW = datetime(2025, 11, 11, tzinfo=UTC)


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_a_sweep_counts_breaches_and_sets_the_waiting_gauges() -> None:
    untouched = sample("oms_sla_breaches_total", kind="order_untouched") or 0.0
    late = sample("oms_sla_breaches_total", kind="shipment_unconfirmed") or 0.0
    waiting = WaitingCounts({OrderStatus.APPROVED: 7, OrderStatus.ON_HOLD: 2}, over_sla=3)

    record_sweep(SweepResult(("o-1", "o-2"), ("s-1",), waiting))

    assert sample("oms_sla_breaches_total", kind="order_untouched") == untouched + 2
    assert sample("oms_sla_breaches_total", kind="shipment_unconfirmed") == late + 1
    assert sample("oms_orders_waiting", status="APPROVED") == 7
    assert sample("oms_orders_waiting", status="ON_HOLD") == 2
    # A waiting state with no order is 0, not a stale value.
    assert sample("oms_orders_waiting", status="EXCEPTION") == 0
    assert sample("oms_orders_over_sla") == 3


def test_the_health_index_is_published_per_component() -> None:
    report = HealthReport(NOW, NOW, (), 0.25, 3, 1, 1 / 3, {})
    record_health(report)
    assert sample("oms_order_health_index", component=STEP_TIME_DEVIATION) == 0.25
    assert sample("oms_order_health_index", component=EXCEPTIONS_CLOSED_24H) == 1 / 3
    # Nothing measured: the last value stays.
    record_health(HealthReport(NOW, NOW, (), None, 0, 0, None, {}))
    assert sample("oms_order_health_index", component=STEP_TIME_DEVIATION) == 0.25

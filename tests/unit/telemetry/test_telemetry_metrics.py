"""The shared metrics: bounded hot-SKU gauge, the order health index, deferred saga counters, loop lag."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

from shared import metrics
from shared.metrics import (
    CROSS_SYSTEM_CONSISTENCY,
    EXCEPTIONS_CLOSED_24H,
    STEP_TIME_DEVIATION,
    Deferred,
    HealthIndex,
    HotSkuGauge,
)


def test_the_hot_sku_gauge_keeps_only_the_most_recently_observed_skus():
    registry = CollectorRegistry()
    gauge = Gauge("test_stock_available", "units", ["sku"], registry=registry)
    hot = HotSkuGauge(gauge, limit=3)

    for sku, units in [("A", 10), ("B", 20), ("C", 30), ("A", 9), ("D", 40)]:
        hot.observe(sku, units)

    assert hot.tracked == ("C", "A", "D")
    (family,) = registry.collect()
    series = {s.labels["sku"]: s.value for s in family.samples}
    assert series == {"C": 30, "A": 9, "D": 40}


def test_the_hot_sku_gauge_needs_room_for_one():
    with pytest.raises(ValueError, match="positive"):
        HotSkuGauge(limit=0)


def test_the_health_index_measures_each_component_against_its_target():
    index = HealthIndex.measure(
        step_times={"review": (12.0, 10.0), "pick": (9.0, 10.0)},
        exceptions_due=50,
        exceptions_closed_in_time=47,
        orders_checked=1000,
        orders_consistent=999,
    )

    assert index.step_time_deviation == pytest.approx(0.15)
    assert index.exceptions_closed_24h == pytest.approx(0.94)
    assert index.cross_system_consistency == pytest.approx(0.999)
    assert index.within_targets() == {
        STEP_TIME_DEVIATION: True,
        EXCEPTIONS_CLOSED_24H: True,
        CROSS_SYSTEM_CONSISTENCY: False,
    }


def test_an_unmeasured_component_is_none_and_left_unpublished():
    registry = CollectorRegistry()
    gauge = Gauge("test_health", "index", ["component"], registry=registry)
    index = HealthIndex.measure(
        step_times={}, exceptions_due=0, exceptions_closed_in_time=0, orders_checked=4, orders_consistent=4
    )

    index.publish(gauge)

    assert (index.step_time_deviation, index.exceptions_closed_24h) == (None, None)
    assert index.within_targets() == {CROSS_SYSTEM_CONSISTENCY: True}
    (family,) = registry.collect()
    assert {s.labels["component"]: s.value for s in family.samples} == {CROSS_SYSTEM_CONSISTENCY: 1.0}


@pytest.mark.parametrize(
    "arguments",
    [
        {"step_times": {"x": (1.0, 0.0)}},
        {"step_times": {"x": (math.inf, 1.0)}},
        {"step_times": {"x": (-1.0, 1.0)}},
        {"exceptions_due": 1, "exceptions_closed_in_time": 2},
        {"orders_checked": 1, "orders_consistent": 2},
    ],
)
def test_impossible_inputs_are_refused(arguments):
    given = {
        "step_times": {},
        "exceptions_due": 0,
        "exceptions_closed_in_time": 0,
        "orders_checked": 0,
        "orders_consistent": 0,
    } | arguments
    with pytest.raises(ValueError):
        HealthIndex.measure(**given)


def test_the_targets_are_published_for_the_dashboards():
    assert REGISTRY.get_sample_value("oms_order_health_index_target", {"component": STEP_TIME_DEVIATION}) == 0.15
    assert REGISTRY.get_sample_value("oms_order_health_index_target", {"component": EXCEPTIONS_CLOSED_24H}) == 0.92


def test_a_deferred_metric_is_registered_on_first_use_only():
    registry = CollectorRegistry()
    built = []

    def build() -> Counter:
        built.append(1)
        return Counter("test_deferred_total", "x", ["kind"], registry=registry)

    deferred = Deferred(build)
    assert built == [] and registry.get_sample_value("test_deferred_total", {"kind": "a"}) is None

    deferred.labels("a").inc()
    deferred.labels("a").inc()

    assert built == [1]
    assert registry.get_sample_value("test_deferred_total", {"kind": "a"}) == 2


def test_the_saga_process_can_import_the_shared_metrics_beside_its_own_counters():
    # services/saga/adapters/metrics.py registers the same names today; the runtime imports shared.metrics.
    loaded = subprocess.run(
        [sys.executable, "-c", "import shared.runtime, shared.metrics, services.saga.adapters.metrics"],
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr


def test_refund_latency_is_observed_in_seconds():
    requested = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
    before = REGISTRY.get_sample_value("oms_refund_latency_seconds_sum", {"refund_type": "test"}) or 0.0

    metrics.observe_refund_latency("test", requested, requested + timedelta(hours=2))

    after = REGISTRY.get_sample_value("oms_refund_latency_seconds_sum", {"refund_type": "test"})
    assert after - before == 7200


async def test_the_event_loop_watcher_reports_a_blocked_loop_and_stops_when_asked():
    stop = asyncio.Event()
    watcher = asyncio.create_task(metrics.watch_event_loop(stop, interval=0.05))
    await asyncio.sleep(0.12)  # let the watcher settle into its rhythm before the loop is held
    blocked_until = asyncio.get_running_loop().time() + 0.3
    while asyncio.get_running_loop().time() < blocked_until:
        pass  # hold the loop, as a blocking call in a handler would

    await asyncio.sleep(0.01)  # the watcher's overdue wake-up runs first and records the lag

    assert REGISTRY.get_sample_value("oms_event_loop_lag_seconds") >= 0.1
    stop.set()
    await asyncio.wait_for(watcher, timeout=1)

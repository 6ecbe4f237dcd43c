"""The suite's named Prometheus metrics (beyond the per-RPC RED metrics of shared.grpc.interceptors) and
the helpers services record them with; the dashboards in deploy/grafana are drawn from these names."""

from __future__ import annotations

import asyncio
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

M = TypeVar("M", bound=MetricWrapperBase)


class Deferred(Generic[M]):
    """A metric registered in the default registry on its first use rather than at import.

    For names another module registers today (the saga's own outcome and compensation counters in
    services/saga/adapters/metrics.py): importing this module must not collide with them in that process.
    """

    def __init__(self, build: Callable[[], M]) -> None:
        self._build = build
        self._metric: M | None = None
        self._lock = threading.Lock()

    def get(self) -> M:
        with self._lock:
            if self._metric is None:
                self._metric = self._build()
            return self._metric

    def labels(self, *values: str) -> Any:
        return self.get().labels(*values)


# --- Sagas (the saga coordinator records these) -------------------------------------------------------

SAGA_OUTCOMES: Deferred[Counter] = Deferred(
    lambda: Counter(
        "oms_saga_outcomes_total",
        "Sagas ended, by kind, final state, failing step and reason",
        ["kind", "state", "step", "reason"],
    )
)
SAGA_COMPENSATIONS: Deferred[Counter] = Deferred(
    lambda: Counter(
        "oms_saga_compensations_total",
        "Compensations by step and outcome (compensated, refused, deferred)",
        ["kind", "step", "outcome"],
    )
)
SAGA_STEP_DURATION = Histogram(
    "oms_saga_step_duration_seconds",
    "Time of one saga step (its action or compensation, retries included), by kind and step",
    ["kind", "step"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def record_saga_outcome(kind: str, state: str, failed_step: str = "", reason: str = "") -> None:
    SAGA_OUTCOMES.labels(kind, state, failed_step, reason).inc()


def record_compensation(kind: str, step: str, outcome: str) -> None:
    """``outcome``: compensated, refused or deferred."""
    SAGA_COMPENSATIONS.labels(kind, step, outcome).inc()


# --- Inventory ---------------------------------------------------------------------------------------

RESERVATION_FAILURES = Counter(
    "oms_reservation_failures_total", "Reservations refused, by reason (INSUFFICIENT_STOCK, SKU_PAUSED)", ["reason"]
)
BREAKER_TRIPS = Counter(
    "oms_sku_breaker_trips_total", "SKUs paused on every channel by the reservation circuit breaker"
)
STOCK_AVAILABLE = Gauge(
    "oms_stock_available", "Units available to sell of the hottest SKUs (a bounded set, see HotSkuGauge)", ["sku"]
)


def record_reservation_failure(reason: str) -> None:
    RESERVATION_FAILURES.labels(reason).inc()


def record_breaker_trip() -> None:
    BREAKER_TRIPS.inc()


class HotSkuGauge:
    """Availability of at most ``limit`` SKUs: the ones observed most recently (a reservation makes a SKU
    hot). A catalogue of 100,000 SKUs must not become 100,000 series, so the coldest one is forgotten."""

    def __init__(self, gauge: Gauge = STOCK_AVAILABLE, *, limit: int = 50) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        self._gauge = gauge
        self._limit = limit
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def observe(self, sku: str, available: int) -> None:
        with self._lock:
            self._recent[sku] = None
            self._recent.move_to_end(sku)
            self._gauge.labels(sku).set(available)
            while len(self._recent) > self._limit:
                cold, _ = self._recent.popitem(last=False)
                self._gauge.remove(cold)

    @property
    def tracked(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._recent)


HOT_STOCK = HotSkuGauge()
"""The inventory process's gauge of hot SKUs: ``HOT_STOCK.observe(sku, available)`` after a reservation."""


# --- Outbox and streams (the relay and the consumers record these) -----------------------------------

OUTBOX_OLDEST_AGE = Gauge(
    "oms_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest outbox row not yet on the stream, as the relay last saw it (0: nothing waiting)",
)
OUTBOX_PUBLISHED = Counter("oms_outbox_published_total", "Outbox rows published to their stream", ["stream"])
OUTBOX_PUBLISH_ERRORS = Counter(
    "oms_outbox_publish_errors_total", "Relay cycles that failed (database or Redis unreachable)"
)
EVENTS_CONSUMED = Counter(
    "oms_events_consumed_total",
    "Stream entries a consumer group took, by outcome (handled, duplicate, failed, dead_lettered)",
    ["group", "outcome"],
)
EVENT_DELIVERY = Histogram(
    "oms_event_delivery_seconds",
    "From an event's commit to its effect in a consumer group (outbox, stream and handler)",
    ["group"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)


# --- Refunds -----------------------------------------------------------------------------------------

REFUND_LATENCY = Histogram(
    "oms_refund_latency_seconds",
    "From a refund's request to the buyer being paid back, by refund type (SLA: 24 h, 48 h, 72 h)",
    ["refund_type"],
    buckets=(60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 48 * 3600, 72 * 3600, 7 * 24 * 3600),
)


def observe_refund_latency(refund_type: str, requested_at: datetime, completed_at: datetime) -> None:
    REFUND_LATENCY.labels(refund_type).observe(max(0.0, (completed_at - requested_at).total_seconds()))


# --- Operations: SLAs, queues, exceptions, the order health index (DOMAIN.md sections 1, 5, 8) -----------

SLA_BREACHES = Counter(
    "oms_sla_breaches_total",
    "SLA clocks that ran out, by kind (order_untouched, exception_unhandled, exception_unresolved,"
    " refund_overdue, shipment_unconfirmed)",
    ["kind"],
)
ORDERS_WAITING = Gauge("oms_orders_waiting", "Orders waiting in a state, by status", ["status"])
ORDERS_OVER_SLA = Gauge("oms_orders_over_sla", "Orders untouched past their SLA (red orders)")
EXCEPTIONS_OPEN = Gauge("oms_exceptions_open", "Open exception orders, by escalation level", ["level"])
HEALTH_INDEX = Gauge("oms_order_health_index", "The order health index, one value per component", ["component"])
HEALTH_INDEX_TARGET = Gauge(
    "oms_order_health_index_target", "The target of each health index component (DOMAIN.md section 8)", ["component"]
)


def record_sla_breach(kind: str) -> None:
    SLA_BREACHES.labels(kind).inc()


STEP_TIME_DEVIATION = "step_time_deviation"
EXCEPTIONS_CLOSED_24H = "exceptions_closed_24h"
CROSS_SYSTEM_CONSISTENCY = "cross_system_consistency"

HEALTH_TARGETS: Mapping[str, tuple[str, float]] = {
    STEP_TIME_DEVIATION: ("<=", 0.15),
    EXCEPTIONS_CLOSED_24H: (">=", 0.92),
    CROSS_SYSTEM_CONSISTENCY: (">=", 1.0),
}
"""Each component's bound: step-time deviation at most 15%, exceptions closed in 24 h at least 92%,
cross-system consistency 100%."""

for _component, (_, _target) in HEALTH_TARGETS.items():
    HEALTH_INDEX_TARGET.labels(_component).set(_target)


@dataclass(frozen=True)
class HealthIndex:
    """The order health index; a component is None when there was nothing to measure."""

    step_time_deviation: float | None
    exceptions_closed_24h: float | None
    cross_system_consistency: float | None

    @classmethod
    def measure(
        cls,
        *,
        step_times: Mapping[str, tuple[float, float]],
        exceptions_due: int,
        exceptions_closed_in_time: int,
        orders_checked: int,
        orders_consistent: int,
    ) -> HealthIndex:
        """``step_times``: step -> (observed typical seconds, standard seconds); the deviation is the mean
        relative distance from the standard. ``exceptions_due``: exceptions opened at least 24 h ago, of
        which ``exceptions_closed_in_time`` closed within 24 h. ``orders_*``: the consistency report's counts."""
        if exceptions_closed_in_time > exceptions_due or orders_consistent > orders_checked:
            raise ValueError("a part cannot exceed its whole")
        deviations = []
        for step, (observed, standard) in step_times.items():
            if standard <= 0 or observed < 0 or not math.isfinite(observed):
                raise ValueError(f"step {step}: times must be finite, the standard positive")
            deviations.append(abs(observed - standard) / standard)
        return cls(
            step_time_deviation=sum(deviations) / len(deviations) if deviations else None,
            exceptions_closed_24h=exceptions_closed_in_time / exceptions_due if exceptions_due else None,
            cross_system_consistency=orders_consistent / orders_checked if orders_checked else None,
        )

    def components(self) -> dict[str, float | None]:
        return {
            STEP_TIME_DEVIATION: self.step_time_deviation,
            EXCEPTIONS_CLOSED_24H: self.exceptions_closed_24h,
            CROSS_SYSTEM_CONSISTENCY: self.cross_system_consistency,
        }

    def within_targets(self) -> dict[str, bool]:
        """Whether each measured component meets its target."""
        met = {}
        for component, value in self.components().items():
            if value is None:
                continue
            bound, target = HEALTH_TARGETS[component]
            measured = round(value, 9)  # (0.2 + 0.1) / 2 is 0.15 for the purpose of a 15% target
            met[component] = measured <= target if bound == "<=" else measured >= target
        return met

    def publish(self, gauge: Gauge = HEALTH_INDEX) -> None:
        """Set the gauge of each measured component (an unmeasured one keeps its last value)."""
        for component, value in self.components().items():
            if value is not None:
                gauge.labels(component).set(value)


# --- Saturation of one process (the runtime records these) ---------------------------------------------

DB_POOL_CONNECTIONS = Gauge(
    "oms_db_pool_connections", "Database connections of this process's pool, by state (in_use, idle)", ["state"]
)
EVENT_LOOP_LAG = Gauge(
    "oms_event_loop_lag_seconds", "How late the event loop ran a timer, last measured (CPU or blocking calls)"
)


def watch_pool(checked_out: Callable[[], int], idle: Callable[[], int]) -> None:
    """Read the pool's counts at every scrape (``engine.pool.checkedout`` and ``checkedin``)."""
    DB_POOL_CONNECTIONS.labels("in_use").set_function(checked_out)
    DB_POOL_CONNECTIONS.labels("idle").set_function(idle)


async def watch_event_loop(stop: asyncio.Event, *, interval: float = 1.0) -> None:
    """A background task: how much later than asked a sleep of ``interval`` wakes up."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        asked = loop.time()
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            EVENT_LOOP_LAG.set(max(0.0, loop.time() - asked - interval))

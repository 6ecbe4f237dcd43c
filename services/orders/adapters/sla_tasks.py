"""The SLA clocks as background tasks of the service process: the sweeper (untouched orders, late shipments,
waiting gauges) and the periodic order health index, both recorded under the suite's metric names."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from services.orders.application.fulfilment_commands import GetOrderHealth, HealthReport
from services.orders.application.sla import WAITING_ORDER, SlaContext, SlaUnitOfWork, SweepResult, order_health, sweep
from shared import metrics
from shared.aio import every


def record_sweep(result: SweepResult) -> None:
    for _ in result.orders_overdue:
        metrics.record_sla_breach("order_untouched")
    for _ in result.shipments_overdue:
        metrics.record_sla_breach("shipment_unconfirmed")
    for status in WAITING_ORDER:
        metrics.ORDERS_WAITING.labels(status.value).set(result.waiting.by_status.get(status, 0))
    metrics.ORDERS_OVER_SLA.set(result.waiting.over_sla)


def record_health(report: HealthReport) -> None:
    # Cross-system consistency is the consistency report's component: left as it is.
    metrics.HealthIndex(report.step_time_deviation, report.exceptions_closed_24h, None).publish()


class SlaSweeper:
    def __init__(self, unit_of_work: Callable[[], SlaUnitOfWork], ctx: SlaContext, interval_seconds: float) -> None:
        self._uow = unit_of_work
        self._ctx = ctx
        self._interval = interval_seconds

    async def sweep(self) -> SweepResult:
        result = await sweep(self._uow, self._ctx)
        record_sweep(result)
        return result

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.sweep, name="orders.sla-sweeper")


class HealthPublisher:
    """Computes the health index of the last 7 days every interval and sets its gauges."""

    def __init__(self, unit_of_work: Callable[[], SlaUnitOfWork], ctx: SlaContext, interval_seconds: float) -> None:
        self._uow = unit_of_work
        self._ctx = ctx
        self._interval = interval_seconds

    async def publish(self) -> HealthReport:
        report = await order_health(GetOrderHealth(), self._uow(), self._ctx)
        record_health(report)
        return report

    async def run(self, stop: asyncio.Event) -> None:
        await every(self._interval, stop, self.publish, name="orders.health-index")

"""SLA clocks: the sweeper that turns untouched orders red (OrderOverdue, once per untouched stretch) and
alerts on unconfirmed shipments (ShipmentOverdue), the counts of waiting orders, one order's clock, and the
order health index of DOMAIN.md section 8."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from services.orders.application.fulfilment_commands import GetOrderHealth, GetOrderSla, HealthReport, OrderSla
from services.orders.application.fulfilment_ports import ShipmentRepository, SlaRepository, WaitingCounts
from services.orders.application.ports import Clock, OrderRepository
from services.orders.domain import events as ev
from services.orders.domain.access import may_access
from services.orders.domain.errors import OrderNotFound
from services.orders.domain.sla import STEPS, WAITING, SlaPolicy, order_clock
from services.orders.domain.values import OrderStatus
from shared import metrics
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import is_valid_id

HEALTH_WINDOW = timedelta(days=7)
HEALTH_MAX_SPAN = timedelta(days=92)
EXCEPTION_ALLOWANCE = timedelta(hours=24)
WAITING_ORDER = tuple(sorted(WAITING, key=lambda s: list(OrderStatus).index(s)))


class SlaUnitOfWork(Protocol):
    orders: OrderRepository
    shipments: ShipmentRepository
    sla: SlaRepository

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    def publish(self, order_id: str, events: Any) -> None: ...

    def publish_shipment(self, shipment_id: str, events: Any) -> None: ...


@dataclass
class SlaContext:
    clock: Clock
    policy: SlaPolicy = field(default_factory=SlaPolicy)
    batch_size: int = 500


@dataclass(frozen=True)
class SweepResult:
    # What this pass alerted (another replica's pass alerts the rest).
    orders_overdue: tuple[str, ...]
    shipments_overdue: tuple[str, ...]
    waiting: WaitingCounts


async def sweep(unit_of_work: Callable[[], SlaUnitOfWork], ctx: SlaContext) -> SweepResult:
    """One pass: alert every newly untouched order and every newly late shipment (batch by batch, each
    batch claimed and alerted in one transaction), then refresh the waiting gauges."""
    now = ctx.clock()
    threshold = ctx.policy.untouched
    orders_overdue: list[str] = []
    shipments_overdue: list[str] = []
    while True:
        async with unit_of_work() as uow:
            untouched = await uow.sla.claim_untouched(WAITING_ORDER, now - threshold, now, ctx.batch_size)
            for order in untouched:
                event = ev.OrderOverdue(
                    order.order_id,
                    order.status,
                    order.untouched_since,
                    now,
                    int(threshold.total_seconds()),
                    order.order_type,
                )
                uow.publish(order.order_id, [event])
            await uow.commit()
        orders_overdue.extend(order.order_id for order in untouched)
        if len(untouched) < ctx.batch_size:
            break
    while True:
        async with unit_of_work() as uow:
            late = await uow.shipments.claim_overdue(now, ctx.batch_size)
            for shipment in late:
                uow.publish_shipment(shipment.shipment_id, [ev.ShipmentOverdue(shipment, now)])
            await uow.commit()
        shipments_overdue.extend(shipment.shipment_id for shipment in late)
        if len(late) < ctx.batch_size:
            break
    async with unit_of_work() as uow:
        waiting = await uow.sla.waiting_counts(WAITING_ORDER, now - threshold)
    return SweepResult(tuple(orders_overdue), tuple(shipments_overdue), waiting)


async def order_sla(query: GetOrderSla, uow: SlaUnitOfWork, ctx: SlaContext) -> OrderSla:
    if not is_valid_id(query.order_id):
        raise InvalidArgument.field("order_id", "must be a UUID")
    async with uow:
        order = await uow.orders.get(query.order_id)
    if order is None or not may_access(query.channels, order.channel):
        raise OrderNotFound(query.order_id)
    now = ctx.clock()
    red = order.status in WAITING and now - order.updated_at >= ctx.policy.untouched
    return OrderSla(order_clock(order, ctx.policy, now, overdue=red))


def _window(query: GetOrderHealth, now: datetime) -> tuple[datetime, datetime]:
    before = query.created_before or now
    after = query.created_after or before - HEALTH_WINDOW
    if before <= after:
        raise InvalidArgument.field("created_before", "must be after created_after")
    if before - after > HEALTH_MAX_SPAN:
        raise InvalidArgument.field(
            "created_before", f"must be at most {HEALTH_MAX_SPAN.days} days after created_after"
        )
    return after, before


async def order_health(query: GetOrderHealth, uow: SlaUnitOfWork, ctx: SlaContext) -> HealthReport:
    """The step-time deviation and the exceptions closed in 24 hours over the orders created in the window
    (cross-system consistency is the daily consistency report's, not measured here)."""
    now = ctx.clock()
    after, before = _window(query, now)
    standards = {(step, rush): ctx.policy.standard(step, rush) for step in STEPS for rush in (False, True)}
    async with uow:
        steps = await uow.sla.step_stats(after, before, standards)
        exceptions = await uow.sla.exceptions(after, before, now - EXCEPTION_ALLOWANCE, EXCEPTION_ALLOWANCE)
    measured = [s for s in steps if s.orders]
    # HealthIndex measures |observed - standard| / standard: an observed time of standard x (1 + overrun)
    # hands it each step's mean overrun, so finishing early never counts as a deviation.
    index = metrics.HealthIndex.measure(
        step_times={
            f"{s.step}{':rush' if s.rush else ''}": (s.standard_seconds * (1 + s.deviation), s.standard_seconds)
            for s in measured
        },
        exceptions_due=exceptions.due,
        exceptions_closed_in_time=exceptions.closed_in_time,
        orders_checked=0,
        orders_consistent=0,
    )
    return HealthReport(
        created_after=after,
        created_before=before,
        steps=tuple(steps),
        step_time_deviation=index.step_time_deviation,
        exceptions_due=exceptions.due,
        exceptions_closed_in_time=exceptions.closed_in_time,
        exceptions_closed_24h=index.exceptions_closed_24h,
        within_targets=index.within_targets(),
    )

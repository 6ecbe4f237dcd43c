"""SLA clocks: the step an order waits in and its standard time, the time spent in each state (from the
status history), and the order health index's step-time deviation.

Steps and the states they cover: review (PAID, UNDER_REVIEW), allocation (APPROVED), picking (ALLOCATED:
waiting for a warehouse to take it), shipping (PICKING: claimed, until the tracking number is scanned).
Time ON_HOLD or in EXCEPTION counts toward the step the order was held in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.orders.domain.model import HOLD_STATES, Order
from services.orders.domain.values import OrderStatus, OrderType, StatusChange

S = OrderStatus
REVIEW, ALLOCATION, PICKING, SHIPPING = "review", "allocation", "picking", "shipping"
STEPS = (REVIEW, ALLOCATION, PICKING, SHIPPING)
STEP_OF: Mapping[OrderStatus, str] = {
    S.PAID: REVIEW,
    S.UNDER_REVIEW: REVIEW,
    S.APPROVED: ALLOCATION,
    S.ALLOCATED: PICKING,
    S.PICKING: SHIPPING,
}
# Where an order waits for someone of the merchant's: untouched there past the threshold, it turns red.
# PENDING_PAYMENT waits for the buyer; PICKING has the shipment's own deadline (ShipmentOverdue).
WAITING = frozenset({S.PAID, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED, S.ON_HOLD, S.EXCEPTION})


def _minutes(**steps: float) -> dict[str, timedelta]:
    return {step: timedelta(minutes=minutes) for step, minutes in steps.items()}


@dataclass(frozen=True)
class SlaPolicy:
    """The standard time of each step (DOMAIN.md: review 30 min, allocation 1 h, picking 4 h, shipping
    24 h; rush orders shorter) and how long an order may wait untouched (30 min)."""

    standards: Mapping[str, timedelta] = field(
        default_factory=lambda: _minutes(review=30, allocation=60, picking=240, shipping=1440)
    )
    rush_standards: Mapping[str, timedelta] = field(
        default_factory=lambda: _minutes(review=10, allocation=15, picking=60, shipping=240)
    )
    untouched: timedelta = timedelta(minutes=30)

    def standard(self, step: str, rush: bool) -> timedelta:
        return (self.rush_standards if rush else self.standards)[step]


def step_entries(history: Sequence[StatusChange]) -> list[str | None]:
    """The step each history entry belongs to: its state's step, or for a hold the step held in."""
    steps: list[str | None] = []
    current: str | None = None
    for change in history:
        if change.to_status in HOLD_STATES:
            steps.append(current)
            continue
        current = STEP_OF.get(change.to_status)
        steps.append(current)
    return steps


def time_in_states(history: Sequence[StatusChange], now: datetime) -> list[tuple[OrderStatus, float]]:
    """Seconds spent in each state, every stay added up, in the order the states were first entered; the
    current stay counts up to ``now``."""
    spent: dict[OrderStatus, float] = {}
    for index, change in enumerate(history):
        left = history[index + 1].changed_at if index + 1 < len(history) else max(now, change.changed_at)
        spent[change.to_status] = spent.get(change.to_status, 0.0) + (left - change.changed_at).total_seconds()
    return list(spent.items())


@dataclass(frozen=True)
class OrderClock:
    order_id: str
    status: OrderStatus
    step: str
    standard: timedelta
    step_started_at: datetime | None
    untouched_since: datetime
    overdue: bool
    state_times: tuple[tuple[OrderStatus, float], ...]

    @property
    def due_at(self) -> datetime | None:
        return None if self.step_started_at is None else self.step_started_at + self.standard


def order_clock(order: Order, policy: SlaPolicy, now: datetime, *, overdue: bool) -> OrderClock:
    history = order.history
    steps = step_entries(history)
    step = steps[-1] if steps and history[-1].to_status not in (S.CANCELLED, S.COMPLETED) else None
    started: datetime | None = None
    if step is not None:
        # The step started with the first entry of the last unbroken run of entries in that step.
        index = len(history) - 1
        while index > 0 and steps[index - 1] == step:
            index -= 1
        started = history[index].changed_at
    return OrderClock(
        order_id=order.order_id,
        status=order.status,
        step=step or "",
        standard=policy.standard(step, order.order_type is OrderType.RUSH) if step else timedelta(0),
        step_started_at=started,
        untouched_since=order.updated_at,
        overdue=overdue,
        state_times=tuple(time_in_states(history, now)),
    )


@dataclass(frozen=True)
class StepStats:
    """How long the orders of one kind (rush or not) took in one step, against its standard."""

    step: str
    rush: bool
    orders: int
    median_seconds: float
    mean_seconds: float
    standard_seconds: int
    over_standard: int
    # The mean of max(0, took - standard) / standard over the orders: finishing early is no deviation, a
    # standard time being the time a step may take at most.
    deviation: float

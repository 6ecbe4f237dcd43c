"""What the review, allocation, shipment and SLA use cases need from the outside: repositories of rule
sets, review decisions, shipments and SLA facts inside the unit of work, and inventory's stock."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.orders.domain.review import ReviewDecision, ReviewOutcome
from services.orders.domain.routing import StockView
from services.orders.domain.shipments import Shipment, ShipmentLine, ShipmentStatus
from services.orders.domain.sla import StepStats
from services.orders.domain.values import Actor, Channel, OrderStatus, OrderType


class RuleKind(enum.Enum):
    REVIEW = "REVIEW"
    ROUTING = "ROUTING"


@dataclass(frozen=True)
class StoredRuleSet:
    kind: RuleKind
    version: int
    rules: str
    note: str
    created_by: Actor
    created_at: datetime
    active: bool
    activated_by: Actor | None = None
    activated_at: datetime | None = None


@dataclass(frozen=True)
class RuleSetHead:
    latest_version: int
    active_version: int | None


class RuleRepository(Protocol):
    async def add(self, kind: RuleKind, rules: str, note: str, actor: Actor, now: datetime) -> StoredRuleSet:
        """Store the next version of ``kind`` (numbered by one conditional update of the head row)."""
        ...

    async def activate(self, kind: RuleKind, version: int, actor: Actor, now: datetime) -> StoredRuleSet | None:
        """Make ``version`` the active one and log the activation; None when there is no such version."""
        ...

    async def get(self, kind: RuleKind, version: int) -> StoredRuleSet | None: ...

    async def head(self, kind: RuleKind, *, lock: bool = False) -> RuleSetHead:
        """The newest and the active version; ``lock`` holds the head row until the transaction ends."""
        ...


@dataclass(frozen=True)
class RecordedVerdict:
    """The latest recorded review of an order, as the dry run compares with it."""

    outcome: ReviewOutcome
    queue: str


class ReviewDecisionRepository(Protocol):
    async def record(self, decisions: Sequence[ReviewDecision]) -> None: ...

    async def latest(self, order_ids: Sequence[str]) -> dict[str, RecordedVerdict]: ...


@dataclass(frozen=True)
class ShipmentFilter:
    warehouse_code: str | None = None
    statuses: tuple[ShipmentStatus, ...] = ()
    order_id: str | None = None
    # Only shipments whose orders are all of these channels (empty: any); set from the caller's limits.
    channels: tuple[Channel, ...] = ()


@dataclass(frozen=True)
class QueuePosition:
    """A place in a warehouse's queue: rush first, then paid time, then id."""

    rush: bool
    paid_at: datetime
    shipment_id: str


class ShipmentRepository(Protocol):
    async def add(self, shipment: Shipment) -> None: ...

    async def mergeable(
        self, warehouse_code: str, merge_key: str, paid_from: datetime, paid_to: datetime
    ) -> Shipment | None:
        """An unclaimed shipment of the warehouse with this key, paid in the window, whose orders are all
        ALLOCATED; its row locked."""
        ...

    async def merge_into(
        self, shipment_id: str, lines: Sequence[ShipmentLine], rush: bool, paid_at: datetime, now: datetime
    ) -> None: ...

    async def get(self, shipment_id: str, *, lock: bool = False) -> Shipment | None: ...

    async def of_orders(self, order_ids: Sequence[str]) -> list[Shipment]:
        """Every shipment carrying a line of one of these orders, whatever its status."""
        ...

    async def save(self, before: Shipment, after: Shipment) -> None:
        """Persist a claim or confirmation of ``before`` (loaded under lock), guarded by its status."""
        ...

    async def list(self, query: ShipmentFilter, after: QueuePosition | None, limit: int) -> list[Shipment]: ...

    async def detach_order(self, order_id: str, now: datetime) -> None:
        """Take a cancelled order's lines out of its unshipped shipments; a shipment left empty is cancelled."""
        ...

    async def claim_overdue(self, now: datetime, limit: int) -> list[Shipment]:
        """Mark claimed shipments past their deadline overdue, each once; returns those this call marked."""
        ...


@dataclass(frozen=True)
class UntouchedOrder:
    order_id: str
    status: OrderStatus
    untouched_since: datetime
    order_type: OrderType


@dataclass(frozen=True)
class WaitingCounts:
    by_status: dict[OrderStatus, int]
    # Of those, untouched past the threshold (red).
    over_sla: int


@dataclass(frozen=True)
class ExceptionCounts:
    due: int
    closed_in_time: int


class SlaRepository(Protocol):
    async def claim_untouched(
        self, statuses: Sequence[OrderStatus], cutoff: datetime, now: datetime, limit: int
    ) -> list[UntouchedOrder]:
        """Orders in ``statuses`` untouched since ``cutoff`` or earlier whose current untouched stretch has
        not raised an alert yet, recorded as alerted by this call (each stretch once, whatever the replicas)."""
        ...

    async def waiting_counts(self, statuses: Sequence[OrderStatus], cutoff: datetime) -> WaitingCounts: ...

    async def step_stats(
        self, created_after: datetime, created_before: datetime, standards: dict[tuple[str, bool], timedelta]
    ) -> list[StepStats]: ...

    async def exceptions(
        self, created_after: datetime, created_before: datetime, due_before: datetime, allowed: timedelta
    ) -> ExceptionCounts: ...


class StockPort(Protocol):
    async def stock_view(self, order_id: str, skus: Sequence[str]) -> StockView:
        """Warehouses taking work, free stock of ``skus`` per warehouse, and what the order itself holds."""
        ...

    async def lapsed_hold(self, order_id: str) -> str:
        """Why the order's stock is no longer held (e.g. "no reservation", "RELEASED"); empty while it is."""
        ...

    async def confirm(self, order_id: str) -> None:
        """Turn the order's reservation into shipped stock (raises StockRefused or InventoryUnavailable)."""
        ...

    async def move_hold(
        self, request_id: str, order_id: str, sku: str, from_warehouse: str, to_warehouse: str, reason: str
    ) -> None:
        """Move what the order's reservation holds of ``sku`` from one warehouse to another (by code), idempotent
        on ``request_id``; raises StockRefused when inventory will not (it moved nothing) or InventoryUnavailable
        when the outcome is unknown."""
        ...


class AllocationGuard(Protocol):
    """``async with guard(order_id) as alone``: ``alone`` is whether this caller is the only one allocating the
    order until the block ends (another holder means False at once, never a wait)."""

    def __call__(self, order_id: str) -> AbstractAsyncContextManager[bool]: ...

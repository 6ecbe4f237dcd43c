"""Commands, queries and results of review rules, allocation, shipments and SLA clocks: frozen dataclasses,
serialisable for idempotent replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.orders.application.fulfilment_ports import RuleKind, ShipmentFilter, StoredRuleSet
from services.orders.domain.model import Order
from services.orders.domain.review import ReviewOutcome
from services.orders.domain.shipments import Shipment
from services.orders.domain.sla import OrderClock, StepStats
from services.orders.domain.values import Actor


@dataclass(frozen=True)
class SetRules:
    request_id: str
    kind: RuleKind
    rules_json: str
    note: str
    actor: Actor


@dataclass(frozen=True)
class ActivateRules:
    request_id: str
    kind: RuleKind
    version: int
    actor: Actor


@dataclass(frozen=True)
class GetRules:
    kind: RuleKind
    # 0: the active version.
    version: int = 0


@dataclass(frozen=True)
class RuleSetView:
    rule_set: StoredRuleSet
    active_version: int
    latest_version: int


@dataclass(frozen=True)
class DryRunReview:
    """Exactly one source of rules, or neither for the active version."""

    rules_json: str | None
    version: int | None
    created_after: datetime | None
    created_before: datetime | None


@dataclass(frozen=True)
class RuleTally:
    rule_id: str
    outcome: ReviewOutcome
    queue: str
    orders: int


@dataclass(frozen=True)
class DryRunResult:
    version: int
    orders_evaluated: int
    truncated: bool
    tallies: tuple[RuleTally, ...]
    decided_differently: int

    def count(self, outcome: ReviewOutcome) -> int:
        return sum(t.orders for t in self.tallies if t.outcome is outcome)


@dataclass(frozen=True)
class AllocateOrder:
    request_id: str
    order_id: str
    actor: Actor
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllocationResult:
    order: Order
    shipments: tuple[Shipment, ...]


@dataclass(frozen=True)
class ListShipments:
    filter: ShipmentFilter
    page_size: int = 0
    page_token: str = ""
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShipmentPage:
    shipments: tuple[Shipment, ...]
    next_page_token: str


@dataclass(frozen=True)
class ClaimShipment:
    request_id: str
    shipment_id: str
    actor: Actor
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfirmShipment:
    request_id: str
    shipment_id: str
    tracking_number: str
    actor: Actor
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShipmentResult:
    shipment: Shipment
    orders: tuple[Order, ...]


@dataclass(frozen=True)
class GetOrderSla:
    order_id: str
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderSla:
    clock: OrderClock


@dataclass(frozen=True)
class GetOrderHealth:
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class HealthReport:
    created_after: datetime
    created_before: datetime
    steps: tuple[StepStats, ...]
    step_time_deviation: float | None
    exceptions_due: int
    exceptions_closed_in_time: int
    exceptions_closed_24h: float | None
    within_targets: dict[str, bool]

"""Domain events of orders (past tense); adapters/events.py turns them into the integration protos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from services.orders.domain.values import Actor, Address, Channel, OrderStatus, OrderType
from shared.kernel.money import Money

if TYPE_CHECKING:
    from services.orders.domain.model import Order
    from services.orders.domain.review import ReviewDecision
    from services.orders.domain.shipments import Shipment


@dataclass(frozen=True)
class OrderCreated:
    order: Order


@dataclass(frozen=True)
class OrderPaid:
    order_id: str
    payment_id: str
    paid_amount: Money
    paid_at: datetime
    customer_id: str
    channel: Channel


@dataclass(frozen=True)
class OrderStatusChanged:
    order_id: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    changed_at: datetime
    actor: Actor
    reason: str
    tracking_number: str = ""
    resume_status: OrderStatus | None = None


@dataclass(frozen=True)
class OrderCancelled:
    order_id: str
    from_status: OrderStatus
    reason: str
    cancelled_at: datetime
    actor: Actor
    payment_id: str = ""


@dataclass(frozen=True)
class OrderFlagged:
    order_id: str
    reason: str
    detail: str
    flagged_at: datetime
    resume_status: OrderStatus | None
    total: Money | None = None
    expected_total: Money | None = None


@dataclass(frozen=True)
class OrderShippingAddressChanged:
    order_id: str
    shipping_address: Address
    changed_at: datetime
    actor: Actor
    reason: str


@dataclass(frozen=True)
class OrderReviewed:
    decision: ReviewDecision


@dataclass(frozen=True)
class OrderAllocated:
    order_id: str
    shipments: tuple[Shipment, ...]
    allocated_at: datetime

    @property
    def split(self) -> bool:
        return len({s.warehouse_code for s in self.shipments}) > 1


@dataclass(frozen=True)
class OrderOverdue:
    order_id: str
    status: OrderStatus
    untouched_since: datetime
    detected_at: datetime
    threshold_seconds: int
    order_type: OrderType


DomainEvent = (
    OrderCreated
    | OrderPaid
    | OrderStatusChanged
    | OrderCancelled
    | OrderFlagged
    | OrderShippingAddressChanged
    | OrderReviewed
    | OrderAllocated
    | OrderOverdue
)


# Events of a shipment (aggregate "shipment"), which may carry several orders.


@dataclass(frozen=True)
class ShipmentClaimed:
    shipment: Shipment


@dataclass(frozen=True)
class ShipmentConfirmed:
    shipment: Shipment
    shipped_order_ids: tuple[str, ...]


@dataclass(frozen=True)
class ShipmentOverdue:
    shipment: Shipment
    detected_at: datetime


ShipmentEvent = ShipmentClaimed | ShipmentConfirmed | ShipmentOverdue

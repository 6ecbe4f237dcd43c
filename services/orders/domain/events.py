"""Domain events of orders (past tense); adapters/events.py turns them into the integration protos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from services.orders.domain.values import Actor, Address, Channel, OrderStatus
from shared.kernel.money import Money

if TYPE_CHECKING:
    from services.orders.domain.model import Order


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


DomainEvent = (
    OrderCreated | OrderPaid | OrderStatusChanged | OrderCancelled | OrderFlagged | OrderShippingAddressChanged
)

"""Commands, queries and results of orders: frozen dataclasses, serialisable for idempotent replay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.orders.domain.model import Order, OrderDraft
from services.orders.domain.values import Actor, Channel, OrderStatus
from shared.kernel.money import Money


@dataclass(frozen=True)
class CreateOrder:
    request_id: str
    draft: OrderDraft
    actor: Actor
    # The caller's channel limits (empty: none); placing an order of another channel is refused.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreateOrderResult:
    order: Order
    # False when (channel, channel_order_id) already existed and that order is returned.
    created: bool


@dataclass(frozen=True)
class MarkOrderPaid:
    request_id: str
    order_id: str
    payment_id: str
    paid_amount: Money
    actor: Actor
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class CancelOrder:
    request_id: str
    order_id: str
    reason: str
    actor: Actor
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class TransitionOrder:
    request_id: str
    order_id: str
    target_status: OrderStatus
    reason: str
    tracking_number: str
    actor: Actor
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class GetOrder:
    order_id: str
    # The caller's channel limits (empty: none); an order of another channel is NOT_FOUND to it.
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderFilter:
    """What ListOrders matches; every criterion is optional and they combine with AND."""

    statuses: tuple[OrderStatus, ...] = ()
    channel: Channel | None = None
    customer_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    oldest_first: bool = False
    # Only orders of these channels (empty: any); set from the caller's limits, never from the request.
    channels: tuple[Channel, ...] = ()


@dataclass(frozen=True)
class ListOrders:
    filter: OrderFilter
    page_size: int = 0
    page_token: str = ""
    # The caller's channel limits (empty: none).
    caller_channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrderPage:
    orders: tuple[Order, ...]
    next_page_token: str

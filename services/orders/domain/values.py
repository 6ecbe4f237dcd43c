"""Value objects of orders: channels, types, statuses, addresses, lines and history entries."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from shared.kernel.money import Money


class Channel(enum.Enum):
    OWN_SITE = "OWN_SITE"
    TMALL = "TMALL"
    JD = "JD"
    DOUYIN = "DOUYIN"
    PINDUODUO = "PINDUODUO"
    SHOPIFY = "SHOPIFY"


class OrderType(enum.Enum):
    REGULAR = "REGULAR"
    RUSH = "RUSH"
    SAMPLE = "SAMPLE"


class OrderStatus(enum.Enum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    UNDER_REVIEW = "UNDER_REVIEW"
    APPROVED = "APPROVED"
    ALLOCATED = "ALLOCATED"
    PICKING = "PICKING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    ON_HOLD = "ON_HOLD"
    EXCEPTION = "EXCEPTION"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user id or service account, and the role it acted in."""

    subject: str
    role: str


@dataclass(frozen=True)
class Address:
    recipient: str = ""
    phone: str = ""
    country: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    detail: str = ""
    postal_code: str = ""


@dataclass(frozen=True)
class LineInput:
    """A line as a caller asks for it; a missing ``unit_price`` or ``discount`` is zero."""

    sku: str
    quantity: int
    unit_price: Money | None
    discount: Money | None = None


@dataclass(frozen=True)
class OrderLine:
    line_no: int
    sku: str
    quantity: int
    unit_price: Money
    discount: Money

    @property
    def gross(self) -> Money:
        return self.unit_price * self.quantity

    @property
    def line_total(self) -> Money:
        return self.gross - self.discount


@dataclass(frozen=True)
class StatusChange:
    """One entry of the history; ``from_status`` is None for the creation entry."""

    from_status: OrderStatus | None
    to_status: OrderStatus
    changed_at: datetime
    actor: Actor
    reason: str

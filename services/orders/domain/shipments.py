"""Shipments: what one warehouse sends in one parcel. An order keeps its one id and its lines are spread
over shipments (split across warehouses, or merged with other orders of the same buyer and address).

PENDING -> CLAIMED (a warehouse subject takes it; everyone else sees it read-only; a confirmation deadline
starts) -> SHIPPED (only with a tracking number, only by the claimant); PENDING / CLAIMED -> CANCELLED
when every order in it was cancelled.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from services.orders.domain.errors_fulfilment import AlreadyClaimed, ShipmentNotClaimed
from services.orders.domain.model import Order
from services.orders.domain.values import Actor, OrderStatus, OrderType
from shared.kernel.errors import InvalidArgument, InvalidTransition

TRACKING_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{0,63}")
# The states in which an order's goods may be picked and leave.
SHIPPABLE = frozenset({OrderStatus.ALLOCATED, OrderStatus.PICKING})


class ShipmentStatus(enum.Enum):
    PENDING = "PENDING"
    CLAIMED = "CLAIMED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class ShipmentLine:
    order_id: str
    line_no: int
    sku: str
    quantity: int


@dataclass(frozen=True)
class ShipmentDeadlines:
    """How long after a claim a shipment must be confirmed (DOMAIN.md: 24 hours, rush orders 4)."""

    regular: timedelta = timedelta(hours=24)
    rush: timedelta = timedelta(hours=4)

    def after_claim(self, rush: bool) -> timedelta:
        return self.rush if rush else self.regular


@dataclass(frozen=True)
class Shipment:
    shipment_id: str
    warehouse_code: str
    status: ShipmentStatus
    lines: tuple[ShipmentLine, ...]
    rush: bool
    paid_at: datetime
    # None: never merged with anything (e.g. it carries a presale SKU).
    merge_key: str | None
    created_at: datetime
    updated_at: datetime
    claimed_by: Actor | None = None
    claimed_at: datetime | None = None
    confirm_by: datetime | None = None
    tracking_number: str = ""
    shipped_at: datetime | None = None
    shipped_by: Actor | None = None
    overdue_at: datetime | None = None
    order_ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.order_ids:
            object.__setattr__(self, "order_ids", tuple(sorted({line.order_id for line in self.lines})))

    def claim(self, actor: Actor, now: datetime, deadlines: ShipmentDeadlines) -> Shipment:
        """Take the shipment for ``actor``; the same subject claiming again gets it back unchanged."""
        if self.status is ShipmentStatus.PENDING:
            return replace(
                self,
                status=ShipmentStatus.CLAIMED,
                claimed_by=actor,
                claimed_at=now,
                confirm_by=now + deadlines.after_claim(self.rush),
                updated_at=now,
            )
        if self.status is not ShipmentStatus.CLAIMED:
            raise self._invalid(ShipmentStatus.CLAIMED)
        self.check_claimant(actor)
        return self

    def check_claimant(self, actor: Actor) -> None:
        if self.claimed_by is None:
            raise ShipmentNotClaimed(self.shipment_id)
        if self.claimed_by.subject != actor.subject:
            raise AlreadyClaimed(self.shipment_id, self.claimed_by.subject)

    def confirm(self, tracking_number: str, actor: Actor, now: datetime) -> Shipment:
        """CLAIMED -> SHIPPED by its claimant; a SHIPPED shipment confirmed again with its own number is
        returned unchanged."""
        check_tracking_number(tracking_number)
        if self.status is ShipmentStatus.CANCELLED:
            raise self._invalid(ShipmentStatus.SHIPPED)
        self.check_claimant(actor)
        if self.status is ShipmentStatus.SHIPPED:
            if self.tracking_number != tracking_number:
                raise self._invalid(ShipmentStatus.SHIPPED)
            return self
        return replace(
            self,
            status=ShipmentStatus.SHIPPED,
            tracking_number=tracking_number,
            shipped_at=now,
            shipped_by=actor,
            updated_at=now,
        )

    def _invalid(self, target: ShipmentStatus) -> InvalidTransition:
        return InvalidTransition("shipment", self.shipment_id, self.status.value, target.value)


def check_tracking_number(value: str) -> None:
    if not value.strip():
        raise InvalidArgument.field("tracking_number", "is required: a shipment is confirmed by its scanned number")
    if not TRACKING_NUMBER.fullmatch(value):
        raise InvalidArgument.field("tracking_number", "must be 1-64 letters, digits or '-'")


def is_rush(order: Order) -> bool:
    return order.order_type is OrderType.RUSH


def paid_at(order: Order) -> datetime:
    """When the order was paid (its first move into PAID); its creation for an order never seen paid."""
    return next((c.changed_at for c in order.history if c.to_status is OrderStatus.PAID), order.created_at)

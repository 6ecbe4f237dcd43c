"""Domain events of the inventory context (mapped to the oms.inventory.v1 integration events at the edge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.inventory.domain.model import Movement, Reservation, StockLevel


@dataclass(frozen=True)
class StockReserved:
    reservation: Reservation


@dataclass(frozen=True)
class ReservationCommitted:
    reservation: Reservation


@dataclass(frozen=True)
class ReservationReleased:
    reservation: Reservation


@dataclass(frozen=True)
class ReservationConfirmed:
    reservation: Reservation


@dataclass(frozen=True)
class ReservationExpired:
    reservation: Reservation


@dataclass(frozen=True)
class ReservationMoved:
    """``reservation`` (as the move left it) now holds ``quantity`` of ``sku`` in ``to_warehouse_id``."""

    reservation: Reservation
    sku: str
    quantity: int
    from_warehouse_id: str
    to_warehouse_id: str
    reason: str
    moved_at: datetime


@dataclass(frozen=True)
class StockAdjusted:
    movement: Movement
    stock: StockLevel


@dataclass(frozen=True)
class SkuPaused:
    sku: str
    failures: int
    window_seconds: int
    paused_at: datetime


@dataclass(frozen=True)
class SkuResumed:
    sku: str
    note: str
    resumed_at: datetime


@dataclass(frozen=True)
class StockPressureHigh:
    sku: str
    reserved: int
    available: int
    threshold_percent: int


DomainEvent = (
    StockReserved
    | ReservationCommitted
    | ReservationReleased
    | ReservationConfirmed
    | ReservationExpired
    | ReservationMoved
    | StockAdjusted
    | SkuPaused
    | SkuResumed
    | StockPressureHigh
)

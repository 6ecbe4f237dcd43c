"""Commands, queries and their results (frozen dataclasses; results are what idempotent replays return)."""

from __future__ import annotations

from dataclasses import dataclass

from services.inventory.domain.model import (
    Movement,
    RequestedLine,
    Reservation,
    ReservationStatus,
    SkuAvailability,
    SkuStatus,
    StockLevel,
    Warehouse,
)


@dataclass(frozen=True)
class UpsertWarehouse:
    request_id: str
    code: str
    name: str
    provinces: tuple[str, ...]
    disabled: bool = False


@dataclass(frozen=True)
class ReceiveStock:
    request_id: str
    warehouse_id: str
    sku: str
    quantity: int
    reference: str = ""


@dataclass(frozen=True)
class AdjustStock:
    """Exactly one of ``delta`` and ``set_on_hand``."""

    request_id: str
    warehouse_id: str
    sku: str
    delta: int | None
    set_on_hand: int | None
    reason: str


@dataclass(frozen=True)
class SetSafetyStock:
    request_id: str
    warehouse_id: str
    sku: str
    safety_stock: int


@dataclass(frozen=True)
class RestockReturn:
    request_id: str
    warehouse_id: str
    sku: str
    quantity: int
    order_id: str
    reference: str = ""


@dataclass(frozen=True)
class ReserveStock:
    """``ttl_seconds`` 0 means the configured default."""

    request_id: str
    order_id: str
    lines: tuple[RequestedLine, ...]
    ttl_seconds: int = 0
    preferred_warehouse_id: str = ""
    shipping_province: str = ""


@dataclass(frozen=True)
class OrderToReserve:
    """One order of a ReserveMany: a ReserveStock without its own idempotency key (the batch's is used)."""

    order_id: str
    lines: tuple[RequestedLine, ...]
    ttl_seconds: int = 0
    preferred_warehouse_id: str = ""
    shipping_province: str = ""


@dataclass(frozen=True)
class ReserveMany:
    request_id: str
    orders: tuple[OrderToReserve, ...]


@dataclass(frozen=True)
class CommitReservation:
    request_id: str
    order_id: str


@dataclass(frozen=True)
class ConfirmReservation:
    request_id: str
    order_id: str


@dataclass(frozen=True)
class ReleaseReservation:
    request_id: str
    order_id: str
    reason: str = ""


@dataclass(frozen=True)
class MoveReservation:
    request_id: str
    order_id: str
    sku: str
    from_warehouse_id: str
    to_warehouse_id: str
    reason: str = ""


@dataclass(frozen=True)
class ResumeSku:
    request_id: str
    sku: str
    note: str = ""


@dataclass(frozen=True)
class Page:
    """A page request: ``after`` is the cursor (an id) the previous page ended on."""

    size: int = 50
    after: str | None = None


@dataclass(frozen=True)
class ListReservations:
    order_id: str = ""
    sku: str = ""
    status: ReservationStatus | None = None
    page: Page = Page()


@dataclass(frozen=True)
class ListStockMovements:
    sku: str = ""
    warehouse_id: str = ""
    order_id: str = ""
    page: Page = Page()


@dataclass(frozen=True)
class WarehouseResult:
    warehouse: Warehouse
    created: bool


@dataclass(frozen=True)
class StockChange:
    stock: StockLevel
    movement: Movement


@dataclass(frozen=True)
class ReserveResult:
    reservation: Reservation
    created: bool


@dataclass(frozen=True)
class ReserveRefusal:
    """The error Reserve would have raised for one order of a ReserveMany, as data."""

    code: str
    reason: str
    message: str
    metadata: dict[str, str]
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReserveOutcome:
    """One order of a ReserveMany: its reservation (``created`` False when it had it already) or its refusal."""

    order_id: str
    reservation: Reservation | None = None
    created: bool = False
    refusal: ReserveRefusal | None = None


@dataclass(frozen=True)
class ReserveManyResult:
    results: tuple[ReserveOutcome, ...]


@dataclass(frozen=True)
class ReservationResult:
    reservation: Reservation


@dataclass(frozen=True)
class SkuStatusResult:
    status: SkuStatus


@dataclass(frozen=True)
class Availability:
    items: tuple[SkuAvailability, ...]


@dataclass(frozen=True)
class ReconcileReport:
    gate_enabled: bool
    sold_out_skus: int = 0
    paused_skus: int = 0
    markers_set: int = 0
    markers_removed: int = 0

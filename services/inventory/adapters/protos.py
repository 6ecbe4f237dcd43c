"""Conversions between the inventory domain and its protobuf messages (both directions), and page tokens."""

from __future__ import annotations

import base64
import binascii

from oms.inventory.v1 import inventory_pb2

from services.inventory.application.commands import Page, ReserveOutcome
from services.inventory.domain.model import (
    Movement,
    MovementType,
    Reservation,
    ReservationStatus,
    SkuAvailability,
    SkuStatus,
    StockLevel,
    Warehouse,
)
from shared.grpc.convert import timestamp_out as timestamp
from shared.kernel.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def warehouse_out(warehouse: Warehouse) -> inventory_pb2.Warehouse:
    return inventory_pb2.Warehouse(
        warehouse_id=warehouse.warehouse_id,
        code=warehouse.code,
        name=warehouse.name,
        provinces=list(warehouse.provinces),
        disabled=warehouse.disabled,
        created_at=timestamp(warehouse.created_at),
        updated_at=timestamp(warehouse.updated_at),
    )


def level_out(level: StockLevel) -> inventory_pb2.StockLevel:
    return inventory_pb2.StockLevel(
        warehouse_id=level.warehouse_id,
        sku=level.sku,
        on_hand=level.on_hand,
        reserved=level.reserved,
        safety_stock=level.safety_stock,
        available=level.available,
        updated_at=timestamp(level.updated_at),
    )


def movement_type_out(value: MovementType) -> inventory_pb2.MovementType.ValueType:
    return inventory_pb2.MovementType.Value(f"MOVEMENT_TYPE_{value.value}")


def movement_out(movement: Movement) -> inventory_pb2.StockMovement:
    return inventory_pb2.StockMovement(
        movement_id=movement.movement_id,
        warehouse_id=movement.warehouse_id,
        sku=movement.sku,
        type=movement_type_out(movement.type),
        on_hand_delta=movement.on_hand_delta,
        reserved_delta=movement.reserved_delta,
        on_hand_after=movement.on_hand_after,
        reserved_after=movement.reserved_after,
        safety_stock_after=movement.safety_stock_after,
        reason=movement.reason,
        reference=movement.reference,
        order_id=movement.order_id or "",
        reservation_id=movement.reservation_id or "",
        request_id=movement.request_id,
        occurred_at=timestamp(movement.occurred_at),
    )


def reservation_status_out(status: ReservationStatus) -> inventory_pb2.ReservationStatus.ValueType:
    return inventory_pb2.ReservationStatus.Value(f"RESERVATION_STATUS_{status.value}")


def reservation_status_in(value: int, field: str = "status") -> ReservationStatus | None:
    """None for UNSPECIFIED (no filter); an unknown number is bad input."""
    if value == inventory_pb2.RESERVATION_STATUS_UNSPECIFIED:
        return None
    try:
        name = inventory_pb2.ReservationStatus.Name(value)
    except ValueError:
        raise InvalidArgument.field(field, f"unknown reservation status {value}") from None
    return ReservationStatus(name.removeprefix("RESERVATION_STATUS_"))


def reservation_lines_out(reservation: Reservation) -> list[inventory_pb2.ReservationLine]:
    return [
        inventory_pb2.ReservationLine(sku=line.sku, warehouse_id=line.warehouse_id, quantity=line.quantity)
        for line in reservation.lines
    ]


def reservation_out(reservation: Reservation) -> inventory_pb2.Reservation:
    return inventory_pb2.Reservation(
        reservation_id=reservation.reservation_id,
        order_id=reservation.order_id,
        status=reservation_status_out(reservation.status),
        lines=reservation_lines_out(reservation),
        created_at=timestamp(reservation.created_at),
        expires_at=timestamp(reservation.expires_at),
        closed_at=timestamp(reservation.closed_at),
        release_reason=reservation.release_reason,
        committed_at=timestamp(reservation.committed_at),
    )


def reserve_outcome_out(outcome: ReserveOutcome) -> inventory_pb2.ReserveManyResult:
    if outcome.refusal is not None:
        refusal = outcome.refusal
        return inventory_pb2.ReserveManyResult(
            order_id=outcome.order_id,
            refusal=inventory_pb2.ReserveRefusal(
                code=refusal.code,
                reason=refusal.reason,
                message=refusal.message,
                metadata=refusal.metadata,
                fields=list(refusal.fields),
            ),
        )
    assert outcome.reservation is not None
    return inventory_pb2.ReserveManyResult(
        order_id=outcome.order_id, reservation=reservation_out(outcome.reservation), created=outcome.created
    )


def availability_out(item: SkuAvailability) -> inventory_pb2.SkuAvailability:
    return inventory_pb2.SkuAvailability(
        sku=item.sku,
        on_hand=item.on_hand,
        reserved=item.reserved,
        safety_stock=item.safety_stock,
        available=item.available,
        available_in_one_warehouse=item.available_in_one_warehouse,
        paused=item.paused,
        pressure_high=item.pressure_high,
        warehouses=[level_out(level) for level in item.levels],
    )


def sku_status_out(status: SkuStatus) -> inventory_pb2.SkuStatus:
    return inventory_pb2.SkuStatus(
        sku=status.sku,
        paused=status.paused,
        paused_at=timestamp(status.paused_at),
        recent_failures=status.recent_failures,
    )


def page_in(page_size: int, page_token: str) -> Page:
    """A page request; the size is clamped to the contract's bounds, the token must be one we issued."""
    if page_size < 0:
        raise InvalidArgument.field("page.page_size", "must not be negative")
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return Page(size)
    try:
        after = base64.urlsafe_b64decode(page_token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise InvalidArgument.field("page.page_token", "is not a token this service issued") from None
    if not after:
        raise InvalidArgument.field("page.page_token", "is not a token this service issued")
    return Page(size, after)


def page_token(cursor: str) -> str:
    return base64.urlsafe_b64encode(cursor.encode("utf-8")).decode("ascii")

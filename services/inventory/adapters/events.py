"""Domain events -> oms.inventory.v1 integration events, with the aggregate each is about."""

from __future__ import annotations

from google.protobuf import message
from oms.inventory.v1 import events_pb2

from services.inventory.adapters.protos import level_out, movement_out, reservation_lines_out, timestamp
from services.inventory.domain import events

RESERVATION = "reservation"
SKU = "sku"


def integration_event(event: events.DomainEvent) -> tuple[message.Message, str, str]:
    """The proto to publish, its aggregate type and aggregate id (the stream partition key)."""
    match event:
        case events.StockReserved(reservation=r):
            return (
                events_pb2.StockReserved(
                    reservation_id=r.reservation_id,
                    order_id=r.order_id,
                    lines=reservation_lines_out(r),
                    expires_at=timestamp(r.expires_at),
                ),
                RESERVATION,
                r.reservation_id,
            )
        case events.ReservationCommitted(reservation=r):
            return (
                events_pb2.ReservationCommitted(
                    reservation_id=r.reservation_id,
                    order_id=r.order_id,
                    lines=reservation_lines_out(r),
                    committed_at=timestamp(r.committed_at),
                ),
                RESERVATION,
                r.reservation_id,
            )
        case events.ReservationReleased(reservation=r):
            return (
                events_pb2.ReservationReleased(
                    reservation_id=r.reservation_id,
                    order_id=r.order_id,
                    lines=reservation_lines_out(r),
                    reason=r.release_reason,
                    released_at=timestamp(r.closed_at),
                ),
                RESERVATION,
                r.reservation_id,
            )
        case events.ReservationConfirmed(reservation=r):
            return (
                events_pb2.ReservationConfirmed(
                    reservation_id=r.reservation_id,
                    order_id=r.order_id,
                    lines=reservation_lines_out(r),
                    confirmed_at=timestamp(r.closed_at),
                ),
                RESERVATION,
                r.reservation_id,
            )
        case events.ReservationExpired(reservation=r):
            return (
                events_pb2.ReservationExpired(
                    reservation_id=r.reservation_id,
                    order_id=r.order_id,
                    lines=reservation_lines_out(r),
                    expired_at=timestamp(r.closed_at),
                ),
                RESERVATION,
                r.reservation_id,
            )
        case events.ReservationMoved(reservation=r):
            return (
                events_pb2.ReservationMoved(
                    reservation_id=r.reservation_id,
                    order_id=r.order_id,
                    sku=event.sku,
                    quantity=event.quantity,
                    from_warehouse_id=event.from_warehouse_id,
                    to_warehouse_id=event.to_warehouse_id,
                    reason=event.reason,
                    lines=reservation_lines_out(r),
                    moved_at=timestamp(event.moved_at),
                ),
                RESERVATION,
                r.reservation_id,
            )
        case events.StockAdjusted(movement=movement, stock=stock):
            return (
                events_pb2.StockAdjusted(movement=movement_out(movement), stock=level_out(stock)),
                SKU,
                stock.sku,
            )
        case events.SkuPaused():
            return (
                events_pb2.SkuPaused(
                    sku=event.sku,
                    failures=event.failures,
                    window_seconds=event.window_seconds,
                    paused_at=timestamp(event.paused_at),
                ),
                SKU,
                event.sku,
            )
        case events.SkuResumed():
            return (
                events_pb2.SkuResumed(sku=event.sku, note=event.note, resumed_at=timestamp(event.resumed_at)),
                SKU,
                event.sku,
            )
        case events.StockPressureHigh():
            return (
                events_pb2.StockPressureHigh(
                    sku=event.sku,
                    reserved=event.reserved,
                    available=event.available,
                    threshold_percent=event.threshold_percent,
                ),
                SKU,
                event.sku,
            )
    raise TypeError(f"no integration event for {type(event).__name__}")

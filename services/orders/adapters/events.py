"""Domain events of orders -> the integration events of oms.orders.v1 (events.proto)."""

from __future__ import annotations

from google.protobuf.message import Message
from oms.orders.v1 import events_pb2

from services.orders.adapters.protos import (
    actor_out,
    address_out,
    channel_out,
    instant_out,
    money_out,
    order_out,
    status_out,
)
from services.orders.domain import events as ev


def integration_event(event: ev.DomainEvent) -> Message:
    match event:
        case ev.OrderCreated(order=order):
            return events_pb2.OrderCreated(order=order_out(order))
        case ev.OrderPaid():
            return events_pb2.OrderPaid(
                order_id=event.order_id,
                payment_id=event.payment_id,
                paid_amount=money_out(event.paid_amount),
                paid_at=instant_out(event.paid_at),
                customer_id=event.customer_id,
                channel=channel_out(event.channel),
            )
        case ev.OrderStatusChanged():
            return events_pb2.OrderStatusChanged(
                order_id=event.order_id,
                from_status=status_out(event.from_status),
                to_status=status_out(event.to_status),
                changed_at=instant_out(event.changed_at),
                actor=actor_out(event.actor),
                reason=event.reason,
                tracking_number=event.tracking_number,
                resume_status=status_out(event.resume_status),
            )
        case ev.OrderCancelled():
            return events_pb2.OrderCancelled(
                order_id=event.order_id,
                from_status=status_out(event.from_status),
                reason=event.reason,
                cancelled_at=instant_out(event.cancelled_at),
                actor=actor_out(event.actor),
                payment_id=event.payment_id,
            )
        case ev.OrderFlagged():
            return events_pb2.OrderFlagged(
                order_id=event.order_id,
                reason=event.reason,
                detail=event.detail,
                flagged_at=instant_out(event.flagged_at),
                resume_status=status_out(event.resume_status),
                total=money_out(event.total) if event.total else None,
                expected_total=money_out(event.expected_total) if event.expected_total else None,
            )
        case ev.OrderShippingAddressChanged():
            return events_pb2.OrderShippingAddressChanged(
                order_id=event.order_id,
                shipping_address=address_out(event.shipping_address),
                changed_at=instant_out(event.changed_at),
                actor=actor_out(event.actor),
                reason=event.reason,
            )
    raise TypeError(f"no integration event for {type(event).__name__}")

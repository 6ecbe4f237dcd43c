"""Domain events of orders -> the integration events of oms.orders.v1 (events.proto)."""

from __future__ import annotations

from google.protobuf.message import Message
from oms.orders.v1 import events_pb2

from services.orders.adapters.fulfilment_protos import outcome_out, shipment_out
from services.orders.adapters.protos import (
    actor_out,
    address_out,
    channel_out,
    instant_out,
    money_out,
    order_out,
    order_type_out,
    status_out,
)
from services.orders.domain import channel_events as cev
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
        case ev.OrderReviewed(decision=decision):
            return events_pb2.OrderReviewed(
                order_id=decision.order_id,
                rule_set_version=decision.rule_set_version,
                rule_id=decision.rule_id,
                outcome=outcome_out(decision.outcome),
                queue=decision.queue,
                reason=decision.reason,
                reviewed_at=instant_out(decision.decided_at),
                status=status_out(decision.status),
            )
        case ev.OrderAllocated():
            return events_pb2.OrderAllocated(
                order_id=event.order_id,
                shipments=[shipment_out(s) for s in event.shipments],
                allocated_at=instant_out(event.allocated_at),
                split=event.split,
            )
        case ev.OrderOverdue():
            return events_pb2.OrderOverdue(
                order_id=event.order_id,
                status=status_out(event.status),
                untouched_since=instant_out(event.untouched_since),
                detected_at=instant_out(event.detected_at),
                threshold_seconds=event.threshold_seconds,
                order_type=order_type_out(event.order_type),
            )
    raise TypeError(f"no integration event for {type(event).__name__}")


def shipment_integration_event(event: ev.ShipmentEvent) -> Message:
    match event:
        case ev.ShipmentClaimed(shipment=shipment):
            return events_pb2.ShipmentClaimed(shipment=shipment_out(shipment))
        case ev.ShipmentConfirmed(shipment=shipment, shipped_order_ids=shipped):
            return events_pb2.ShipmentConfirmed(shipment=shipment_out(shipment), shipped_order_ids=list(shipped))
        case ev.ShipmentOverdue(shipment=shipment, detected_at=detected_at):
            return events_pb2.ShipmentOverdue(shipment=shipment_out(shipment), detected_at=instant_out(detected_at))
    raise TypeError(f"no integration event for {type(event).__name__}")


def channel_integration_event(event: cev.ChannelEvent) -> Message:
    match event:
        case cev.ChannelIngestFailed():
            return events_pb2.ChannelIngestFailed(
                failed_ingest_id=event.failed_ingest_id,
                channel=channel_out(event.channel),
                channel_order_id=event.channel_order_id,
                reason=event.reason,
                field=event.field,
                detail=event.detail,
                received_at=instant_out(event.received_at),
            )
        case cev.ChannelSyncStalled():
            return events_pb2.ChannelSyncStalled(
                channel=channel_out(event.channel),
                last_sync_at=instant_out(event.last_sync_at) if event.last_sync_at else None,
                detected_at=instant_out(event.detected_at),
                interval_seconds=event.interval_seconds,
                last_error=event.last_error,
            )
        case cev.ChannelSyncRecovered():
            return events_pb2.ChannelSyncRecovered(
                channel=channel_out(event.channel),
                stalled_since=instant_out(event.stalled_since),
                recovered_at=instant_out(event.recovered_at),
            )
        case cev.ChannelSyncPaused():
            return events_pb2.ChannelSyncPaused(
                channel=channel_out(event.channel),
                reason=event.reason,
                orders_this_hour=event.orders_this_hour,
                orders_previous_hour=event.orders_previous_hour,
                threshold_percent=event.threshold_percent,
                paused_at=instant_out(event.paused_at),
            )
        case cev.ChannelSyncReleased():
            return events_pb2.ChannelSyncReleased(
                channel=channel_out(event.channel),
                actor=actor_out(event.actor),
                note=event.note,
                released_at=instant_out(event.released_at),
            )
    raise TypeError(f"no integration event for {type(event).__name__}")

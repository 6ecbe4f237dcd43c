"""Domain events of payments -> oms.payments.v1 integration events (the outbox payloads)."""

from __future__ import annotations

from google.protobuf import message
from oms.payments.v1 import events_pb2, payments_pb2

from services.payments.domain import events
from shared.grpc.convert import money_out as money
from shared.grpc.convert import timestamp_out as timestamp


def integration_event(event: events.PaymentEvent) -> message.Message:
    """The proto published for ``event``."""
    match event:
        case events.PaymentAuthorized():
            return events_pb2.PaymentAuthorized(
                payment_id=event.payment_id,
                order_id=event.order_id,
                amount=money(event.amount),
                provider=event.provider,
                provider_reference=event.provider_reference,
                authorized_at=timestamp(event.occurred_at),
            )
        case events.PaymentDeclined():
            return events_pb2.PaymentDeclined(
                payment_id=event.payment_id,
                order_id=event.order_id,
                amount=money(event.amount),
                provider=event.provider,
                reason=event.reason,
                declined_at=timestamp(event.occurred_at),
            )
        case events.PaymentFailed():
            return events_pb2.PaymentFailed(
                payment_id=event.payment_id,
                order_id=event.order_id,
                amount=money(event.amount),
                provider=event.provider,
                reason=event.reason,
                failed_at=timestamp(event.occurred_at),
            )
        case events.PaymentCaptured():
            return events_pb2.PaymentCaptured(
                payment_id=event.payment_id,
                order_id=event.order_id,
                amount=money(event.amount),
                captured_at=timestamp(event.occurred_at),
            )
        case events.PaymentVoided():
            return events_pb2.PaymentVoided(
                payment_id=event.payment_id,
                order_id=event.order_id,
                amount=money(event.amount),
                voided_at=timestamp(event.occurred_at),
            )
        case events.PaymentRefunded():
            return events_pb2.PaymentRefunded(
                payment_id=event.payment_id,
                order_id=event.order_id,
                refund_id=event.refund_id,
                amount=money(event.amount),
                refunded_total=money(event.refunded_total),
                captured=money(event.captured),
                fully_refunded=event.fully_refunded,
                reason=event.reason,
                refunded_at=timestamp(event.occurred_at),
            )
        case events.PaymentCallbackFailed():
            return events_pb2.PaymentCallbackFailed(
                callback_id=event.callback_id,
                provider=event.provider,
                provider_event_id=event.provider_event_id,
                type=payments_pb2.CallbackType.Value(f"CALLBACK_TYPE_{event.callback_type}"),
                payment_reference=event.payment_reference,
                refund_reference=event.refund_reference,
                amount=money(event.amount),
                attempts=event.attempts,
                last_error=event.last_error,
                failed_at=timestamp(event.occurred_at),
            )
    raise TypeError(f"no integration event for {type(event).__name__}")


def aggregate_id(event: events.PaymentEvent) -> str:
    """The payment an event is about (the stream partition key)."""
    if isinstance(event, events.PaymentCallbackFailed):
        return event.payment_reference
    return event.payment_id

"""Conversions between oms.payments.v1 messages and the payments model, checking input field by field."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2
from oms.payments.v1 import payments_pb2

from services.payments.adapters.events import money, timestamp
from services.payments.application.commands import CallbackResult, OperationResult, PaymentDetails
from services.payments.domain.callbacks import CallbackType
from services.payments.domain.model import Operation, OperationStatus, PaymentStatus
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money

_REFUND_STATUS = {
    OperationStatus.PENDING: payments_pb2.REFUND_STATUS_PENDING,
    OperationStatus.SUCCEEDED: payments_pb2.REFUND_STATUS_SUCCEEDED,
    OperationStatus.FAILED: payments_pb2.REFUND_STATUS_FAILED,
}
_CALLBACK_TYPES = {payments_pb2.CallbackType.Value(f"CALLBACK_TYPE_{kind.value}"): kind for kind in CallbackType}


def money_in(value: common_pb2.Money, field: str, *, present: bool) -> Money:
    if not present:
        raise InvalidArgument.field(field, "is required")
    currency = value.currency
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha() or not currency.isupper():
        raise InvalidArgument.field(f"{field}.currency", "must be a 3-letter ISO 4217 code such as CNY")
    return Money(value.amount_minor, currency)


def instant_in(value: Timestamp, field: str) -> datetime:
    try:
        return value.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument.field(field, "is not a valid timestamp") from error


def callback_type_in(value: int) -> CallbackType | None:
    return _CALLBACK_TYPES.get(value)


def refund_out(operation: Operation) -> payments_pb2.PaymentRefund:
    return payments_pb2.PaymentRefund(
        refund_id=operation.operation_id,
        payment_id=operation.payment_id,
        amount=money(operation.amount),
        reason=operation.reason,
        status=_REFUND_STATUS[operation.status],
        provider_reference=operation.provider_reference,
        failure_reason=operation.failure_reason,
        created_at=timestamp(operation.created_at),
        updated_at=timestamp(operation.updated_at),
    )


def payment_out(details: PaymentDetails) -> payments_pb2.Payment:
    payment = details.payment
    return payments_pb2.Payment(
        payment_id=payment.payment_id,
        order_id=payment.order_id,
        status=payments_pb2.PaymentStatus.Value(f"PAYMENT_STATUS_{payment.status.value}"),
        amount=money(payment.amount),
        authorized=money(payment.authorized),
        captured=money(payment.captured),
        refunded=money(payment.refunded),
        refund_pending=money(payment.refund_pending),
        provider=payment.provider,
        provider_reference=payment.provider_reference,
        failure_reason=payment.failure_reason
        if payment.status in (PaymentStatus.DECLINED, PaymentStatus.FAILED)
        else "",
        created_at=timestamp(payment.created_at),
        updated_at=timestamp(payment.updated_at),
        refunds=[refund_out(refund) for refund in details.refunds],
    )


def refund_result_out(result: OperationResult) -> payments_pb2.RefundResponse:
    refund = result.operation
    return payments_pb2.RefundResponse(
        payment=payment_out(result.details), refund=refund_out(refund) if refund is not None else None
    )


def callback_result_out(result: CallbackResult) -> payments_pb2.HandleProviderCallbackResponse:
    return payments_pb2.HandleProviderCallbackResponse(
        outcome=payments_pb2.CallbackOutcome.Value(f"CALLBACK_OUTCOME_{result.outcome.value}")
    )

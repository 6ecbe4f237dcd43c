"""Conversions between oms.refunds.v1 messages and the refunds model, checking input field by field."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any, TypeVar

from google.protobuf import message
from oms.common.v1 import common_pb2
from oms.refunds.v1 import refunds_pb2

from services.refunds.adapters.events import (
    actor,
    approval,
    exception_type,
    items,
    kind,
    money,
    reason,
    remedy,
    responsibility,
    status,
    stock_action,
    timestamp,
)
from services.refunds.domain.model import Refund, RefundSpec
from services.refunds.domain.order_exceptions import Gift, OrderException
from services.refunds.domain.values import (
    ExceptionStatus,
    ExceptionType,
    Item,
    OrderType,
    RefundKind,
    RefundReason,
    RefundStatus,
    Responsibility,
    ReturnStatus,
)
from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money

E = TypeVar("E", bound=enum.Enum)


def money_in(value: common_pb2.Money, field: str, *, present: bool, default_currency: str | None = None) -> Money:
    """A Money field; an absent optional one is zero in ``default_currency``."""
    if not present:
        if default_currency is None:
            raise InvalidArgument.field(field, "is required")
        return Money(0, default_currency)
    currency = value.currency
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha() or not currency.isupper():
        raise InvalidArgument.field(f"{field}.currency", "must be a 3-letter ISO 4217 code such as CNY")
    return Money(value.amount_minor, currency)


def _enum_in(wrapper: Any, prefix: str, target: type[E], value: int, field: str) -> E | None:
    """The domain member named like the proto value; None for UNSPECIFIED; an unknown number is refused."""
    if value == 0:
        return None
    try:
        name = wrapper.Name(value)
    except ValueError as error:
        raise InvalidArgument.field(field, f"{value} is not a known value") from error
    return target(name.removeprefix(prefix))


def kind_in(value: int, field: str = "kind") -> RefundKind | None:
    return _enum_in(refunds_pb2.RefundKind, "REFUND_KIND_", RefundKind, value, field)


def reason_in(value: int, field: str = "reason") -> RefundReason | None:
    return _enum_in(refunds_pb2.RefundReason, "REFUND_REASON_", RefundReason, value, field)


def order_type_in(value: int, field: str = "order_type") -> OrderType:
    return _enum_in(refunds_pb2.OrderType, "ORDER_TYPE_", OrderType, value, field) or OrderType.REGULAR


def refund_status_in(value: int, field: str = "status") -> RefundStatus | None:
    return _enum_in(refunds_pb2.RefundStatus, "REFUND_STATUS_", RefundStatus, value, field)


def exception_status_in(value: int, field: str = "status") -> ExceptionStatus | None:
    return _enum_in(refunds_pb2.ExceptionStatus, "EXCEPTION_STATUS_", ExceptionStatus, value, field)


def exception_type_in(value: int, field: str = "type") -> ExceptionType | None:
    return _enum_in(refunds_pb2.ExceptionType, "EXCEPTION_TYPE_", ExceptionType, value, field)


def responsibility_in(value: int, field: str = "responsibility") -> Responsibility | None:
    return _enum_in(refunds_pb2.Responsibility, "RESPONSIBILITY_", Responsibility, value, field)


def qc_passed_in(value: int, field: str = "result") -> bool | None:
    if value == 0:
        return None
    if value == refunds_pb2.QC_RESULT_PASSED:
        return True
    if value == refunds_pb2.QC_RESULT_FAILED:
        return False
    raise InvalidArgument.field(field, f"{value} is not a known value")


def items_in(values: Iterable[refunds_pb2.Item]) -> tuple[Item, ...]:
    return tuple(Item(item.sku, item.quantity) for item in values)


def spec_in(request: message.Message, *, order_id: str, prefix: str = "") -> RefundSpec:
    """Refund terms from a RequestRefundRequest or a RefundRemedy (whose fields carry ``prefix``)."""
    captured = money_in(request.captured, f"{prefix}captured", present=request.HasField("captured"))
    return RefundSpec(
        order_id=order_id,
        payment_id=request.payment_id,
        kind=kind_in(request.kind, f"{prefix}kind"),
        reason=reason_in(request.reason, f"{prefix}reason"),
        order_type=order_type_in(request.order_type, f"{prefix}order_type"),
        captured=captured,
        already_refunded=money_in(
            request.already_refunded,
            f"{prefix}already_refunded",
            present=request.HasField("already_refunded"),
            default_currency=captured.currency,
        ),
        items=items_in(request.items),
        amount=money_in(request.amount, f"{prefix}amount", present=request.HasField("amount")),
        shipping_fee=money_in(
            request.shipping_fee,
            f"{prefix}shipping_fee",
            present=request.HasField("shipping_fee"),
            default_currency=captured.currency,
        ),
        description=getattr(request, "description", ""),
    )


def gift_in(value: refunds_pb2.GiftRemedy) -> Gift:
    return Gift(description=value.description, sku=value.sku, quantity=value.quantity)


_RETURN_STATUS = {member: refunds_pb2.ReturnStatus.Value(f"RETURN_STATUS_{member.value}") for member in ReturnStatus}
_EXCEPTION_STATUS = {
    member: refunds_pb2.ExceptionStatus.Value(f"EXCEPTION_STATUS_{member.value}") for member in ExceptionStatus
}


def refund_out(refund: Refund) -> refunds_pb2.Refund:
    return refunds_pb2.Refund(
        refund_id=refund.refund_id,
        order_id=refund.order_id,
        payment_id=refund.payment_id,
        kind=kind(refund.kind),
        reason=reason(refund.reason),
        order_type=refunds_pb2.OrderType.Value(f"ORDER_TYPE_{refund.order_type.value}"),
        status=status(refund.status),
        return_status=_RETURN_STATUS[refund.return_status],
        stock_action=stock_action(refund.stock_action),
        items=items(refund.items),
        amount=money(refund.amount),
        shipping_fee=money(refund.shipping_fee),
        shipping_refund=money(refund.shipping_refund),
        shipping_rule=refund.shipping_rule,
        total=money(refund.total),
        captured=money(refund.captured),
        already_refunded=money(refund.already_refunded),
        description=refund.description,
        requested_by=actor(refund.requested_by),
        policy_version=refund.policy_version,
        required_roles=list(refund.required_roles),
        approvals=[approval(a) for a in refund.approvals],
        rejection_reason=refund.rejection_reason,
        rejected_by=actor(refund.rejected_by),
        return_received_by=actor(refund.return_received_by),
        return_received_at=timestamp(refund.return_received_at),
        return_notes=refund.return_notes,
        qc_by=actor(refund.qc_by),
        qc_at=timestamp(refund.qc_at),
        qc_notes=refund.qc_notes,
        saga_id=refund.saga_id,
        payment_refund_id=refund.payment_refund_id,
        failure_reason=refund.failure_reason,
        exception_id=refund.exception_id,
        requested_at=timestamp(refund.requested_at),
        due_at=timestamp(refund.due_at),
        decision_due_at=timestamp(refund.decision_due_at),
        escalated_at=timestamp(refund.escalated_at),
        overdue_at=timestamp(refund.overdue_at),
        updated_at=timestamp(refund.updated_at),
        completed_at=timestamp(refund.completed_at),
    )


def exception_out(exception: OrderException) -> refunds_pb2.OrderException:
    resolution = exception.resolution
    resolved = None
    if resolution is not None:
        gift = resolution.gift
        resolved = refunds_pb2.Resolution(
            remedy=remedy(resolution.remedy),
            note=resolution.note,
            resolved_by=actor(resolution.resolved_by),
            resolved_at=timestamp(resolution.resolved_at),
            refund_id=resolution.refund_id,
            warehouse_task_id=resolution.warehouse_task_id,
            gift=None
            if gift is None
            else refunds_pb2.GiftRemedy(sku=gift.sku, quantity=gift.quantity, description=gift.description),
        )
    return refunds_pb2.OrderException(
        exception_id=exception.exception_id,
        order_id=exception.order_id,
        type=exception_type(exception.type),
        responsibility=responsibility(exception.responsibility),
        status=_EXCEPTION_STATUS[exception.status],
        description=exception.description,
        items=items(exception.items),
        raised_by=actor(exception.raised_by),
        raised_at=timestamp(exception.raised_at),
        escalation_level=exception.escalation_level,
        escalated_at=timestamp(exception.escalated_at),
        resolution=resolved,
        updated_at=timestamp(exception.updated_at),
    )

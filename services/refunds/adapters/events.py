"""Domain events of refunds -> oms.refunds.v1 integration events, with the aggregate each belongs to."""

from __future__ import annotations

from collections.abc import Sequence
from functools import singledispatch

from google.protobuf import message
from oms.common.v1 import common_pb2
from oms.refunds.v1 import events_pb2, refunds_pb2

from services.refunds.domain import events
from services.refunds.domain.values import (
    Actor,
    Approval,
    ExceptionType,
    Item,
    RefundKind,
    RefundReason,
    RefundStatus,
    Remedy,
    Responsibility,
    StockAction,
)
from shared.grpc.convert import money_out as money
from shared.grpc.convert import timestamp_out as timestamp

REFUND = "refund"
ORDER_EXCEPTION = "order_exception"


def actor(value: Actor | None) -> common_pb2.Actor | None:
    return None if value is None else common_pb2.Actor(subject=value.subject, role=value.role)


def items(values: Sequence[Item]) -> list[refunds_pb2.Item]:
    return [refunds_pb2.Item(sku=item.sku, quantity=item.quantity) for item in values]


def approval(value: Approval) -> refunds_pb2.Approval:
    return refunds_pb2.Approval(
        approver=actor(value.approver), comment=value.comment, approved_at=timestamp(value.approved_at)
    )


# Enum values share their names with the proto's, behind the proto enum's prefix.


def kind(value: RefundKind) -> int:
    return refunds_pb2.RefundKind.Value(f"REFUND_KIND_{value.value}")


def reason(value: RefundReason) -> int:
    return refunds_pb2.RefundReason.Value(f"REFUND_REASON_{value.value}")


def status(value: RefundStatus) -> int:
    return refunds_pb2.RefundStatus.Value(f"REFUND_STATUS_{value.value}")


def stock_action(value: StockAction) -> int:
    return refunds_pb2.StockAction.Value(f"STOCK_ACTION_{value.value}")


def exception_type(value: ExceptionType) -> int:
    return refunds_pb2.ExceptionType.Value(f"EXCEPTION_TYPE_{value.value}")


def responsibility(value: Responsibility) -> int:
    return refunds_pb2.Responsibility.Value(f"RESPONSIBILITY_{value.value}")


def remedy(value: Remedy) -> int:
    return refunds_pb2.Remedy.Value(f"REMEDY_{value.value}")


@singledispatch
def integration_event(event: object) -> message.Message:
    raise TypeError(f"no integration event for {type(event).__name__}")


@integration_event.register
def _(event: events.RefundRequested) -> message.Message:
    return events_pb2.RefundRequested(
        refund_id=event.refund_id,
        order_id=event.order_id,
        payment_id=event.payment_id,
        kind=kind(event.kind),
        reason=reason(event.reason),
        total=money(event.total),
        amount=money(event.amount),
        shipping_refund=money(event.shipping_refund),
        required_roles=list(event.required_roles),
        policy_version=event.policy_version,
        requested_by=actor(event.requested_by),
        requested_at=timestamp(event.requested_at),
        due_at=timestamp(event.due_at),
        exception_id=event.exception_id,
    )


@integration_event.register
def _(event: events.RefundApproved) -> message.Message:
    return events_pb2.RefundApproved(
        refund_id=event.refund_id,
        order_id=event.order_id,
        total=money(event.total),
        approvals=[approval(a) for a in event.approvals],
        status=status(event.status),
        approved_at=timestamp(event.approved_at),
    )


@integration_event.register
def _(event: events.RefundRejected) -> message.Message:
    return events_pb2.RefundRejected(
        refund_id=event.refund_id,
        order_id=event.order_id,
        total=money(event.total),
        reason=event.reason,
        rejected_by=actor(event.rejected_by),
        qc_failed=event.qc_failed,
        rejected_at=timestamp(event.rejected_at),
    )


@integration_event.register
def _(event: events.RefundReadyForExecution) -> message.Message:
    return events_pb2.RefundReadyForExecution(
        refund_id=event.refund_id,
        order_id=event.order_id,
        payment_id=event.payment_id,
        total=money(event.total),
        items=items(event.items),
        stock_action=stock_action(event.stock_action),
        ready_at=timestamp(event.ready_at),
    )


@integration_event.register
def _(event: events.RefundCompleted) -> message.Message:
    return events_pb2.RefundCompleted(
        refund_id=event.refund_id,
        order_id=event.order_id,
        payment_id=event.payment_id,
        total=money(event.total),
        payment_refund_id=event.payment_refund_id,
        stock_action=stock_action(event.stock_action),
        items=items(event.items),
        completed_at=timestamp(event.completed_at),
    )


@integration_event.register
def _(event: events.RefundFailed) -> message.Message:
    return events_pb2.RefundFailed(
        refund_id=event.refund_id,
        order_id=event.order_id,
        payment_id=event.payment_id,
        total=money(event.total),
        reason=event.reason,
        failed_at=timestamp(event.failed_at),
    )


@integration_event.register
def _(event: events.RefundOverdue) -> message.Message:
    return events_pb2.RefundOverdue(
        refund_id=event.refund_id,
        order_id=event.order_id,
        kind=kind(event.kind),
        status=status(event.status),
        requested_at=timestamp(event.requested_at),
        due_at=timestamp(event.due_at),
        detected_at=timestamp(event.detected_at),
    )


@integration_event.register
def _(event: events.RefundEscalated) -> message.Message:
    return events_pb2.RefundEscalated(
        refund_id=event.refund_id,
        order_id=event.order_id,
        total=money(event.total),
        required_roles=list(event.required_roles),
        missing_roles=list(event.missing_roles),
        decision_due_at=timestamp(event.decision_due_at),
        escalated_at=timestamp(event.escalated_at),
    )


@integration_event.register
def _(event: events.OrderExceptionRaised) -> message.Message:
    return events_pb2.OrderExceptionRaised(
        exception_id=event.exception_id,
        order_id=event.order_id,
        type=exception_type(event.type),
        responsibility=responsibility(event.responsibility),
        description=event.description,
        items=items(event.items),
        raised_by=actor(event.raised_by),
        raised_at=timestamp(event.raised_at),
    )


@integration_event.register
def _(event: events.OrderExceptionResolved) -> message.Message:
    return events_pb2.OrderExceptionResolved(
        exception_id=event.exception_id,
        order_id=event.order_id,
        type=exception_type(event.type),
        responsibility=responsibility(event.responsibility),
        remedy=remedy(event.remedy),
        refund_id=event.refund_id,
        warehouse_task_id=event.warehouse_task_id,
        resolved_by=actor(event.resolved_by),
        raised_at=timestamp(event.raised_at),
        resolved_at=timestamp(event.resolved_at),
    )


@integration_event.register
def _(event: events.OrderExceptionEscalated) -> message.Message:
    return events_pb2.OrderExceptionEscalated(
        exception_id=event.exception_id,
        order_id=event.order_id,
        type=exception_type(event.type),
        responsibility=responsibility(event.responsibility),
        level=event.level,
        escalated_to=event.escalated_to,
        raised_at=timestamp(event.raised_at),
        escalated_at=timestamp(event.escalated_at),
    )


@integration_event.register
def _(event: events.WarehouseTaskRequested) -> message.Message:
    return events_pb2.WarehouseTaskRequested(
        task_id=event.task_id,
        order_id=event.order_id,
        exception_id=event.exception_id,
        task_type=event.task_type,
        items=items(event.items),
        warehouse_id=event.warehouse_id,
        requested_at=timestamp(event.requested_at),
    )


def aggregate_of(event: events.DomainEvent) -> tuple[str, str]:
    """(aggregate type, aggregate id) of an event: the refund, or the order exception."""
    if isinstance(event, events.RefundEvent):
        return REFUND, event.refund_id
    return ORDER_EXCEPTION, event.exception_id

"""Domain events of the refunds context (the adapters turn them into oms.refunds.v1 integration events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
from shared.kernel.money import Money


@dataclass(frozen=True)
class RefundRequested:
    refund_id: str
    order_id: str
    payment_id: str
    kind: RefundKind
    reason: RefundReason
    total: Money
    amount: Money
    shipping_refund: Money
    required_roles: tuple[str, ...]
    policy_version: str
    requested_by: Actor
    requested_at: datetime
    due_at: datetime
    exception_id: str


@dataclass(frozen=True)
class RefundApproved:
    refund_id: str
    order_id: str
    total: Money
    approvals: tuple[Approval, ...]
    status: RefundStatus
    approved_at: datetime


@dataclass(frozen=True)
class RefundRejected:
    refund_id: str
    order_id: str
    total: Money
    reason: str
    rejected_by: Actor
    qc_failed: bool
    rejected_at: datetime


@dataclass(frozen=True)
class RefundReadyForExecution:
    refund_id: str
    order_id: str
    payment_id: str
    total: Money
    items: tuple[Item, ...]
    stock_action: StockAction
    ready_at: datetime


@dataclass(frozen=True)
class RefundCompleted:
    refund_id: str
    order_id: str
    payment_id: str
    total: Money
    payment_refund_id: str
    stock_action: StockAction
    items: tuple[Item, ...]
    completed_at: datetime


@dataclass(frozen=True)
class RefundFailed:
    refund_id: str
    order_id: str
    payment_id: str
    total: Money
    reason: str
    failed_at: datetime


@dataclass(frozen=True)
class RefundOverdue:
    refund_id: str
    order_id: str
    kind: RefundKind
    status: RefundStatus
    requested_at: datetime
    due_at: datetime
    detected_at: datetime


@dataclass(frozen=True)
class RefundEscalated:
    refund_id: str
    order_id: str
    total: Money
    required_roles: tuple[str, ...]
    missing_roles: tuple[str, ...]
    decision_due_at: datetime
    escalated_at: datetime


@dataclass(frozen=True)
class OrderExceptionRaised:
    exception_id: str
    order_id: str
    type: ExceptionType
    responsibility: Responsibility
    description: str
    items: tuple[Item, ...]
    raised_by: Actor
    raised_at: datetime


@dataclass(frozen=True)
class OrderExceptionResolved:
    exception_id: str
    order_id: str
    type: ExceptionType
    responsibility: Responsibility
    remedy: Remedy
    refund_id: str
    warehouse_task_id: str
    resolved_by: Actor
    raised_at: datetime
    resolved_at: datetime


@dataclass(frozen=True)
class OrderExceptionEscalated:
    exception_id: str
    order_id: str
    type: ExceptionType
    responsibility: Responsibility
    level: int
    escalated_to: str
    raised_at: datetime
    escalated_at: datetime


@dataclass(frozen=True)
class WarehouseTaskRequested:
    task_id: str
    order_id: str
    exception_id: str
    task_type: str
    items: tuple[Item, ...]
    warehouse_id: str
    requested_at: datetime


RefundEvent = (
    RefundRequested
    | RefundApproved
    | RefundRejected
    | RefundReadyForExecution
    | RefundCompleted
    | RefundFailed
    | RefundOverdue
    | RefundEscalated
)
ExceptionEvent = OrderExceptionRaised | OrderExceptionResolved | OrderExceptionEscalated | WarehouseTaskRequested
DomainEvent = RefundEvent | ExceptionEvent

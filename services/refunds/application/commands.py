"""Commands, queries and results of the refunds context (frozen dataclasses, serialised for idempotency)."""

from __future__ import annotations

from dataclasses import dataclass

from services.refunds.domain.model import Refund, RefundSpec
from services.refunds.domain.order_exceptions import Gift, OrderException
from services.refunds.domain.values import (
    Actor,
    ExceptionStatus,
    ExceptionType,
    Item,
    RefundStatus,
    Responsibility,
)


@dataclass(frozen=True)
class RequestRefund:
    request_id: str
    spec: RefundSpec
    actor: Actor


@dataclass(frozen=True)
class ApproveRefund:
    request_id: str
    refund_id: str
    comment: str
    actor: Actor


@dataclass(frozen=True)
class RejectRefund:
    request_id: str
    refund_id: str
    reason: str
    actor: Actor


@dataclass(frozen=True)
class ReceiveReturn:
    request_id: str
    refund_id: str
    notes: str
    actor: Actor


@dataclass(frozen=True)
class RecordQc:
    request_id: str
    refund_id: str
    # None: the caller named no result.
    passed: bool | None
    notes: str
    actor: Actor


@dataclass(frozen=True)
class MarkRefundExecuting:
    request_id: str
    refund_id: str
    saga_id: str


@dataclass(frozen=True)
class MarkRefundCompleted:
    request_id: str
    refund_id: str
    payment_refund_id: str


@dataclass(frozen=True)
class MarkRefundFailed:
    request_id: str
    refund_id: str
    reason: str


@dataclass(frozen=True)
class RaiseException:
    request_id: str
    order_id: str
    type: ExceptionType | None
    responsibility: Responsibility | None
    description: str
    items: tuple[Item, ...]
    actor: Actor


@dataclass(frozen=True)
class Reship:
    items: tuple[Item, ...]
    warehouse_id: str = ""


@dataclass(frozen=True)
class ResolveException:
    """Exactly one of ``reship``, ``refund`` (its order_id is the exception's) and ``gift`` is the remedy."""

    request_id: str
    exception_id: str
    responsibility: Responsibility | None
    note: str
    actor: Actor
    reship: Reship | None = None
    refund: RefundSpec | None = None
    gift: Gift | None = None


@dataclass(frozen=True)
class ExceptionResolution:
    exception: OrderException
    refund: Refund | None = None


@dataclass(frozen=True)
class ListRefunds:
    order_id: str = ""
    status: RefundStatus | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class RefundPage:
    refunds: tuple[Refund, ...]
    next_page_token: str


@dataclass(frozen=True)
class ListExceptions:
    order_id: str = ""
    status: ExceptionStatus | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class ExceptionPage:
    exceptions: tuple[OrderException, ...]
    next_page_token: str

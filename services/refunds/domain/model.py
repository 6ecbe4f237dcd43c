"""The refund aggregate: its request terms, its state machine, approvals, the return and its QC, execution."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.refunds.domain import events
from services.refunds.domain.errors import (
    CurrencyMismatch,
    ExecutedByOtherSaga,
    RefundExceedsCaptured,
    ReturnNotExpected,
    ReturnNotReceived,
    RoleNotAllowed,
)
from services.refunds.domain.policy import RefundPolicies, ensure_may_decide, ensure_may_sign
from services.refunds.domain.values import (
    Actor,
    Approval,
    Item,
    OrderType,
    RefundKind,
    RefundReason,
    RefundStatus,
    ReturnStatus,
    StockAction,
    checked_id,
    checked_items,
    checked_text,
)
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.money import Money

TRANSITIONS: Mapping[RefundStatus, frozenset[RefundStatus]] = {
    RefundStatus.PENDING_APPROVAL: frozenset(
        {RefundStatus.AWAITING_RETURN, RefundStatus.READY_FOR_EXECUTION, RefundStatus.REJECTED}
    ),
    RefundStatus.AWAITING_RETURN: frozenset({RefundStatus.READY_FOR_EXECUTION, RefundStatus.REJECTED}),
    RefundStatus.READY_FOR_EXECUTION: frozenset({RefundStatus.EXECUTING}),
    RefundStatus.EXECUTING: frozenset({RefundStatus.COMPLETED, RefundStatus.FAILED}),
    RefundStatus.COMPLETED: frozenset(),
    RefundStatus.REJECTED: frozenset(),
    RefundStatus.FAILED: frozenset(),
}

# Not finished: these count against the target time.
OPEN_STATUSES = frozenset(
    {
        RefundStatus.PENDING_APPROVAL,
        RefundStatus.AWAITING_RETURN,
        RefundStatus.READY_FOR_EXECUTION,
        RefundStatus.EXECUTING,
    }
)
# Leaving for these gives the reserved total back to the order's ledger.
RELEASING_STATUSES = frozenset({RefundStatus.REJECTED, RefundStatus.FAILED})
# Goods come back only for a full refund after shipment; the warehouse records them.
RETURN_ROLES = ("warehouse",)
FULL_KINDS = frozenset({RefundKind.FULL_BEFORE_SHIPMENT, RefundKind.FULL_AFTER_SHIPMENT})

MAX_DESCRIPTION = 1000
MAX_REASON = 500
MAX_REFERENCE = 100


def stock_action_of(kind: RefundKind) -> StockAction:
    if kind is RefundKind.FULL_BEFORE_SHIPMENT:
        return StockAction.RELEASE_RESERVATION
    if kind is RefundKind.FULL_AFTER_SHIPMENT:
        return StockAction.RESTOCK
    return StockAction.NONE


@dataclass(frozen=True)
class RefundSpec:
    """The terms a refund is requested on, as the caller knows them (kind and reason None when not given)."""

    order_id: str
    payment_id: str
    kind: RefundKind | None
    reason: RefundReason | None
    order_type: OrderType
    captured: Money
    already_refunded: Money
    items: tuple[Item, ...]
    amount: Money
    shipping_fee: Money
    description: str = ""

    def checked(self, prefix: str = "") -> RefundSpec:
        """These terms normalised, or InvalidArgument naming the first bad field (under ``prefix``)."""
        currency = self.captured.currency
        if self.kind is None:
            raise InvalidArgument.field(f"{prefix}kind", "is required")
        if self.reason is None:
            raise InvalidArgument.field(f"{prefix}reason", "is required")
        for name in ("already_refunded", "amount", "shipping_fee"):
            given: Money = getattr(self, name)
            if given.currency != currency:
                raise CurrencyMismatch(f"{prefix}{name}", currency, given.currency)
        if self.captured.amount_minor <= 0:
            raise InvalidArgument.field(f"{prefix}captured", "must be positive")
        if self.already_refunded.amount_minor < 0:
            raise InvalidArgument.field(f"{prefix}already_refunded", "must not be negative")
        if self.already_refunded.amount_minor > self.captured.amount_minor:
            raise InvalidArgument.field(f"{prefix}already_refunded", "must not exceed captured")
        if self.amount.amount_minor <= 0:
            raise InvalidArgument.field(f"{prefix}amount", "must be positive")
        if self.shipping_fee.amount_minor < 0:
            raise InvalidArgument.field(f"{prefix}shipping_fee", "must not be negative")
        return dataclasses.replace(
            self,
            order_id=checked_id(self.order_id, f"{prefix}order_id"),
            payment_id=checked_id(self.payment_id, f"{prefix}payment_id"),
            items=checked_items(self.items, f"{prefix}items", required=self.kind in FULL_KINDS),
            description=checked_text(self.description, f"{prefix}description", max_length=MAX_DESCRIPTION),
        )


@dataclass(frozen=True)
class Refund:
    """A refund of (part of) an order's captured payment, from request to execution."""

    refund_id: str
    order_id: str
    payment_id: str
    kind: RefundKind
    reason: RefundReason
    order_type: OrderType
    status: RefundStatus
    return_status: ReturnStatus
    items: tuple[Item, ...]
    amount: Money
    shipping_fee: Money
    shipping_refund: Money
    shipping_rule: str
    captured: Money
    already_refunded: Money
    description: str
    requested_by: Actor
    policy_version: str
    required_roles: tuple[str, ...]
    requested_at: datetime
    due_at: datetime
    decision_due_at: datetime
    updated_at: datetime
    approvals: tuple[Approval, ...] = ()
    rejection_reason: str = ""
    rejected_by: Actor | None = None
    return_received_by: Actor | None = None
    return_received_at: datetime | None = None
    return_notes: str = ""
    qc_by: Actor | None = None
    qc_at: datetime | None = None
    qc_notes: str = ""
    saga_id: str = ""
    payment_refund_id: str = ""
    failure_reason: str = ""
    exception_id: str = ""
    escalated_at: datetime | None = None
    overdue_at: datetime | None = None
    completed_at: datetime | None = None

    # Opening.

    @classmethod
    def open(
        cls,
        spec: RefundSpec,
        policies: RefundPolicies,
        *,
        refund_id: str,
        requested_by: Actor,
        now: datetime,
        exception_id: str = "",
        field_prefix: str = "",
    ) -> tuple[Refund, list[events.RefundEvent]]:
        """A new request decided by ``policies``; refused if, as the caller sees the payment, it over-refunds."""
        terms = spec.checked(field_prefix)
        assert terms.kind is not None and terms.reason is not None  # checked() refuses None
        shipping = policies.shipping.decide(terms.order_type, terms.kind, terms.reason, terms.shipping_fee)
        total = terms.amount + shipping.refund
        refundable = terms.captured - terms.already_refunded
        if total > refundable:
            raise RefundExceedsCaptured(terms.order_id, total.amount_minor, refundable.amount_minor)
        required_roles = policies.approval.required_roles(total)
        refund = cls(
            refund_id=refund_id,
            order_id=terms.order_id,
            payment_id=terms.payment_id,
            kind=terms.kind,
            reason=terms.reason,
            order_type=terms.order_type,
            status=RefundStatus.PENDING_APPROVAL,
            return_status=(
                ReturnStatus.AWAITING if terms.kind is RefundKind.FULL_AFTER_SHIPMENT else ReturnStatus.NOT_REQUIRED
            ),
            items=terms.items,
            amount=terms.amount,
            shipping_fee=terms.shipping_fee,
            shipping_refund=shipping.refund,
            shipping_rule=shipping.rule_id,
            captured=terms.captured,
            already_refunded=terms.already_refunded,
            description=terms.description,
            requested_by=requested_by,
            policy_version=policies.approval.version,
            required_roles=tuple(required_roles),
            requested_at=now,
            due_at=now + policies.targets.of(terms.kind),
            decision_due_at=now + policies.approval.decide_within,
            updated_at=now,
            exception_id=exception_id,
        )
        return refund, [
            events.RefundRequested(
                refund_id=refund_id,
                order_id=refund.order_id,
                payment_id=refund.payment_id,
                kind=refund.kind,
                reason=refund.reason,
                total=total,
                amount=refund.amount,
                shipping_refund=refund.shipping_refund,
                required_roles=refund.required_roles,
                policy_version=refund.policy_version,
                requested_by=requested_by,
                requested_at=now,
                due_at=refund.due_at,
                exception_id=exception_id,
            )
        ]

    # What it is.

    @property
    def total(self) -> Money:
        """What the buyer gets back: the amount plus the refunded part of shipping."""
        return self.amount + self.shipping_refund

    @property
    def stock_action(self) -> StockAction:
        return stock_action_of(self.kind)

    @property
    def missing_roles(self) -> tuple[str, ...]:
        signed = {approval.approver.role for approval in self.approvals}
        return tuple(role for role in self.required_roles if role not in signed)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def return_cleared(self) -> bool:
        """Whether nothing stands between approval and execution on the goods' side."""
        return self.kind is not RefundKind.FULL_AFTER_SHIPMENT or self.return_status is ReturnStatus.QC_PASSED

    def is_due_for_escalation(self, now: datetime) -> bool:
        return (
            self.status is RefundStatus.PENDING_APPROVAL and self.escalated_at is None and self.decision_due_at <= now
        )

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.overdue_at is None and self.due_at <= now

    # Transitions.

    def _moved(self, to: RefundStatus, now: datetime, **changes: object) -> Refund:
        if to not in TRANSITIONS[self.status]:
            raise InvalidTransition("refund", self.refund_id, self.status.value, to.value)
        return dataclasses.replace(self, status=to, updated_at=now, **changes)  # type: ignore[arg-type]

    def _ensure_status(self, allowed: frozenset[RefundStatus], action: str) -> None:
        if self.status not in allowed:
            raise InvalidTransition("refund", self.refund_id, self.status.value, action)

    def _ready_event(self, now: datetime) -> events.RefundReadyForExecution:
        return events.RefundReadyForExecution(
            refund_id=self.refund_id,
            order_id=self.order_id,
            payment_id=self.payment_id,
            total=self.total,
            items=self.items,
            stock_action=self.stock_action,
            ready_at=now,
        )

    def approve(self, caller: Actor, comment: str, now: datetime) -> tuple[Refund, list[events.RefundEvent]]:
        """Add the caller's signature; the last required one approves the request."""
        self._ensure_status(frozenset({RefundStatus.PENDING_APPROVAL}), "APPROVED")
        ensure_may_sign(
            self.refund_id, self.requested_by, self.required_roles, [a.approver for a in self.approvals], caller
        )
        signature = Approval(caller, checked_text(comment, "comment", max_length=MAX_REASON), now)
        signed = dataclasses.replace(self, approvals=(*self.approvals, signature), updated_at=now)
        if signed.missing_roles:
            return signed, []
        target = RefundStatus.READY_FOR_EXECUTION if self.return_cleared else RefundStatus.AWAITING_RETURN
        approved = signed._moved(target, now)
        found: list[events.RefundEvent] = [
            events.RefundApproved(
                refund_id=self.refund_id,
                order_id=self.order_id,
                total=self.total,
                approvals=approved.approvals,
                status=target,
                approved_at=now,
            )
        ]
        if target is RefundStatus.READY_FOR_EXECUTION:
            found.append(approved._ready_event(now))
        return approved, found

    def reject(self, caller: Actor, reason: str, now: datetime) -> tuple[Refund, list[events.RefundEvent]]:
        self._ensure_status(frozenset({RefundStatus.PENDING_APPROVAL}), RefundStatus.REJECTED.value)
        ensure_may_decide(self.refund_id, self.requested_by, self.required_roles, caller)
        why = checked_text(reason, "reason", max_length=MAX_REASON, required=True)
        rejected = self._moved(RefundStatus.REJECTED, now, rejection_reason=why, rejected_by=caller)
        return rejected, [self._rejected_event(caller, why, qc_failed=False, now=now)]

    def _rejected_event(self, caller: Actor, reason: str, *, qc_failed: bool, now: datetime) -> events.RefundRejected:
        return events.RefundRejected(
            refund_id=self.refund_id,
            order_id=self.order_id,
            total=self.total,
            reason=reason,
            rejected_by=caller,
            qc_failed=qc_failed,
            rejected_at=now,
        )

    def _ensure_return_handler(self, caller: Actor, action: str) -> None:
        if caller.role not in RETURN_ROLES:
            raise RoleNotAllowed(caller.role, RETURN_ROLES, action)
        if self.kind is not RefundKind.FULL_AFTER_SHIPMENT:
            raise ReturnNotExpected(self.refund_id, self.kind.value)

    def receive_return(self, caller: Actor, notes: str, now: datetime) -> Refund:
        """The warehouse has the goods back (before or after approval); QC comes next."""
        self._ensure_return_handler(caller, "receive returns")
        self._ensure_status(
            frozenset({RefundStatus.PENDING_APPROVAL, RefundStatus.AWAITING_RETURN}), ReturnStatus.RECEIVED.value
        )
        if self.return_status is not ReturnStatus.AWAITING:
            raise InvalidTransition("refund return", self.refund_id, self.return_status.value, "RECEIVED")
        return dataclasses.replace(
            self,
            return_status=ReturnStatus.RECEIVED,
            return_received_by=caller,
            return_received_at=now,
            return_notes=checked_text(notes, "notes", max_length=MAX_DESCRIPTION),
            updated_at=now,
        )

    def record_qc(
        self, caller: Actor, passed: bool, notes: str, now: datetime
    ) -> tuple[Refund, list[events.RefundEvent]]:
        """QC passed clears the return (ready once approved); QC failed rejects the refund."""
        self._ensure_return_handler(caller, "record quality checks")
        outcome = ReturnStatus.QC_PASSED if passed else ReturnStatus.QC_FAILED
        self._ensure_status(frozenset({RefundStatus.PENDING_APPROVAL, RefundStatus.AWAITING_RETURN}), outcome.value)
        if self.return_status is ReturnStatus.AWAITING:
            raise ReturnNotReceived(self.refund_id)
        if self.return_status is not ReturnStatus.RECEIVED:
            raise InvalidTransition("refund return", self.refund_id, self.return_status.value, outcome.value)
        text = checked_text(notes, "notes", max_length=MAX_DESCRIPTION, required=not passed)
        checked = dataclasses.replace(
            self, return_status=outcome, qc_by=caller, qc_at=now, qc_notes=text, updated_at=now
        )
        if not passed:
            why = f"quality check failed: {text}"
            rejected = checked._moved(RefundStatus.REJECTED, now, rejection_reason=why, rejected_by=caller)
            return rejected, [self._rejected_event(caller, why, qc_failed=True, now=now)]
        if self.status is RefundStatus.AWAITING_RETURN:
            ready = checked._moved(RefundStatus.READY_FOR_EXECUTION, now)
            return ready, [ready._ready_event(now)]
        return checked, []

    def start_execution(self, saga_id: str, now: datetime) -> Refund:
        """The execution saga takes the refund; the same saga asking again (a resumed saga) changes nothing."""
        saga = checked_text(saga_id, "saga_id", max_length=MAX_REFERENCE, required=True)
        if self.status is RefundStatus.EXECUTING:
            if self.saga_id == saga:
                return self
            raise ExecutedByOtherSaga(self.refund_id, self.saga_id)
        return self._moved(RefundStatus.EXECUTING, now, saga_id=saga)

    def complete(self, payment_refund_id: str, now: datetime) -> tuple[Refund, list[events.RefundEvent]]:
        """The money went back; completing again with the same payment refund changes nothing."""
        reference = checked_text(payment_refund_id, "payment_refund_id", max_length=MAX_REFERENCE, required=True)
        if self.status is RefundStatus.COMPLETED and self.payment_refund_id == reference:
            return self, []
        completed = self._moved(RefundStatus.COMPLETED, now, payment_refund_id=reference, completed_at=now)
        return completed, [
            events.RefundCompleted(
                refund_id=self.refund_id,
                order_id=self.order_id,
                payment_id=self.payment_id,
                total=self.total,
                payment_refund_id=reference,
                stock_action=self.stock_action,
                items=self.items,
                completed_at=now,
            )
        ]

    def fail(self, reason: str, now: datetime) -> tuple[Refund, list[events.RefundEvent]]:
        """Execution gave up and no money moved; failing again changes nothing."""
        why = checked_text(reason, "reason", max_length=MAX_REASON, required=True)
        if self.status is RefundStatus.FAILED:
            return self, []
        failed = self._moved(RefundStatus.FAILED, now, failure_reason=why)
        return failed, [
            events.RefundFailed(
                refund_id=self.refund_id,
                order_id=self.order_id,
                payment_id=self.payment_id,
                total=self.total,
                reason=why,
                failed_at=now,
            )
        ]

    # Alerts raised by the sweeper.

    def escalation_event(self, now: datetime) -> events.RefundEscalated:
        return events.RefundEscalated(
            refund_id=self.refund_id,
            order_id=self.order_id,
            total=self.total,
            required_roles=self.required_roles,
            missing_roles=self.missing_roles,
            decision_due_at=self.decision_due_at,
            escalated_at=now,
        )

    def overdue_event(self, now: datetime) -> events.RefundOverdue:
        return events.RefundOverdue(
            refund_id=self.refund_id,
            order_id=self.order_id,
            kind=self.kind,
            status=self.status,
            requested_at=self.requested_at,
            due_at=self.due_at,
            detected_at=now,
        )

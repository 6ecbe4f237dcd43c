"""The refund state machine and the exception record: every allowed path, and refusals of the rest."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.refunds.domain import events
from services.refunds.domain.errors import (
    CurrencyMismatch,
    ExecutedByOtherSaga,
    RefundExceedsCaptured,
    ReturnNotExpected,
    ReturnNotReceived,
    RoleNotAllowed,
    SelfApprovalForbidden,
)
from services.refunds.domain.model import TRANSITIONS, Refund, RefundSpec
from services.refunds.domain.order_exceptions import Gift, OrderException
from services.refunds.domain.policy import RefundPolicies
from services.refunds.domain.values import (
    Actor,
    ExceptionStatus,
    ExceptionType,
    Item,
    OrderType,
    RefundKind,
    RefundReason,
    RefundStatus,
    Remedy,
    Responsibility,
    ReturnStatus,
    StockAction,
)
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.ids import new_id
from shared.kernel.money import Money

NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
REQUESTER = Actor("agent-7", "customer_service")
SUPERVISOR = Actor("sup-1", "cs_supervisor")
FINANCE = Actor("fin-1", "finance")
OPERATIONS = Actor("ops-1", "operations")
WAREHOUSE = Actor("wh-1", "warehouse")


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def spec(**overrides: Any) -> RefundSpec:
    fields: dict[str, Any] = {
        "order_id": new_id(),
        "payment_id": new_id(),
        "kind": RefundKind.FULL_BEFORE_SHIPMENT,
        "reason": RefundReason.QUALITY_PROBLEM,
        "order_type": OrderType.REGULAR,
        "captured": cny(100_000),
        "already_refunded": cny(0),
        "items": (Item("SKU-1", 2),),
        "amount": cny(90_000),
        "shipping_fee": cny(10_000),
        "description": "  杯子裂了 𠮷  ",
    }
    fields.update(overrides)
    return RefundSpec(**fields)


def opened(**overrides: Any) -> Refund:
    refund, _ = Refund.open(spec(**overrides), RefundPolicies(), refund_id=new_id(), requested_by=REQUESTER, now=NOW)
    return refund


def approved_by_supervisor(refund: Refund) -> tuple[Refund, list[events.RefundEvent]]:
    return refund.approve(SUPERVISOR, "ok", LATER)


# Opening.


def test_open_decides_shipping_roles_and_times() -> None:
    refund, found = Refund.open(
        spec(amount=cny(90_000), shipping_fee=cny(10_000)),
        RefundPolicies(),
        refund_id="r-1",
        requested_by=REQUESTER,
        now=NOW,
    )
    assert refund.status is RefundStatus.PENDING_APPROVAL
    assert refund.return_status is ReturnStatus.NOT_REQUIRED
    assert refund.stock_action is StockAction.RELEASE_RESERVATION
    assert refund.shipping_refund == cny(10_000) and refund.shipping_rule == "not-shipped"
    assert refund.total == cny(100_000)
    assert refund.required_roles == ("finance", "operations")
    assert refund.due_at == NOW + timedelta(hours=24)
    assert refund.decision_due_at == NOW + timedelta(hours=4)
    assert refund.description == "杯子裂了 𠮷"
    assert [type(e) for e in found] == [events.RefundRequested]
    assert found[0].total == cny(100_000)


def test_small_refund_needs_a_supervisor_only() -> None:
    refund = opened(kind=RefundKind.PARTIAL, items=(), amount=cny(19_999), captured=cny(50_000))
    assert refund.required_roles == ("cs_supervisor",)
    assert refund.stock_action is StockAction.NONE
    assert refund.due_at == NOW + timedelta(hours=72)


def test_the_caller_view_of_the_payment_bounds_the_refund() -> None:
    with pytest.raises(RefundExceedsCaptured) as refused:
        opened(already_refunded=cny(500))
    assert refused.value.metadata["refundable_minor"] == "99500"
    # Exactly what is left passes.
    assert opened(already_refunded=cny(1_000), amount=cny(89_000)).total == cny(99_000)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_id": "not-a-uuid"}, "order_id"),
        ({"payment_id": ""}, "payment_id"),
        ({"kind": None}, "kind"),
        ({"reason": None}, "reason"),
        ({"captured": cny(0)}, "captured"),
        ({"already_refunded": cny(-1)}, "already_refunded"),
        ({"already_refunded": cny(100_001)}, "already_refunded"),
        ({"amount": cny(0)}, "amount"),
        ({"shipping_fee": cny(-5)}, "shipping_fee"),
        ({"items": ()}, "items"),
        ({"items": (Item("SKU-1", 0),)}, "items[0].quantity"),
        ({"items": (Item("SKU-1", 1), Item("SKU-1", 1))}, "items[1].sku"),
        ({"items": (Item(" ", 1),)}, "items[0].sku"),
        ({"items": (Item("A B", 1),)}, "items[0].sku"),
        ({"description": "x" * 1001}, "description"),
        ({"description": "nul\x00byte"}, "description"),
    ],
)
def test_bad_terms_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        opened(**overrides)
    assert [v.field for v in refused.value.violations] == [field]


def test_mixed_currencies_are_refused_with_their_reason() -> None:
    with pytest.raises(CurrencyMismatch) as refused:
        opened(amount=Money(100, "USD"))
    assert refused.value.reason == "CURRENCY_MISMATCH"
    assert refused.value.violations[0].field == "amount"


def test_field_prefix_for_embedded_terms() -> None:
    with pytest.raises(InvalidArgument) as refused:
        Refund.open(
            spec(amount=cny(0)),
            RefundPolicies(),
            refund_id="r",
            requested_by=REQUESTER,
            now=NOW,
            field_prefix="refund.",
        )
    assert refused.value.violations[0].field == "refund.amount"


# Approval.


def test_one_signature_approves_a_small_refund_and_makes_it_ready() -> None:
    refund = opened(amount=cny(5_000), shipping_fee=cny(0))
    approved, found = approved_by_supervisor(refund)
    assert approved.status is RefundStatus.READY_FOR_EXECUTION
    assert [type(e) for e in found] == [events.RefundApproved, events.RefundReadyForExecution]
    ready = found[1]
    assert isinstance(ready, events.RefundReadyForExecution)
    assert ready.stock_action is StockAction.RELEASE_RESERVATION and ready.total == cny(5_000)


def test_large_refund_needs_both_roles() -> None:
    refund = opened()
    signed, found = refund.approve(FINANCE, "", LATER)
    assert signed.status is RefundStatus.PENDING_APPROVAL and found == []
    assert signed.missing_roles == ("operations",)
    approved, found = signed.approve(OPERATIONS, "", LATER)
    assert approved.status is RefundStatus.READY_FOR_EXECUTION
    assert [a.approver for a in approved.approvals] == [FINANCE, OPERATIONS]
    assert isinstance(found[0], events.RefundApproved) and len(found[0].approvals) == 2


def test_requester_cannot_approve_even_in_an_allowed_role() -> None:
    refund = opened(amount=cny(100), shipping_fee=cny(0))
    with pytest.raises(SelfApprovalForbidden):
        refund.approve(Actor(REQUESTER.subject, "cs_supervisor"), "", LATER)


def test_approving_a_decided_refund_is_an_invalid_transition() -> None:
    approved, _ = approved_by_supervisor(opened(amount=cny(100), shipping_fee=cny(0)))
    with pytest.raises(InvalidTransition) as refused:
        approved.approve(Actor("sup-2", "cs_supervisor"), "", LATER)
    assert refused.value.metadata == {
        "entity": "refund",
        "id": approved.refund_id,
        "from": "READY_FOR_EXECUTION",
        "to": "APPROVED",
    }


def test_reject_needs_a_reason_and_the_authority_to_decide() -> None:
    refund = opened(amount=cny(100), shipping_fee=cny(0))
    with pytest.raises(InvalidArgument):
        refund.reject(SUPERVISOR, "   ", LATER)
    with pytest.raises(SelfApprovalForbidden):
        refund.reject(Actor(REQUESTER.subject, "cs_supervisor"), "no", LATER)
    with pytest.raises(RoleNotAllowed):
        refund.reject(FINANCE, "no", LATER)
    rejected, found = refund.reject(SUPERVISOR, "duplicate request", LATER)
    assert rejected.status is RefundStatus.REJECTED and rejected.rejected_by == SUPERVISOR
    assert isinstance(found[0], events.RefundRejected) and not found[0].qc_failed


# Returns and QC.


def after_shipment(**overrides: Any) -> Refund:
    return opened(kind=RefundKind.FULL_AFTER_SHIPMENT, amount=cny(5_000), shipping_fee=cny(800), **overrides)


def test_after_shipment_waits_for_the_return_then_qc() -> None:
    refund = after_shipment()
    assert refund.return_status is ReturnStatus.AWAITING and refund.stock_action is StockAction.RESTOCK
    assert refund.shipping_refund == cny(800)  # a quality problem: the merchant pays shipping
    approved, found = approved_by_supervisor(refund)
    assert approved.status is RefundStatus.AWAITING_RETURN
    assert [type(e) for e in found] == [events.RefundApproved]
    with pytest.raises(ReturnNotReceived):
        approved.record_qc(WAREHOUSE, True, "", LATER)
    received = approved.receive_return(WAREHOUSE, "SF123 𠮷", LATER)
    assert received.return_status is ReturnStatus.RECEIVED and received.return_notes == "SF123 𠮷"
    with pytest.raises(InvalidTransition):
        received.receive_return(WAREHOUSE, "", LATER)
    ready, found = received.record_qc(WAREHOUSE, True, "", LATER)
    assert ready.status is RefundStatus.READY_FOR_EXECUTION and ready.return_status is ReturnStatus.QC_PASSED
    assert [type(e) for e in found] == [events.RefundReadyForExecution]


def test_return_can_pass_qc_before_approval() -> None:
    refund = after_shipment()
    received = refund.receive_return(WAREHOUSE, "", LATER)
    checked, found = received.record_qc(WAREHOUSE, True, "fine", LATER)
    assert checked.status is RefundStatus.PENDING_APPROVAL and found == []
    approved, found = approved_by_supervisor(checked)
    assert approved.status is RefundStatus.READY_FOR_EXECUTION
    assert [type(e) for e in found] == [events.RefundApproved, events.RefundReadyForExecution]


def test_failed_qc_rejects_and_needs_notes() -> None:
    received = after_shipment().receive_return(WAREHOUSE, "", LATER)
    with pytest.raises(InvalidArgument) as refused:
        received.record_qc(WAREHOUSE, False, "", LATER)
    assert refused.value.violations[0].field == "notes"
    rejected, found = received.record_qc(WAREHOUSE, False, "scratched by the buyer", LATER)
    assert rejected.status is RefundStatus.REJECTED and rejected.return_status is ReturnStatus.QC_FAILED
    assert isinstance(found[0], events.RefundRejected) and found[0].qc_failed
    assert "scratched" in rejected.rejection_reason


def test_returns_only_for_full_refunds_after_shipment_and_only_by_the_warehouse() -> None:
    with pytest.raises(ReturnNotExpected):
        opened().receive_return(WAREHOUSE, "", LATER)
    with pytest.raises(RoleNotAllowed):
        after_shipment().receive_return(SUPERVISOR, "", LATER)


# Execution.


def ready_refund() -> Refund:
    refund, _ = approved_by_supervisor(opened(amount=cny(100), shipping_fee=cny(0)))
    return refund


def test_execution_completes_once() -> None:
    executing = ready_refund().start_execution("saga-1", LATER)
    assert executing.status is RefundStatus.EXECUTING
    assert executing.start_execution("saga-1", LATER) == executing
    with pytest.raises(ExecutedByOtherSaga):
        executing.start_execution("saga-2", LATER)
    completed, found = executing.complete("pay-refund-1", LATER)
    assert completed.status is RefundStatus.COMPLETED and completed.completed_at == LATER
    assert isinstance(found[0], events.RefundCompleted) and found[0].payment_refund_id == "pay-refund-1"
    assert completed.complete("pay-refund-1", LATER) == (completed, [])
    with pytest.raises(InvalidTransition):
        completed.complete("pay-refund-2", LATER)
    with pytest.raises(InvalidTransition):
        completed.fail("late failure", LATER)


def test_execution_can_fail_once() -> None:
    executing = ready_refund().start_execution("saga-1", LATER)
    failed, found = executing.fail("PAYMENT: REFUND_DECLINED", LATER)
    assert failed.status is RefundStatus.FAILED and isinstance(found[0], events.RefundFailed)
    assert failed.fail("again", LATER) == (failed, [])
    with pytest.raises(InvalidTransition):
        failed.complete("pay-refund-1", LATER)


def test_execution_needs_a_ready_refund() -> None:
    with pytest.raises(InvalidTransition):
        opened().start_execution("saga-1", LATER)
    with pytest.raises(InvalidTransition):
        opened().complete("pay-refund-1", LATER)


def test_transition_table_has_no_way_out_of_terminal_states() -> None:
    for terminal in (RefundStatus.COMPLETED, RefundStatus.REJECTED, RefundStatus.FAILED):
        assert TRANSITIONS[terminal] == frozenset()
    assert set(TRANSITIONS) == set(RefundStatus)


def test_sweeper_predicates() -> None:
    refund = opened()
    assert refund.required_roles == ("finance", "operations")
    assert not refund.is_due_for_escalation(NOW + timedelta(hours=3, minutes=59))
    assert refund.is_due_for_escalation(NOW + timedelta(hours=4))
    assert not dataclasses.replace(refund, escalated_at=NOW).is_due_for_escalation(NOW + timedelta(hours=5))
    assert refund.is_overdue(NOW + timedelta(hours=24)) and not refund.is_overdue(NOW + timedelta(hours=23))
    rejected, _ = refund.reject(FINANCE, "no", LATER)
    assert not rejected.is_overdue(NOW + timedelta(days=9))
    event = refund.escalation_event(NOW + timedelta(hours=4))
    assert event.missing_roles == ("finance", "operations")


# Exceptions.


def raised(items: tuple[Item, ...] = (Item("SKU-9", 1),)) -> OrderException:
    exception, _ = OrderException.record(
        exception_id=new_id(),
        order_id=new_id(),
        type=ExceptionType.DAMAGED,
        responsibility=Responsibility.CARRIER,
        description="箱子压坏",
        items=items,
        raised_by=REQUESTER,
        now=NOW,
    )
    return exception


def test_reship_defaults_to_the_exception_items_and_asks_the_warehouse() -> None:
    exception = raised()
    resolved, found = exception.resolve_by_reship(
        items=(), warehouse_id="", task_id="t-1", responsibility=None, note="", resolver=SUPERVISOR, now=LATER
    )
    assert resolved.status is ExceptionStatus.RESOLVED
    assert resolved.resolution is not None and resolved.resolution.remedy is Remedy.RESHIP
    task, done = found
    assert isinstance(task, events.WarehouseTaskRequested) and task.items == (Item("SKU-9", 1),)
    assert isinstance(done, events.OrderExceptionResolved) and done.warehouse_task_id == "t-1"
    with pytest.raises(InvalidTransition):
        resolved.resolve_by_gift(gift=Gift("coupon"), responsibility=None, note="", resolver=SUPERVISOR, now=LATER)


def test_reship_without_items_anywhere_is_refused() -> None:
    with pytest.raises(InvalidArgument) as refused:
        raised(items=()).resolve_by_reship(
            items=(), warehouse_id="", task_id="t", responsibility=None, note="", resolver=SUPERVISOR, now=LATER
        )
    assert refused.value.violations[0].field == "reship.items"


def test_resolution_may_correct_responsibility_and_gift_is_checked() -> None:
    with pytest.raises(InvalidArgument) as refused:
        raised().resolve_by_gift(
            gift=Gift("", "SKU-G", 1), responsibility=None, note="", resolver=SUPERVISOR, now=LATER
        )
    assert refused.value.violations[0].field == "gift.description"
    resolved, found = raised().resolve_by_gift(
        gift=Gift("满200减30 coupon", "SKU-G", 1),
        responsibility=Responsibility.SUPPLIER,
        note="",
        resolver=SUPERVISOR,
        now=LATER,
    )
    assert resolved.responsibility is Responsibility.SUPPLIER
    assert isinstance(found[0], events.OrderExceptionResolved) and found[0].remedy is Remedy.GIFT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_id": "x"}, "order_id"),
        ({"type": None}, "type"),
        ({"responsibility": None}, "responsibility"),
        ({"description": ""}, "description"),
        ({"items": (Item("S", -1),)}, "items[0].quantity"),
    ],
)
def test_bad_exception_input_names_the_field(overrides: dict[str, Any], field: str) -> None:
    fields: dict[str, Any] = {
        "exception_id": new_id(),
        "order_id": new_id(),
        "type": ExceptionType.SHORT_SHIPPED,
        "responsibility": Responsibility.WAREHOUSE,
        "description": "one missing",
        "items": (),
        "raised_by": REQUESTER,
        "now": NOW,
    }
    fields.update(overrides)
    with pytest.raises(InvalidArgument) as refused:
        OrderException.record(**fields)
    assert refused.value.violations[0].field == field

"""The payment state machine, refund arithmetic, provider outcomes and what callbacks mean."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.payments.domain import events
from services.payments.domain.callbacks import CallbackType, ProviderCallback, decide, next_attempt_at
from services.payments.domain.errors import (
    CallbackConflict,
    CaptureExceedsAuthorized,
    CurrencyMismatch,
    RefundExceedsCaptured,
)
from services.payments.domain.model import (
    TRANSITIONS,
    Operation,
    OperationKind,
    OperationStatus,
    Outcome,
    OutcomeStatus,
    Payment,
    PaymentStatus,
    apply_outcome,
    ensure_transition,
)
from shared.kernel.errors import InvalidTransition
from shared.kernel.money import Money

NOW = datetime(2025, 11, 11, tzinfo=UTC)
S = PaymentStatus


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def new_payment(amount: int = 10_000) -> Payment:
    return Payment.start(payment_id="p-1", order_id="o-1", amount=cny(amount), provider="sandbox", now=NOW)


def authorized(amount: int = 10_000) -> Payment:
    return new_payment(amount).authorize("ref-1", NOW)[0]


def captured(amount: int = 10_000) -> Payment:
    payment = authorized(amount)
    return payment.capture(payment.authorized, NOW)[0]


def operation(kind: OperationKind, amount: int = 10_000, operation_id: str = "op-1") -> Operation:
    return Operation(operation_id, "p-1", kind, "req-1", "fp", cny(amount), OperationStatus.PENDING, NOW, NOW)


# The state machine.

ALLOWED = {
    (S.AUTHORIZING, S.AUTHORIZED),
    (S.AUTHORIZING, S.DECLINED),
    (S.AUTHORIZING, S.FAILED),
    (S.AUTHORIZED, S.CAPTURED),
    (S.AUTHORIZED, S.VOIDED),
    (S.CAPTURED, S.PARTIALLY_REFUNDED),
    (S.CAPTURED, S.REFUNDED),
    (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
    (S.PARTIALLY_REFUNDED, S.REFUNDED),
}


@pytest.mark.parametrize("from_", list(S))
@pytest.mark.parametrize("to", list(S))
def test_exactly_the_documented_transitions_are_allowed(from_: PaymentStatus, to: PaymentStatus) -> None:
    if (from_, to) in ALLOWED:
        ensure_transition("p-1", from_, to)
        return
    with pytest.raises(InvalidTransition) as refused:
        ensure_transition("p-1", from_, to)
    assert refused.value.reason == "INVALID_TRANSITION"
    assert refused.value.metadata == {"entity": "payment", "id": "p-1", "from": from_.value, "to": to.value}


def test_every_status_has_its_transitions_listed() -> None:
    assert set(TRANSITIONS) == set(S)


def test_authorization_outcomes() -> None:
    payment, event = new_payment().authorize("ref-9", NOW)
    assert (payment.status, payment.authorized, payment.provider_reference) == (S.AUTHORIZED, cny(10_000), "ref-9")
    assert event == events.PaymentAuthorized("p-1", "o-1", cny(10_000), "sandbox", "ref-9", NOW)
    declined, event = new_payment().decline("card_declined", NOW)
    assert (declined.status, declined.failure_reason, declined.authorized) == (S.DECLINED, "card_declined", cny(0))
    assert isinstance(event, events.PaymentDeclined)
    failed, event = new_payment().fail("no record", NOW)
    assert failed.status is S.FAILED and isinstance(event, events.PaymentFailed)
    with pytest.raises(InvalidTransition):
        payment.authorize("ref-10", NOW)


def test_capture_is_bounded_by_the_authorization_and_happens_once() -> None:
    payment = authorized(5_000)
    with pytest.raises(CaptureExceedsAuthorized) as refused:
        payment.capture(cny(5_001), NOW)
    assert refused.value.metadata["authorized_minor"] == "5000"
    with pytest.raises(CurrencyMismatch) as mismatch:
        payment.capture(Money(100, "USD"), NOW)
    assert [v.field for v in mismatch.value.violations] == ["amount.currency"]
    taken, event = payment.capture(cny(4_000), NOW + timedelta(seconds=1))
    assert (taken.status, taken.captured, taken.updated_at) == (S.CAPTURED, cny(4_000), NOW + timedelta(seconds=1))
    assert event.amount == cny(4_000)
    with pytest.raises(InvalidTransition):
        taken.capture(cny(1), NOW)
    with pytest.raises(InvalidTransition):
        new_payment().check_capture(cny(1))


def test_void_is_allowed_once_and_only_before_capture() -> None:
    payment = authorized()
    assert payment.check_void()
    voided, event = payment.void(NOW)
    assert voided.status is S.VOIDED and event.amount == cny(10_000)
    assert voided.check_void() is False
    with pytest.raises(InvalidTransition):
        captured().check_void()
    with pytest.raises(InvalidTransition):
        new_payment().check_void()


def test_refunds_reserve_then_settle_up_to_the_capture() -> None:
    payment = captured(10_000)
    payment = payment.reserve_refund(cny(3_000), NOW)
    payment = payment.reserve_refund(cny(7_000), NOW)
    assert (payment.refund_pending, payment.refundable) == (cny(10_000), cny(0))
    with pytest.raises(RefundExceedsCaptured) as refused:
        payment.reserve_refund(cny(1), NOW)
    assert refused.value.metadata["refundable_minor"] == "0"

    first = dataclasses.replace(operation(OperationKind.REFUND, 3_000), reason="缺货")
    payment, event = payment.settle_refund(first, NOW)
    assert (payment.status, payment.refunded, payment.refund_pending) == (S.PARTIALLY_REFUNDED, cny(3_000), cny(7_000))
    assert not event.fully_refunded and event.reason == "缺货"
    payment = payment.release_refund(operation(OperationKind.REFUND, 7_000, "op-2"), NOW)
    assert (payment.status, payment.refund_pending, payment.refundable) == (S.PARTIALLY_REFUNDED, cny(0), cny(7_000))
    payment, event = payment.reserve_refund(cny(7_000), NOW).settle_refund(operation(OperationKind.REFUND, 7_000), NOW)
    assert (payment.status, payment.refunded) == (S.REFUNDED, cny(10_000))
    assert event.fully_refunded and event.refunded_total == cny(10_000)


def test_refunds_need_a_capture() -> None:
    for payment in (new_payment(), authorized(), authorized().void(NOW)[0]):
        with pytest.raises(InvalidTransition):
            payment.check_refund(cny(1))
    with pytest.raises(CurrencyMismatch):
        captured().check_refund(Money(1, "USD"))


# Provider outcomes of each kind of operation.


def test_authorize_outcomes_move_the_payment() -> None:
    auth = operation(OperationKind.AUTHORIZE)
    payment, settled, emitted = apply_outcome(new_payment(), auth, Outcome.succeeded("ref-2"), NOW)
    assert (payment.status, settled.status, settled.provider_reference) == (
        S.AUTHORIZED,
        OperationStatus.SUCCEEDED,
        "ref-2",
    )
    assert [type(e) for e in emitted] == [events.PaymentAuthorized]
    payment, settled, emitted = apply_outcome(new_payment(), auth, Outcome.declined("card_declined"), NOW)
    assert (payment.status, settled.status, settled.failure_reason) == (
        S.DECLINED,
        OperationStatus.FAILED,
        "card_declined",
    )
    payment, settled, emitted = apply_outcome(new_payment(), auth, Outcome.not_found(), NOW)
    assert payment.status is S.FAILED and [type(e) for e in emitted] == [events.PaymentFailed]


def test_a_failed_capture_or_void_leaves_the_payment_authorized() -> None:
    for kind in (OperationKind.CAPTURE, OperationKind.VOID):
        payment, settled, emitted = apply_outcome(authorized(), operation(kind), Outcome.declined("nope"), NOW)
        assert (payment.status, settled.status, emitted) == (S.AUTHORIZED, OperationStatus.FAILED, [])
    payment, _, emitted = apply_outcome(
        authorized(), operation(OperationKind.CAPTURE, 6_000), Outcome.succeeded("c"), NOW
    )
    assert (payment.status, payment.captured) == (S.CAPTURED, cny(6_000))
    payment, _, emitted = apply_outcome(authorized(), operation(OperationKind.VOID), Outcome.succeeded("v"), NOW)
    assert payment.status is S.VOIDED and isinstance(emitted[0], events.PaymentVoided)


def test_refund_outcomes_settle_release_or_wait() -> None:
    reserved = captured().reserve_refund(cny(4_000), NOW)
    refund = operation(OperationKind.REFUND, 4_000)
    payment, settled, emitted = apply_outcome(reserved, refund, Outcome.succeeded("r"), NOW)
    assert (payment.refunded, payment.refund_pending, settled.status) == (cny(4_000), cny(0), OperationStatus.SUCCEEDED)
    payment, settled, emitted = apply_outcome(reserved, refund, Outcome.declined("no"), NOW)
    assert (payment.refunded, payment.refund_pending, emitted) == (cny(0), cny(0), [])
    payment, settled, emitted = apply_outcome(reserved, refund, Outcome(OutcomeStatus.PENDING, "r-9"), NOW)
    assert (payment, settled.status, settled.provider_reference, emitted) == (
        reserved,
        OperationStatus.PENDING,
        "r-9",
        [],
    )


# Callbacks: new news settles, old news is ignored, contradictions are conflicts.


def notice(kind: CallbackType, amount: int = 10_000, refund: str = "") -> ProviderCallback:
    return ProviderCallback("cb-1", "sandbox", "evt-1", kind, "p-1", "ref-cb", refund, cny(amount), None, NOW)


def settled(op: Operation, status: OperationStatus) -> Operation:
    return dataclasses.replace(op, status=status)


def test_payment_notices_settle_a_pending_authorization() -> None:
    auth = operation(OperationKind.AUTHORIZE)
    assert decide(notice(CallbackType.PAYMENT_SUCCEEDED), new_payment(), auth) == Outcome.succeeded("ref-cb")
    outcome = decide(notice(CallbackType.PAYMENT_FAILED), new_payment(), auth)
    assert outcome is not None and outcome.status.value == "DECLINED"


@pytest.mark.parametrize("later", [authorized(), captured(), authorized().void(NOW)[0]])
def test_a_late_success_notice_never_moves_a_payment_back(later: Payment) -> None:
    done = settled(operation(OperationKind.AUTHORIZE), OperationStatus.SUCCEEDED)
    assert decide(notice(CallbackType.PAYMENT_SUCCEEDED), later, done) is None


def test_contradicting_payment_notices_are_conflicts() -> None:
    done = settled(operation(OperationKind.AUTHORIZE), OperationStatus.SUCCEEDED)
    with pytest.raises(CallbackConflict):
        decide(notice(CallbackType.PAYMENT_FAILED), captured(), done)
    declined = new_payment().decline("card_declined", NOW)[0]
    failed_op = settled(operation(OperationKind.AUTHORIZE), OperationStatus.FAILED)
    assert decide(notice(CallbackType.PAYMENT_FAILED), declined, failed_op) is None
    with pytest.raises(CallbackConflict):
        decide(notice(CallbackType.PAYMENT_SUCCEEDED), declined, failed_op)
    with pytest.raises(CallbackConflict, match=r"says 99\.99 CNY"):
        decide(notice(CallbackType.PAYMENT_SUCCEEDED, amount=9_999), new_payment(), operation(OperationKind.AUTHORIZE))


def test_refund_notices() -> None:
    payment = captured().reserve_refund(cny(4_000), NOW)
    refund = operation(OperationKind.REFUND, 4_000, "r-1")
    assert decide(notice(CallbackType.REFUND_SUCCEEDED, 4_000, "r-1"), payment, refund) == Outcome.succeeded("ref-cb")
    done = settled(refund, OperationStatus.SUCCEEDED)
    assert decide(notice(CallbackType.REFUND_SUCCEEDED, 4_000, "r-1"), payment, done) is None
    with pytest.raises(CallbackConflict):
        decide(notice(CallbackType.REFUND_FAILED, 4_000, "r-1"), payment, done)
    with pytest.raises(CallbackConflict):
        decide(notice(CallbackType.REFUND_SUCCEEDED, 4_001, "r-1"), payment, refund)
    failed = settled(refund, OperationStatus.FAILED)
    assert decide(notice(CallbackType.REFUND_FAILED, 4_000, "r-1"), payment, failed) is None


def test_retries_run_at_fixed_delays_after_receipt_then_stop() -> None:
    delays = (timedelta(minutes=1), timedelta(minutes=3), timedelta(minutes=10))
    assert [next_attempt_at(NOW, attempts, delays) for attempts in (1, 2, 3, 4)] == [
        NOW + timedelta(minutes=1),
        NOW + timedelta(minutes=3),
        NOW + timedelta(minutes=10),
        None,
    ]
    assert next_attempt_at(NOW, 1, ()) is None

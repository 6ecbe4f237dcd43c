"""The consistency rules as a table: each case is one order's facts and exactly the rules it must break."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from shared.kernel.money import Money
from tools.reconcile.facts import (
    Line,
    OrderFacts,
    OrderView,
    PaymentRefundView,
    PaymentView,
    RefundView,
    ReservationView,
    SagaView,
)
from tools.reconcile.rules import RULES, Policy, describe, judge

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(hours=2)
JUST_NOW = NOW - timedelta(seconds=5)
ORDER = "0196a000-0000-7000-8000-000000000001"
PAY = "0196a000-0000-7000-8000-0000000000aa"
OTHER_PAY = "0196a000-0000-7000-8000-0000000000bb"
TOTAL = 19_800


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def order(status: str = "PAID", **changes: object) -> OrderView:
    base = OrderView(
        order_id=ORDER,
        status=status,
        total=cny(TOTAL),
        created_at=LONG_AGO,
        updated_at=LONG_AGO,
        payment_id="" if status == "PENDING_PAYMENT" else PAY,
        lines=(Line("SKU-𠮷", 2),),
    )
    return replace(base, **changes)


def payment(status: str = "CAPTURED", *, captured: int = TOTAL, refunded: int = 0, pending: int = 0, **changes):
    base = PaymentView(
        payment_id=PAY,
        status=status,
        captured=cny(captured),
        refunded=cny(refunded),
        refund_pending=cny(pending),
    )
    return replace(base, **changes)


def paid_back(refund_id: str, amount: int, status: str = "SUCCEEDED") -> PaymentRefundView:
    return PaymentRefundView(refund_id, cny(amount), status)


def reservation(status: str = "COMMITTED", quantity: int = 2, **changes: object) -> ReservationView:
    return replace(ReservationView("res-1", status, (Line("SKU-𠮷", quantity),)), **changes)


def refund(status: str = "COMPLETED", total: int = TOTAL, payment_refund_id: str = "pr-1", **changes) -> RefundView:
    base = RefundView("ref-1", status, cny(total), LONG_AGO, PAY, payment_refund_id if status == "COMPLETED" else "")
    return replace(base, **changes)


def saga(state: str = "SUCCEEDED", **changes: object) -> SagaView:
    return replace(SagaView("saga-1", state, LONG_AGO, payment_id=PAY), **changes)


def facts(
    the_order: OrderView | None = None,
    payments: tuple[PaymentView, ...] = (payment(),),
    reservations: tuple[ReservationView, ...] = (reservation(),),
    refunds: tuple[RefundView, ...] = (),
    the_saga: SagaView | None = saga(),
) -> OrderFacts:
    return OrderFacts(
        order=the_order or order(),
        as_of=NOW,
        payments=payments,
        reservations=reservations,
        refunds=refunds,
        saga=the_saga,
    )


CHANNEL_ORDER = order(channel="TMALL", payment_id="TMALL:8870012")

CONSISTENT = {
    "paid through the saga": facts(),
    "shipped and confirmed": facts(order("SHIPPED"), reservations=(reservation("CONFIRMED"),)),
    "completed, stock confirmed": facts(order("COMPLETED"), reservations=(reservation("CONFIRMED"),)),
    "held for review after payment": facts(order("ON_HOLD", resume_status="UNDER_REVIEW", hold_reason="check")),
    "cancelled after payment, capture refunded": facts(
        order("CANCELLED"),
        payments=(payment("REFUNDED", refunded=TOTAL, refunds=(paid_back("pr-9", TOTAL),)),),
        reservations=(reservation("RELEASED"),),
    ),
    "cancelled with the refund still pending at the provider": facts(
        order("CANCELLED"),
        payments=(payment(pending=TOTAL, refunds=(paid_back("pr-9", TOTAL, "PENDING"),)),),
        reservations=(reservation("RELEASED"),),
    ),
    "declined card, placement undone": facts(
        order("CANCELLED", payment_id=""),
        payments=(payment("DECLINED", captured=0),),
        reservations=(reservation("RELEASED"),),
        the_saga=saga("FAILED", payment_id="", failed_step="authorize_payment", failure_reason="PAYMENT_DECLINED"),
    ),
    "voided authorization": facts(
        order("CANCELLED", payment_id=""),
        payments=(payment("VOIDED", captured=0),),
        reservations=(reservation("RELEASED"),),
        the_saga=saga("FAILED", payment_id=""),
    ),
    "failed before any stock or payment": facts(
        order("CANCELLED", payment_id=""), payments=(), reservations=(), the_saga=saga("FAILED", payment_id="")
    ),
    "refunded in full before shipment": facts(
        order("CANCELLED"),
        payments=(payment("REFUNDED", refunded=TOTAL, refunds=(paid_back("pr-1", TOTAL),)),),
        reservations=(reservation("RELEASED"),),
        refunds=(refund(),),
    ),
    "partly refunded after shipment": facts(
        order("DELIVERED"),
        payments=(payment("PARTIALLY_REFUNDED", refunded=3_000, refunds=(paid_back("pr-1", 3_000),)),),
        reservations=(reservation("CONFIRMED"),),
        refunds=(refund(total=3_000), refund("REJECTED", total=500, refund_id="ref-2")),
    ),
    "marketplace order paid on its channel, stock held": facts(
        CHANNEL_ORDER, payments=(), reservations=(reservation("HELD"),), the_saga=None
    ),
    "marketplace order not paid yet": facts(
        order("PENDING_PAYMENT", channel="JD"), payments=(), reservations=(), the_saga=None
    ),
    "order awaiting payment, saga long finished with a failure, cancelled": facts(
        order("CANCELLED", payment_id=""), payments=(), reservations=(reservation("EXPIRED"),), the_saga=saga("FAILED")
    ),
}


@pytest.mark.parametrize("case", CONSISTENT)
def test_a_consistent_order_breaks_no_rule(case: str):
    verdict = judge(CONSISTENT[case])

    assert verdict.in_flight is None
    assert verdict.differences == ()
    assert verdict.consistent


DIFFERENT = {
    "paid without any payment": (
        facts(payments=()),
        {"paid_order_has_one_capture"},
        "no payment at payments",
    ),
    "paid on an authorization never captured": (
        facts(payments=(payment("AUTHORIZED", captured=0),)),
        {"paid_order_has_one_capture"},
        "authorized but never captured",
    ),
    "captured twice": (
        facts(payments=(payment(), payment(payment_id=OTHER_PAY))),
        {"paid_order_has_one_capture"},
        "captured twice",
    ),
    "paid with another payment than the one captured": (
        facts(payments=(payment(payment_id=OTHER_PAY),)),
        {"paid_order_has_one_capture"},
        "another payment than the one captured",
    ),
    "captured another amount than the total": (
        facts(payments=(payment(captured=TOTAL - 1),)),
        {"capture_matches_total"},
        "another amount than the order total",
    ),
    "refunded at payments behind the refunds service": (
        facts(payments=(payment("PARTIALLY_REFUNDED", refunded=5_000, refunds=(paid_back("pr-x", 5_000),)),)),
        {"capture_matches_total"},
        "behind the refunds service",
    ),
    "refund execution stuck after paying back": (
        facts(
            payments=(payment("PARTIALLY_REFUNDED", refunded=5_000, refunds=(paid_back("pr-x", 5_000),)),),
            refunds=(refund("EXECUTING", total=5_000),),
        ),
        {"capture_matches_total", "refund_execution_settled"},
        "still EXECUTING",
    ),
    "paid order's reservation released behind the saga's back": (
        facts(reservations=(reservation("RELEASED", release_reason="manual"),)),
        {"paid_order_has_stock"},
        "released behind the saga's back",
    ),
    "paid order's hold expired": (
        facts(reservations=(reservation("EXPIRED"),)),
        {"paid_order_has_stock"},
        "expired before it was committed",
    ),
    "paid through the saga but never committed": (
        facts(reservations=(reservation("HELD"),)),
        {"paid_order_has_stock"},
        "commit step did not run",
    ),
    "paid without a reservation": (
        facts(reservations=()),
        {"paid_order_has_stock"},
        "never reserved",
    ),
    "reservation short of the order's lines": (
        facts(reservations=(reservation(quantity=1),)),
        {"paid_order_has_stock"},
        "fewer units than the order's lines",
    ),
    "marketplace order refused its stock": (
        facts(
            replace(CHANNEL_ORDER, status="EXCEPTION", resume_status="PAID", hold_reason="OUT_OF_STOCK: SKU-𠮷"),
            payments=(),
            reservations=(),
            the_saga=None,
        ),
        {"paid_order_has_stock"},
        "inventory refused the hold",
    ),
    "marketplace order whose hold never came": (
        facts(CHANNEL_ORDER, payments=(), reservations=(), the_saga=None),
        {"paid_order_has_stock"},
        "never reserved",
    ),
    "shipped but never confirmed at inventory": (
        facts(order("SHIPPED")),
        {"shipped_reservation_confirmed"},
        "shipment was not confirmed",
    ),
    "shipped with its stock released": (
        facts(order("SHIPPED"), reservations=(reservation("RELEASED"),)),
        {"paid_order_has_stock"},
        "released",
    ),
    "cancelled but stock still committed": (
        facts(order("CANCELLED"), payments=(payment("REFUNDED", refunded=TOTAL),)),
        {"cancelled_order_released"},
        "release was skipped or failed",
    ),
    "cancelled with the capture kept, compensation refused": (
        facts(
            order("CANCELLED"),
            reservations=(reservation("RELEASED"),),
            the_saga=saga(
                "COMPENSATION_FAILED", failed_step="commit_reservation", failure_reason="RESERVATION_EXPIRED"
            ),
        ),
        {"cancelled_order_refunded", "saga_settled"},
        "capture without paid order: saga compensation refused",
    ),
    "cancelled with the capture kept": (
        facts(order("CANCELLED"), reservations=(reservation("RELEASED"),)),
        {"cancelled_order_refunded"},
        "capture without paid order",
    ),
    "cancelled with an authorization still held": (
        facts(
            order("CANCELLED", payment_id=""),
            payments=(payment("AUTHORIZED", captured=0),),
            reservations=(reservation("RELEASED"),),
            the_saga=saga("FAILED"),
        ),
        {"cancelled_order_refunded"},
        "void was skipped or failed",
    ),
    "one refund completed twice": (
        facts(
            order("DELIVERED"),
            payments=(payment("REFUNDED", refunded=TOTAL, refunds=(paid_back("pr-1", TOTAL),)),),
            reservations=(reservation("CONFIRMED"),),
            refunds=(refund(), refund(refund_id="ref-2")),
        ),
        {"refunds_within_capture"},
        "more refunded than was captured",
    ),
    "a payment that gave back more than it took": (
        facts(
            order("DELIVERED"),
            payments=(payment("REFUNDED", refunded=TOTAL + 100),),
            reservations=(reservation("CONFIRMED"),),
        ),
        {"refunds_within_capture", "capture_matches_total"},
        "refunded more than it captured",
    ),
    "refund completed without a payment refund": (
        facts(order("DELIVERED"), reservations=(reservation("CONFIRMED"),), refunds=(refund(payment_refund_id=""),)),
        {"completed_refund_paid"},
        "completed without paying",
    ),
    "refund completed naming an unknown payment refund": (
        facts(order("DELIVERED"), reservations=(reservation("CONFIRMED"),), refunds=(refund(total=3_000),)),
        {"completed_refund_paid"},
        "without the money paid back",
    ),
    "refund completed while the provider has not paid": (
        facts(
            order("DELIVERED"),
            payments=(payment(pending=3_000, refunds=(paid_back("pr-1", 3_000, "PENDING"),)),),
            reservations=(reservation("CONFIRMED"),),
            refunds=(refund(total=3_000),),
        ),
        {"completed_refund_paid"},
        "before the provider paid it out",
    ),
    "refund completed for another amount than paid back": (
        facts(
            order("DELIVERED"),
            payments=(payment("PARTIALLY_REFUNDED", refunded=2_000, refunds=(paid_back("pr-1", 2_000),)),),
            reservations=(reservation("CONFIRMED"),),
            refunds=(refund(total=3_000),),
        ),
        {"completed_refund_paid"},
        "differs from the refund granted",
    ),
    "saga succeeded, order never marked paid": (
        facts(order("PENDING_PAYMENT")),
        {"succeeded_saga_paid_order"},
        "never marked paid",
    ),
    "saga paid with another payment than the order names": (
        facts(the_saga=saga(payment_id=OTHER_PAY)),
        {"succeeded_saga_paid_order"},
        "another payment than its placement saga took",
    ),
    "saga failed, order left awaiting payment": (
        facts(order("PENDING_PAYMENT"), payments=(), reservations=(reservation("RELEASED"),), the_saga=saga("FAILED")),
        {"failed_saga_cancelled_order"},
        "cancel compensation did not run",
    ),
    "saga stuck running": (
        facts(order("PENDING_PAYMENT"), payments=(), reservations=(reservation("HELD"),), the_saga=saga("RUNNING")),
        {"saga_settled"},
        "the saga is stuck",
    ),
    "captured in another currency than the order's": (
        facts(payments=(replace(payment(), captured=Money(TOTAL, "USD")),)),
        {"amounts_in_order_currency"},
        "another currency",
    ),
}


@pytest.mark.parametrize("case", DIFFERENT)
def test_each_inconsistency_is_named_by_its_rule_with_a_cause(case: str):
    given, rules, cause = DIFFERENT[case]

    verdict = judge(given)

    assert verdict.in_flight is None
    assert {d.rule for d in verdict.differences} == rules
    assert all(d.order_id == ORDER and d.found and d.cause for d in verdict.differences)
    assert any(cause in d.cause for d in verdict.differences), [d.cause for d in verdict.differences]
    assert not verdict.consistent


IN_FLIGHT = {
    "placement saga still running": (
        facts(order("PENDING_PAYMENT"), payments=(), the_saga=saga("RUNNING", created_at=JUST_NOW)),
        "placement saga saga-1 RUNNING",
    ),
    "placement saga compensating": (
        facts(order("CANCELLED"), the_saga=saga("COMPENSATING", created_at=JUST_NOW)),
        "placement saga saga-1 COMPENSATING",
    ),
    "refund being executed": (
        facts(
            payments=(payment("PARTIALLY_REFUNDED", refunded=5_000, refunds=(paid_back("pr-x", 5_000),)),),
            refunds=(refund("EXECUTING", total=5_000, updated_at=JUST_NOW),),
        ),
        "refund ref-1 EXECUTING",
    ),
    "marketplace order whose hold is on its way": (
        facts(replace(CHANNEL_ORDER, updated_at=JUST_NOW), payments=(), reservations=(), the_saga=None),
        "stock hold of the channel order pending",
    ),
}


@pytest.mark.parametrize("case", IN_FLIGHT)
def test_an_order_between_two_states_is_in_flight_not_judged(case: str):
    given, why = IN_FLIGHT[case]

    verdict = judge(given)

    assert verdict.in_flight == why
    assert verdict.differences == ()
    assert not verdict.consistent


def test_how_long_before_running_is_stuck_is_the_policy():
    running = facts(
        order("PENDING_PAYMENT"), payments=(), the_saga=saga("RUNNING", created_at=NOW - timedelta(minutes=5))
    )

    assert judge(running, Policy(stuck_after=timedelta(minutes=10))).in_flight is not None
    stuck = judge(running, Policy(stuck_after=timedelta(minutes=4)))
    assert stuck.in_flight is None
    assert [d.rule for d in stuck.differences] == ["saga_settled"]


def test_every_rule_has_a_unique_name_and_says_what_it_demands():
    described = describe()

    assert len(described) == len(RULES)
    assert all(text.endswith(".") or text.endswith(")") for text in described.values()), described
    assert "paid_order_has_stock" in described


def test_every_rule_is_exercised_by_the_table():
    broken = set().union(*(rules for _, rules, _ in DIFFERENT.values()))

    assert broken == set(describe())

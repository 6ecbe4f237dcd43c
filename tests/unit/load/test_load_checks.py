"""The load tool's correctness checks on a small hand-made run: all pass when consistent, each fails alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tools.load.checks import (
    CheckResult,
    Facts,
    HoldFact,
    OrderFact,
    PaymentFact,
    RefundFact,
    SagaFact,
    SkuSnapshot,
    evaluate,
)
from tools.load.scenarios import Attempt, remark_tag

NOW = datetime(2025, 11, 11, 0, 5, tzinfo=UTC)
LATER = NOW + timedelta(minutes=30)
RUN = "r1"
PRICES = {"A": 100, "B": 50, "HOT": 300}


def sku(name: str, on_hand: int, reserved: int, safety: int = 0, shipped: int = 0) -> SkuSnapshot:
    return SkuSnapshot(name, on_hand, reserved, safety, max(0, on_hand - reserved - safety), shipped)


def order(order_id: str, number: int, status: str, *lines: tuple[str, int]) -> OrderFact:
    total = sum(PRICES[s] * q for s, q in lines)
    return OrderFact(order_id, status, total, f"c-{order_id}", remark_tag(RUN, number), tuple(lines))


def hold(order_id: str, *lines: tuple[str, int], status: str = "COMMITTED", expires: datetime = LATER) -> HoldFact:
    return HoldFact(f"res-{order_id}", order_id, status, tuple(lines), expires)


def payment(order_id: str, captured: int, refunded: int = 0, status: str = "CAPTURED") -> PaymentFact:
    return PaymentFact(f"pay-{order_id}", order_id, status, captured, refunded, 0)


def placed(number: int, scenario: str, order_id: str, *lines: tuple[str, int], replies: int = 1) -> Attempt:
    total = sum(PRICES[s] * q for s, q in lines)
    return Attempt(
        number,
        scenario,
        due=number * 0.1,
        request_id=f"req-{number}",
        sent=number * 0.1,
        finished=number * 0.1 + 0.05,
        outcome="ok",
        order_id=order_id,
        saga_id=f"saga-{number}",
        total_minor=total,
        lines=tuple(lines),
        replies=[f"order:{order_id}"] * replies,
    )


def refused(number: int, scenario: str, reason: str) -> Attempt:
    return Attempt(
        number,
        scenario,
        due=number * 0.1,
        request_id=f"req-{number}",
        finished=number * 0.1 + 0.05,
        outcome="refused",
        code="FAILED_PRECONDITION",
        reason=reason,
        replies=[f"refused:{reason}"],
    )


def consistent_run() -> Facts:
    """A run of 9 arrivals whose every figure agrees: 6 orders placed (one only known through GetSaga),
    one of them cancelled, a declined card, a flash sale of 2 units with 3 buyers."""
    cancel = Attempt(7, "cancel", 0.7, request_id="req-7", outcome="ok", target_order_id="o6", finished=0.8)
    unheard = Attempt(8, "place", 0.8, request_id="req-8", outcome="error", code="DEADLINE_EXCEEDED")
    attempts = [
        placed(0, "place", "o0", ("A", 2)),
        placed(1, "retry", "o1", ("B", 1), replies=3),
        refused(2, "decline", "PAYMENT_DECLINED"),
        placed(3, "flash", "o3", ("HOT", 1)),
        placed(4, "flash", "o4", ("HOT", 1)),
        refused(5, "flash", "INSUFFICIENT_STOCK"),
        placed(6, "place", "o6", ("A", 1)),
        cancel,
        unheard,
    ]
    listed = [
        order("o0", 0, "PAID", ("A", 2)),
        order("o1", 1, "PAID", ("B", 1)),
        order("o2", 2, "CANCELLED", ("A", 1)),
        order("o3", 3, "PAID", ("HOT", 1)),
        order("o4", 4, "PAID", ("HOT", 1)),
        order("o5", 5, "CANCELLED", ("HOT", 1)),
        order("o6", 6, "CANCELLED", ("A", 1)),
        order("o8", 8, "PAID", ("B", 2)),
    ]
    fetched = {o.order_id: o for o in listed if o.order_id in {"o0", "o1", "o3", "o4", "o6", "o8"}}
    return Facts(
        run_id=RUN,
        skus=("A", "B", "HOT"),
        hot_sku="HOT",
        flash_units=2,
        initial={"A": sku("A", 100, 0, 10), "B": sku("B", 100, 0, 10), "HOT": sku("HOT", 2, 0)},
        final={"A": sku("A", 100, 2, 10), "B": sku("B", 100, 3, 10), "HOT": sku("HOT", 2, 2)},
        attempts=attempts,
        sagas={"req-8": SagaFact("req-8", "SUCCEEDED", "o8", 100)},
        fetched=fetched,
        listed=listed,
        holds=[
            hold("o0", ("A", 2)),
            hold("o1", ("B", 1)),
            hold("o3", ("HOT", 1)),
            hold("o4", ("HOT", 1)),
            hold("o8", ("B", 2)),
        ],
        payments={
            "o0": [payment("o0", 200)],
            "o1": [payment("o1", 50)],
            "o2": [payment("o2", 0, status="DECLINED")],
            "o3": [payment("o3", 300)],
            "o4": [payment("o4", 300)],
            "o6": [payment("o6", 100, 100, status="REFUNDED")],
            "o8": [payment("o8", 100)],
        },
        now=NOW,
    )


def verdicts(facts: Facts) -> dict[str, CheckResult]:
    return {check.name: check for check in evaluate(facts, flash=True, declines=True)}


def failed(facts: Facts) -> set[str]:
    return {name for name, check in verdicts(facts).items() if not check.passed}


def test_a_consistent_run_passes_every_check():
    checks = verdicts(consistent_run())

    assert {name: c.verdict for name, c in checks.items()} == dict.fromkeys(checks, "PASS")
    assert list(checks) == [
        "oversold",
        "orders",
        "stock",
        "money",
        "refunds",
        "reservations",
        "settled",
        "flash",
        "declines",
        "verification",
    ]
    assert checks["money"].figures["captured_minor"] == checks["money"].figures["paid_minor"] == 950


def test_a_reservation_for_an_order_nobody_placed_breaks_stock_conservation():
    facts = consistent_run()
    facts.holds = [*facts.holds, hold("stranger", ("A", 5), status="HELD")]
    facts.final = {**facts.final, "A": sku("A", 100, 7, 10)}

    checks = verdicts(facts)

    assert failed(facts) == {"stock"}
    assert any("not of the run" in e and "stranger" in e for e in checks["stock"].examples)


def test_a_paid_order_whose_stock_was_released_behind_the_sagas_back_fails_stock():
    facts = consistent_run()
    facts.holds = [h for h in facts.holds if h.order_id != "o0"]
    facts.final = {**facts.final, "A": sku("A", 100, 0, 10)}

    checks = verdicts(facts)

    assert failed(facts) == {"stock"}
    assert checks["stock"].figures == {"paid without stock held": 1}


def test_a_second_order_for_one_arrival_is_a_duplicate():
    facts = consistent_run()
    facts.listed = [*facts.listed, order("o0-bis", 0, "PENDING_PAYMENT", ("A", 2))]

    checks = verdicts(facts)

    assert failed(facts) == {"orders"}
    assert checks["orders"].figures["duplicated"] == 1


def test_an_order_without_the_run_tag_is_not_asked_for():
    facts = consistent_run()
    facts.listed = [*facts.listed, replace(order("ox", 99, "PAID", ("A", 1)), remark="")]

    assert failed(facts) == {"orders"}


def test_an_acknowledged_order_that_get_order_does_not_find_is_lost():
    facts = consistent_run()
    facts.fetched = {**facts.fetched, "o1": None}

    checks = verdicts(facts)

    assert "orders" in failed(facts)
    assert checks["orders"].figures["lost"] == 1


def test_a_retried_request_answered_with_two_orders_is_split():
    facts = consistent_run()
    facts.attempts[1].replies = ["order:o1", "order:o1-other", "order:o1"]

    assert failed(facts) == {"orders"}


def test_two_requests_answered_with_one_order_fail():
    facts = consistent_run()
    facts.attempts[6] = placed(6, "place", "o0", ("A", 2))
    facts.attempts[7].target_order_id = "o-unrelated"

    assert "orders" in failed(facts)


def test_an_order_left_unpaid_but_acknowledged_is_in_the_wrong_state():
    facts = consistent_run()
    facts.fetched = {**facts.fetched, "o0": replace(facts.fetched["o0"], status="PENDING_PAYMENT")}

    assert failed(facts) == {"orders"}


def test_a_paid_order_that_moved_on_to_review_or_a_hold_is_still_placed():
    facts = consistent_run()
    facts.fetched = {
        **facts.fetched,
        "o0": replace(facts.fetched["o0"], status="ON_HOLD"),
        "o1": replace(facts.fetched["o1"], status="UNDER_REVIEW"),
    }

    assert failed(facts) == set()


def test_a_cancelled_order_found_paid_is_in_the_wrong_state():
    facts = consistent_run()
    facts.fetched = {**facts.fetched, "o6": replace(facts.fetched["o6"], status="PAID")}

    assert failed(facts) == {"orders"}


def test_more_reserved_and_shipped_than_received_is_oversold():
    facts = consistent_run()
    facts.final = {**facts.final, "HOT": SkuSnapshot("HOT", 2, 2, 0, 0, shipped=1)}

    assert "oversold" in failed(facts)


def test_live_orders_holding_more_than_was_for_sale_is_oversold():
    facts = consistent_run()
    big = placed(9, "place", "o9", ("A", 95))
    facts.attempts = [*facts.attempts, big]
    facts.listed = [*facts.listed, order("o9", 9, "PAID", ("A", 95))]
    facts.fetched = {**facts.fetched, "o9": order("o9", 9, "PAID", ("A", 95))}

    checks = verdicts(facts)

    assert not checks["oversold"].passed
    assert any("for sale" in e for e in checks["oversold"].examples)


def test_units_that_vanish_are_not_conserved():
    facts = consistent_run()
    facts.final = {**facts.final, "B": SkuSnapshot("B", 95, 3, 10, 82, 0)}

    checks = verdicts(facts)

    assert failed(facts) == {"stock"}
    assert checks["stock"].figures == {"not conserved": 1}


def test_a_capture_other_than_the_total_fails_money():
    facts = consistent_run()
    facts.payments = {**facts.payments, "o0": [payment("o0", 150)]}

    assert failed(facts) == {"money"}


def test_a_cancelled_order_that_keeps_its_money_fails_money():
    facts = consistent_run()
    facts.payments = {**facts.payments, "o6": [payment("o6", 100, 0)]}

    checks = verdicts(facts)

    assert failed(facts) == {"money"}
    assert checks["money"].figures["money kept"] == 1


def test_a_failed_order_left_authorized_fails_money():
    facts = consistent_run()
    facts.payments = {**facts.payments, "o2": [payment("o2", 0, status="AUTHORIZED")]}

    assert failed(facts) == {"money"}


def test_a_failed_orders_authorization_still_pending_at_the_provider_is_noted_not_failed():
    facts = consistent_run()
    facts.payments = {**facts.payments, "o2": [payment("o2", 0, status="AUTHORIZING")]}

    money = verdicts(facts)["money"]

    assert money.passed
    assert money.figures["pending"] == 1
    assert "still pending" in money.summary


def test_a_refund_beyond_the_capture_fails_refunds():
    facts = consistent_run()
    facts.payments = {**facts.payments, "o6": [payment("o6", 100, 150, status="REFUNDED")]}

    assert "refunds" in failed(facts)


def refunded_run(paid_back: int, status: str = "COMPLETED") -> Facts:
    """The consistent run where o0 (200) got a partial refund of 30 that the payments paid ``paid_back`` of."""
    facts = consistent_run()
    refund = Attempt(9, "refund", 0.9, request_id="req-9", outcome="ok", target_order_id="o0", order_id="o0")
    facts.attempts = [*facts.attempts, refund]
    facts.refunds = {"o0": [RefundFact("rf-1", "o0", status, 30)]}
    facts.payments = {**facts.payments, "o0": [payment("o0", 200, paid_back, status="PARTIALLY_REFUNDED")]}
    return facts


def test_a_completed_partial_refund_paid_once_passes_and_lowers_what_is_owed():
    checks = verdicts(refunded_run(paid_back=30))

    assert {c.verdict for c in checks.values()} == {"PASS"}
    assert checks["money"].figures["paid_minor"] == 950 - 30
    assert checks["refunds"].figures["refunds_completed"] == 1


@pytest.mark.parametrize(("paid_back", "kind"), [(60, "refunded twice"), (0, "refund not paid")])
def test_a_refund_paid_twice_or_not_at_all_fails(paid_back, kind):
    checks = verdicts(refunded_run(paid_back=paid_back))

    assert not checks["refunds"].passed
    assert checks["refunds"].figures[kind] == 1
    assert not checks["money"].passed


def test_a_refund_still_executing_fails_settled_and_is_left_out_of_the_money():
    facts = refunded_run(paid_back=0, status="EXECUTING")

    assert failed(facts) == {"settled"}


def test_a_failed_orders_reservation_held_past_its_ttl_fails():
    facts = consistent_run()
    facts.holds = [*facts.holds, hold("o2", ("A", 1), status="HELD", expires=NOW - timedelta(seconds=1))]
    facts.final = {**facts.final, "A": sku("A", 100, 3, 10)}

    checks = verdicts(facts)

    assert failed(facts) == {"reservations", "stock"}
    assert "held past its TTL" in checks["reservations"].summary


def test_a_paid_orders_hold_left_expiring_fails_stock():
    facts = consistent_run()
    facts.holds = [replace(h, status="HELD") if h.order_id == "o1" else h for h in facts.holds]

    checks = verdicts(facts)

    assert failed(facts) == {"stock"}
    assert checks["stock"].figures == {"paid but still expiring": 1}


def test_a_cancelled_orders_committed_hold_fails_stock_and_shipped_units_still_balance():
    facts = consistent_run()
    facts.holds = [*facts.holds, hold("o6", ("A", 1))]
    facts.final = {**facts.final, "A": sku("A", 100, 3, 10)}

    assert failed(facts) == {"stock"}

    shipped = consistent_run()
    shipped.holds = [replace(h, status="CONFIRMED") if h.order_id == "o0" else h for h in shipped.holds]
    shipped.final = {**shipped.final, "A": sku("A", 98, 0, 10, shipped=2)}
    assert failed(shipped) == set()


def test_a_saga_still_running_fails_settled_and_its_order_is_left_out_of_the_rest():
    facts = consistent_run()
    facts.sagas = {"req-8": SagaFact("req-8", "RUNNING", "o8")}

    assert failed(facts) == {"settled"}


@pytest.mark.parametrize("units", [1, 3])
def test_a_flash_sale_that_does_not_sell_exactly_its_stock_fails(units):
    facts = replace(consistent_run(), flash_units=units)  # 2 units were sold, and buyers were turned away

    assert failed(facts) == {"flash"}


def test_a_declining_card_that_was_charged_fails():
    facts = consistent_run()
    facts.attempts[2] = placed(2, "decline", "o2", ("A", 1))

    assert "declines" in failed(facts)


def test_a_failed_read_makes_verification_incomplete():
    facts = replace(consistent_run(), problems=["orders.GetOrder: UNAVAILABLE"])

    assert failed(facts) == {"verification"}

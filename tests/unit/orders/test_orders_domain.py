"""Unit tests of the order aggregate: creation rules, the amount check and every state transition."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain import events as ev
from services.orders.domain.errors import PaidAmountMismatch
from services.orders.domain.model import (
    AMOUNT_MISMATCH,
    NEXT_STEP,
    PRE_SHIPMENT,
    Order,
    OrderDraft,
    create_order,
)
from services.orders.domain.values import Actor, Address, Channel, LineInput, OrderStatus, OrderType
from shared.kernel.errors import ErrorKind, InvalidArgument, InvalidTransition
from shared.kernel.ids import new_id
from shared.kernel.money import Money

S = OrderStatus
OPEN = set(S) - {S.COMPLETED, S.CANCELLED, S.ON_HOLD, S.EXCEPTION}
NOW = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
ACTOR = Actor("tester", "customer_service")
CUSTOMER = "0193a0c4-7d2e-7c1a-9b3e-2f4a5b6c7d8e"


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def draft(**overrides: object) -> OrderDraft:
    """Two lines: 2 x 100.00 with 10.00 off and 1 x 50.00; shipping 8.00; total 248.00."""
    base = OrderDraft(
        channel=Channel.TMALL,
        channel_order_id="TM-20251111-0001",
        customer_id=CUSTOMER,
        lines=(
            LineInput("SKU-SOFA", 2, cny(10_000), cny(1_000)),
            LineInput("SKU-LAMP", 1, cny(5_000)),
        ),
        total=cny(24_800),
        shipping_fee=cny(800),
        discount_total=cny(1_000),
        customer_tier="VIP",
        customer_name="张伟",
        shipping_address=Address(recipient="张伟", country="CN", province="浙江省", detail="嘉兴 1 号"),
    )
    return replace(base, **overrides)


def new_order(**overrides: object) -> Order:
    order, _ = create_order(draft(**overrides), new_id(), NOW, ACTOR)
    return order


def order_in(status: OrderStatus) -> Order:
    """An order driven to ``status`` through the real transitions."""
    order = new_order()
    path = [S.PAID, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED, S.PICKING, S.SHIPPED, S.DELIVERED, S.COMPLETED]
    if status is S.PENDING_PAYMENT:
        return order
    if status is S.CANCELLED:
        return order.cancel("buyer asked", LATER, ACTOR)[0]
    if status in (S.ON_HOLD, S.EXCEPTION):
        return order.transition(status, "check the address", "", LATER, ACTOR)[0]
    order = order.mark_paid("pay-1", cny(24_800), LATER, ACTOR)[0]
    for step in path[1 : path.index(status) + 1]:
        order = order.transition(step, "", "SF1234567890", LATER, ACTOR)[0]
    assert order.status is status
    return order


def violation(error: InvalidArgument) -> str:
    assert error.violations, error
    return error.violations[0].field


# --- creation -------------------------------------------------------------------------------------


def test_create_computes_amounts_and_starts_pending_payment() -> None:
    order, events = create_order(draft(), "o-1", NOW, ACTOR)
    assert order.status is S.PENDING_PAYMENT
    assert order.resume_status is None
    assert order.subtotal == cny(25_000)
    assert [line.line_total for line in order.lines] == [cny(19_000), cny(5_000)]
    assert [line.line_no for line in order.lines] == [1, 2]
    assert order.lines[1].discount == cny(0)
    assert order.history == (order.history[0],)
    assert order.history[0].from_status is None and order.history[0].to_status is S.PENDING_PAYMENT
    assert events == [ev.OrderCreated(order)]


def test_defaults_fill_missing_amounts_with_zero_in_order_currency() -> None:
    order = new_order(
        lines=(LineInput("SKU-1", 3, cny(700)),),
        shipping_fee=None,
        discount_total=None,
        total=cny(2_100),
    )
    assert order.status is S.PENDING_PAYMENT
    assert order.shipping_fee == cny(0) and order.discount_total == cny(0)


def test_amount_mismatch_creates_the_order_flagged_as_exception() -> None:
    order, events = create_order(draft(total=cny(20_000)), "o-2", NOW, ACTOR)
    assert order.status is S.EXCEPTION
    assert order.resume_status is S.PENDING_PAYMENT
    assert order.hold_reason == AMOUNT_MISMATCH
    assert [(c.from_status, c.to_status) for c in order.history] == [
        (None, S.PENDING_PAYMENT),
        (S.PENDING_PAYMENT, S.EXCEPTION),
    ]
    assert [type(e) for e in events] == [ev.OrderCreated, ev.OrderStatusChanged, ev.OrderFlagged]
    flagged = events[2]
    assert isinstance(flagged, ev.OrderFlagged)
    assert flagged.reason == AMOUNT_MISMATCH
    assert flagged.total == cny(20_000) and flagged.expected_total == cny(24_800)
    assert "expected 248.00 CNY" in flagged.detail


@pytest.mark.parametrize(
    "overrides",
    [
        {"subtotal": cny(24_999)},
        # total adds up, but the declared discounts are smaller than the line discounts alone.
        {"discount_total": cny(500), "total": cny(25_300)},
    ],
)
def test_other_inconsistencies_flag_too(overrides: dict[str, object]) -> None:
    assert new_order(**overrides).status is S.EXCEPTION


def test_matching_subtotal_is_accepted() -> None:
    assert new_order(subtotal=cny(25_000)).status is S.PENDING_PAYMENT


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"lines": ()}, "lines"),
        ({"lines": (LineInput("", 1, cny(1)),)}, "lines[0].sku"),
        ({"lines": (LineInput("A", 1, cny(1)), LineInput("B", 0, cny(1)))}, "lines[1].quantity"),
        ({"lines": (LineInput("A", -2, cny(1)),)}, "lines[0].quantity"),
        ({"lines": (LineInput("A", 1, cny(-1)),)}, "lines[0].unit_price"),
        ({"lines": (LineInput("A", 1, cny(100), cny(-1)),)}, "lines[0].discount"),
        ({"lines": (LineInput("A", 1, cny(100), cny(101)),)}, "lines[0].discount"),
        ({"lines": (LineInput("A", 1_000_000, cny(10**12)),)}, "lines[0]"),
        ({"total": None}, "total"),
        ({"total": cny(-1)}, "total"),
        ({"shipping_fee": cny(-800)}, "shipping_fee"),
        ({"discount_total": cny(-1)}, "discount_total"),
        ({"customer_name": "x" * 201}, "customer_name"),
        ({"buyer_remark": "nul\x00byte"}, "buyer_remark"),
        ({"seller_remark": "lone \ud842 surrogate"}, "seller_remark"),
        ({"channel_order_id": " TM-1"}, "channel_order_id"),
        ({"shipping_address": Address(country="china")}, "shipping_address.country"),
        ({"shipping_address": Address(detail="d" * 501)}, "shipping_address.detail"),
    ],
)
def test_bad_input_names_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        create_order(draft(**overrides), "o-3", NOW, ACTOR)
    assert caught.value.kind is ErrorKind.INVALID_ARGUMENT
    assert violation(caught.value) == field


def test_too_many_lines_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        create_order(draft(lines=tuple(LineInput(f"S{i}", 1, cny(1)) for i in range(501))), "o", NOW, ACTOR)
    assert violation(caught.value) == "lines"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"shipping_fee": Money(800, "USD")}, "shipping_fee.currency"),
        ({"lines": (LineInput("A", 1, Money(1, "USD")),)}, "lines[0].unit_price.currency"),
        ({"subtotal": Money(25_000, "USD")}, "subtotal.currency"),
    ],
)
def test_mixed_currencies_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        create_order(draft(**overrides), "o-4", NOW, ACTOR)
    assert caught.value.reason == "CURRENCY_MISMATCH"
    assert violation(caught.value) == field


def test_text_outside_the_bmp_is_kept_as_given() -> None:
    name = "𠮷野家 𩸽"
    order = new_order(customer_name=name, shipping_address=Address(recipient=name, detail="𠮷 路 1 号"))
    assert order.customer_name == name
    assert order.shipping_address.recipient == name
    assert order.shipping_address.detail == "𠮷 路 1 号"


def test_order_type_defaults_to_regular_and_is_kept() -> None:
    assert new_order().order_type is OrderType.REGULAR
    assert new_order(order_type=OrderType.RUSH).order_type is OrderType.RUSH


# --- payment ----------------------------------------------------------------------------------------


def test_mark_paid_moves_to_paid_and_records_the_payment() -> None:
    order = new_order()
    paid, events = order.mark_paid("pay-1", cny(24_800), LATER, ACTOR)
    assert paid.status is S.PAID and paid.payment_id == "pay-1"
    assert paid.updated_at == LATER
    assert paid.history[-1].from_status is S.PENDING_PAYMENT and paid.history[-1].to_status is S.PAID
    assert order.status is S.PENDING_PAYMENT, "the aggregate is immutable"
    assert [type(e) for e in events] == [ev.OrderPaid, ev.OrderStatusChanged]
    assert events[0] == ev.OrderPaid(order.order_id, "pay-1", cny(24_800), LATER, CUSTOMER, Channel.TMALL)


def test_mark_paid_with_another_amount_is_refused() -> None:
    with pytest.raises(PaidAmountMismatch) as caught:
        new_order().mark_paid("pay-1", cny(24_700), LATER, ACTOR)
    assert caught.value.reason == "PAID_AMOUNT_MISMATCH"
    assert caught.value.kind is ErrorKind.FAILED_PRECONDITION


def test_mark_paid_in_another_currency_is_refused() -> None:
    with pytest.raises(InvalidArgument) as caught:
        new_order().mark_paid("pay-1", Money(24_800, "USD"), LATER, ACTOR)
    assert caught.value.reason == "CURRENCY_MISMATCH"
    assert violation(caught.value) == "paid_amount.currency"


def test_mark_paid_requires_a_payment_id() -> None:
    with pytest.raises(InvalidArgument) as caught:
        new_order().mark_paid(" ", cny(24_800), LATER, ACTOR)
    assert violation(caught.value) == "payment_id"


@pytest.mark.parametrize("status", [s for s in S if s is not S.PENDING_PAYMENT])
def test_mark_paid_outside_pending_payment_is_an_invalid_transition(status: OrderStatus) -> None:
    with pytest.raises(InvalidTransition) as caught:
        order_in(status).mark_paid("pay-2", cny(24_800), LATER, ACTOR)
    assert caught.value.reason == "INVALID_TRANSITION"
    assert caught.value.metadata["from"] == status.value
    assert caught.value.metadata["to"] == "PAID"


def test_flagged_order_cannot_be_paid_until_released() -> None:
    flagged = new_order(total=cny(1))
    with pytest.raises(InvalidTransition):
        flagged.mark_paid("pay-1", cny(1), LATER, ACTOR)
    released, _ = flagged.transition(S.PENDING_PAYMENT, "amounts confirmed with the buyer", "", LATER, ACTOR)
    assert released.status is S.PENDING_PAYMENT and released.resume_status is None
    assert released.mark_paid("pay-1", cny(1), LATER, ACTOR)[0].status is S.PAID


# --- cancellation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", sorted(PRE_SHIPMENT, key=lambda s: s.value))
def test_cancel_from_every_state_before_shipment(status: OrderStatus) -> None:
    order = order_in(status)
    cancelled, events = order.cancel("buyer asked", LATER, ACTOR)
    assert cancelled.status is S.CANCELLED
    assert cancelled.history[-1].from_status is status and cancelled.history[-1].reason == "buyer asked"
    cancel_event = events[0]
    assert isinstance(cancel_event, ev.OrderCancelled)
    assert cancel_event.from_status is status
    assert cancel_event.payment_id == ("" if status is S.PENDING_PAYMENT else "pay-1")
    assert isinstance(events[1], ev.OrderStatusChanged)


@pytest.mark.parametrize("status", [S.SHIPPED, S.DELIVERED, S.COMPLETED])
def test_cancel_after_shipment_is_an_invalid_transition(status: OrderStatus) -> None:
    with pytest.raises(InvalidTransition):
        order_in(status).cancel("too late", LATER, ACTOR)


def test_cancel_of_a_held_order_depends_on_where_it_was_held() -> None:
    held_before = order_in(S.PICKING).transition(S.ON_HOLD, "address", "", LATER, ACTOR)[0]
    assert held_before.cancel("buyer asked", LATER, ACTOR)[0].status is S.CANCELLED
    held_after = order_in(S.SHIPPED).transition(S.EXCEPTION, "lost parcel", "", LATER, ACTOR)[0]
    with pytest.raises(InvalidTransition):
        held_after.cancel("buyer asked", LATER, ACTOR)


def test_cancel_of_a_cancelled_order_changes_nothing() -> None:
    cancelled = order_in(S.CANCELLED)
    again, events = cancelled.cancel("saga compensation", LATER, ACTOR)
    assert again is cancelled and events == []


def test_cancel_requires_a_reason() -> None:
    with pytest.raises(InvalidArgument) as caught:
        new_order().cancel("  ", LATER, ACTOR)
    assert violation(caught.value) == "reason"


# --- the rest of the state machine --------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), sorted(NEXT_STEP.items(), key=lambda kv: kv[0].value))
def test_each_step_forward(current: OrderStatus, target: OrderStatus) -> None:
    order = order_in(current)
    moved, events = order.transition(target, "next", "SF1", LATER, ACTOR)
    assert moved.status is target
    assert len(moved.history) == len(order.history) + 1
    assert events == [
        ev.OrderStatusChanged(
            order.order_id, current, target, LATER, ACTOR, "next", "SF1" if target is S.SHIPPED else ""
        )
    ]


def _all_pairs() -> list[tuple[OrderStatus, OrderStatus]]:
    allowed = set(NEXT_STEP.items())
    return [
        (current, target)
        for current in S
        for target in S
        if (current, target) not in allowed
        and target not in (S.ON_HOLD, S.EXCEPTION)
        and current not in (S.ON_HOLD, S.EXCEPTION)
    ]


@pytest.mark.parametrize(("current", "target"), _all_pairs())
def test_every_other_move_is_an_invalid_transition(current: OrderStatus, target: OrderStatus) -> None:
    order = order_in(current)
    with pytest.raises(InvalidTransition) as caught:
        order.transition(target, "skip", "SF1", LATER, ACTOR)
    expected = {"entity": "order", "id": order.order_id, "from": current.value, "to": target.value}
    assert caught.value.metadata == expected


def test_ship_requires_a_tracking_number() -> None:
    with pytest.raises(InvalidArgument) as caught:
        order_in(S.PICKING).transition(S.SHIPPED, "", "", LATER, ACTOR)
    assert violation(caught.value) == "tracking_number"
    shipped = order_in(S.PICKING).transition(S.SHIPPED, "", "SF99", LATER, ACTOR)[0]
    assert shipped.tracking_number == "SF99"


@pytest.mark.parametrize("hold", [S.ON_HOLD, S.EXCEPTION])
@pytest.mark.parametrize("status", sorted(OPEN, key=lambda s: s.value))
def test_hold_and_resume_from_every_open_state(hold: OrderStatus, status: OrderStatus) -> None:
    order = order_in(status)
    held, events = order.transition(hold, "suspicious address", "", LATER, ACTOR)
    assert held.status is hold and held.resume_status is status and held.hold_reason == "suspicious address"
    assert events[0] == ev.OrderStatusChanged(
        order.order_id, status, hold, LATER, ACTOR, "suspicious address", "", status
    )
    assert (len(events) == 2 and isinstance(events[1], ev.OrderFlagged)) is (hold is S.EXCEPTION)
    resumed, _ = held.transition(status, "checked", "", LATER, ACTOR)
    assert resumed.status is status and resumed.resume_status is None and resumed.hold_reason == ""


def test_held_order_only_resumes_to_where_it_was() -> None:
    held = order_in(S.APPROVED).transition(S.ON_HOLD, "call the buyer", "", LATER, ACTOR)[0]
    for target in (S.ALLOCATED, S.PAID, S.ON_HOLD):
        with pytest.raises(InvalidTransition):
            held.transition(target, "", "SF1", LATER, ACTOR)


def test_switching_between_hold_states_keeps_the_resume_state() -> None:
    held = order_in(S.ALLOCATED).transition(S.ON_HOLD, "call the buyer", "", LATER, ACTOR)[0]
    flagged = held.transition(S.EXCEPTION, "wrong item", "", LATER, ACTOR)[0]
    assert flagged.status is S.EXCEPTION and flagged.resume_status is S.ALLOCATED
    assert flagged.transition(S.ALLOCATED, "fixed", "", LATER, ACTOR)[0].status is S.ALLOCATED


@pytest.mark.parametrize("status", [S.COMPLETED, S.CANCELLED])
def test_finished_orders_cannot_be_held(status: OrderStatus) -> None:
    with pytest.raises(InvalidTransition):
        order_in(status).transition(S.ON_HOLD, "why", "", LATER, ACTOR)


def test_hold_requires_a_reason() -> None:
    with pytest.raises(InvalidArgument) as caught:
        new_order().transition(S.ON_HOLD, "", "", LATER, ACTOR)
    assert violation(caught.value) == "reason"

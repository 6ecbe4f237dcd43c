"""Unit tests of the channel rules: how a snapshot opens an order, how later snapshots move it (never back),
the surge guard, the stall rule, back-off and webhook signatures."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.orders.domain import events as ev
from services.orders.domain.channel_mapping import ChannelSnapshot
from services.orders.domain.channel_orders import (
    CHANNEL_ACTOR,
    ChannelChange,
    apply_snapshot,
    arrival,
    flag_out_of_stock,
    open_channel_order,
    payment_reference,
)
from services.orders.domain.channels import (
    ChannelState,
    StockIntent,
    SurgePolicy,
    SyncGate,
    SyncState,
    hour_start,
    retry_delay,
    signature_of,
    signature_valid,
    stalled,
)
from services.orders.domain.errors import PaidAmountMismatch
from services.orders.domain.errors_channels import ChannelSyncPaused
from services.orders.domain.model import OrderDraft
from services.orders.domain.review import DEFAULT_REVIEW_RULES_JSON, parse_review_rules, review_order
from services.orders.domain.values import Address, Channel, LineInput, OrderStatus
from shared.kernel.ids import new_id
from shared.kernel.money import Money

S = OrderStatus
CREATED = datetime(2026, 11, 10, 16, 0, 5, tzinfo=UTC)
NOW = datetime(2026, 11, 10, 17, 0, tzinfo=UTC)
HOME = Address(recipient="吉𠮷", phone="13800001234", country="CN", province="浙江省", city="嘉兴市", detail="1 号")


def snapshot(state: ChannelState, *, version: int = 1, total: int = 12800, **draft: object) -> ChannelSnapshot:
    fields: dict[str, object] = {
        "channel": Channel.TMALL,
        "channel_order_id": "T-1",
        "customer_id": new_id(),
        "lines": (LineInput("SKU-TEE-M", 2, Money(6500)),),
        "total": Money(total),
        "shipping_fee": Money(800),
        "discount_total": Money(1000),
        "shipping_address": HOME,
    }
    fields.update(draft)
    return ChannelSnapshot(
        channel=Channel.TMALL,
        channel_order_id="T-1",
        platform_status=state.value,
        state=state,
        version=version,
        created_at=CREATED,
        modified_at=CREATED + timedelta(seconds=version),
        paid_at=CREATED + timedelta(seconds=4) if state is not ChannelState.UNPAID else None,
        draft=OrderDraft(**fields),  # type: ignore[arg-type]
    )


def opened(state: ChannelState, **changes: object) -> object:
    return open_channel_order(snapshot(state, **changes), new_id(), NOW, CHANNEL_ACTOR)


def test_a_paid_snapshot_opens_a_paid_order_that_holds_stock() -> None:
    change = opened(ChannelState.PAID)
    order = change.order
    assert order.status is S.PAID
    assert [(h.from_status, h.to_status) for h in order.history] == [
        (None, S.PENDING_PAYMENT),
        (S.PENDING_PAYMENT, S.PAID),
    ]
    assert order.created_at == CREATED and order.updated_at == NOW
    assert order.history[1].changed_at == CREATED + timedelta(seconds=4)
    assert order.payment_id == "TMALL:T-1"
    assert change.stock is StockIntent.HOLD
    assert [type(e) for e in change.events] == [ev.OrderCreated, ev.OrderPaid]
    assert change.events[0].order == order


def test_an_order_reviewed_on_arrival_is_one_created_event_with_its_history_and_facts() -> None:
    change = opened(ChannelState.PAID)
    reviewed = review_order(change.order, parse_review_rules(DEFAULT_REVIEW_RULES_JSON), 3, NOW)
    arrived = arrival(ChannelChange(reviewed.order, (*change.events, *reviewed.events), change.stock))
    assert [type(e) for e in arrived.events] == [ev.OrderCreated, ev.OrderPaid, ev.OrderReviewed]
    created = arrived.events[0]
    assert isinstance(created, ev.OrderCreated) and created.order == reviewed.order
    decided = reviewed.order.status
    assert decided in (S.APPROVED, S.ON_HOLD)
    assert [h.to_status for h in created.order.history] == [S.PENDING_PAYMENT, S.PAID, S.UNDER_REVIEW, decided]
    assert arrived.stock is StockIntent.HOLD


def test_an_unpaid_snapshot_opens_an_order_awaiting_payment() -> None:
    change = opened(ChannelState.UNPAID)
    assert change.order.status is S.PENDING_PAYMENT and change.stock is StockIntent.NONE
    assert [type(e) for e in change.events] == [ev.OrderCreated]


def test_a_cancelled_snapshot_opens_a_cancelled_order() -> None:
    change = opened(ChannelState.CANCELLED)
    assert change.order.status is S.CANCELLED and change.stock is StockIntent.NONE


@pytest.mark.parametrize("state", [ChannelState.SHIPPED, ChannelState.COMPLETED])
def test_an_order_first_seen_after_shipment_is_paid_but_holds_no_stock(state: ChannelState) -> None:
    change = opened(state)
    assert change.order.status is S.PAID and change.stock is StockIntent.NONE


def test_amounts_that_do_not_add_up_still_record_the_payment_and_hold_stock() -> None:
    change = opened(ChannelState.PAID, total=10000)
    order = change.order
    assert order.status is S.EXCEPTION
    assert order.resume_status is S.PAID and order.payment_id == "TMALL:T-1"
    assert change.stock is StockIntent.HOLD
    assert any(isinstance(e, ev.OrderFlagged) and e.reason == "AMOUNT_MISMATCH" for e in change.events)


def test_a_later_paid_snapshot_pays_the_order() -> None:
    order = opened(ChannelState.UNPAID).order
    change = apply_snapshot(order, snapshot(ChannelState.PAID, version=2), NOW, CHANNEL_ACTOR)
    assert change.order.status is S.PAID and change.stock is StockIntent.HOLD


def test_a_price_changed_before_payment_is_refused_not_guessed() -> None:
    order = opened(ChannelState.UNPAID).order
    with pytest.raises(PaidAmountMismatch):
        apply_snapshot(order, snapshot(ChannelState.PAID, version=2, total=9900), NOW, CHANNEL_ACTOR)


def test_an_unpaid_snapshot_never_unpays() -> None:
    order = opened(ChannelState.PAID).order
    change = apply_snapshot(order, snapshot(ChannelState.UNPAID, version=9), NOW, CHANNEL_ACTOR)
    assert not change.changed and change.order is order


def test_a_cancelled_snapshot_cancels_and_releases_a_paid_order() -> None:
    order = opened(ChannelState.PAID).order
    change = apply_snapshot(order, snapshot(ChannelState.CANCELLED, version=2), NOW, CHANNEL_ACTOR)
    assert change.order.status is S.CANCELLED and change.stock is StockIntent.RELEASE
    unpaid = opened(ChannelState.UNPAID).order
    assert apply_snapshot(unpaid, snapshot(ChannelState.CANCELLED, version=2), NOW, CHANNEL_ACTOR).stock is (
        StockIntent.NONE
    )


def test_an_address_change_before_shipment_is_applied() -> None:
    order = opened(ChannelState.PAID).order
    moved = replace(HOME, city="苏州市", detail="新址 8 号")
    change = apply_snapshot(order, snapshot(ChannelState.PAID, version=2, shipping_address=moved), NOW, CHANNEL_ACTOR)
    assert change.order.shipping_address == moved and change.order.status is S.PAID
    assert [type(e) for e in change.events] == [ev.OrderShippingAddressChanged]


def _shipped(order: object) -> object:
    for target in (S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED, S.PICKING, S.SHIPPED):
        order, _ = order.transition(target, "", "SF1", NOW, CHANNEL_ACTOR)
    return order


def test_after_shipment_an_address_change_is_ignored_and_a_cancellation_flags_the_order() -> None:
    order = _shipped(opened(ChannelState.PAID).order)
    moved = replace(HOME, detail="too late")
    change = apply_snapshot(order, snapshot(ChannelState.PAID, version=2, shipping_address=moved), NOW, CHANNEL_ACTOR)
    assert not change.changed
    change = apply_snapshot(order, snapshot(ChannelState.CANCELLED, version=3), NOW, CHANNEL_ACTOR)
    assert change.order.status is S.EXCEPTION and change.order.resume_status is S.SHIPPED
    assert change.order.hold_reason == "CHANNEL_CANCELLED_AFTER_SHIPMENT"
    # Flagged already: a repeated cancellation changes nothing more.
    again = apply_snapshot(change.order, snapshot(ChannelState.CANCELLED, version=4), NOW, CHANNEL_ACTOR)
    assert not again.changed


def test_snapshots_are_ordered_by_version_then_life_stage() -> None:
    paid, cancelled = snapshot(ChannelState.PAID, version=5), snapshot(ChannelState.CANCELLED, version=5)
    assert cancelled.order_key > paid.order_key
    assert snapshot(ChannelState.UNPAID, version=6).order_key > cancelled.order_key


def test_out_of_stock_flags_a_paid_order_and_leaves_a_moved_one() -> None:
    order = opened(ChannelState.PAID).order
    change = flag_out_of_stock(order, "sku=SKU-TEE-M requested=2 available=0", NOW, CHANNEL_ACTOR)
    assert change.order.status is S.EXCEPTION and change.order.resume_status is S.PAID
    assert change.order.hold_reason.startswith("OUT_OF_STOCK: sku=SKU-TEE-M")
    cancelled = opened(ChannelState.CANCELLED).order
    assert not flag_out_of_stock(cancelled, "x", NOW, CHANNEL_ACTOR).changed


def test_out_of_stock_keeps_a_held_order_held_and_flags_its_hold_reason_once() -> None:
    order = opened(ChannelState.PAID).order
    under, _ = order.transition(S.UNDER_REVIEW, "auto-review", "", NOW, CHANNEL_ACTOR)
    held, _ = under.transition(S.ON_HOLD, "REVIEW_HOLD:supervisor: otherwise", "", NOW, CHANNEL_ACTOR)
    later = NOW + timedelta(minutes=1)
    change = flag_out_of_stock(held, "sku=SKU-TEE-M requested=2 available=0 仓𠮷", later, CHANNEL_ACTOR)
    assert change.order.status is S.ON_HOLD and change.order.resume_status is S.UNDER_REVIEW
    assert change.order.hold_reason == (
        "OUT_OF_STOCK: sku=SKU-TEE-M requested=2 available=0 仓𠮷 | REVIEW_HOLD:supervisor: otherwise"
    )
    # The status does not move, so no history entry; the flag is an event.
    assert change.order.history == held.history and change.order.updated_at == later
    assert change.events == (
        ev.OrderFlagged(
            held.order_id, "OUT_OF_STOCK", "sku=SKU-TEE-M requested=2 available=0 仓𠮷", later, S.UNDER_REVIEW
        ),
    )
    assert not flag_out_of_stock(change.order, "again", later, CHANNEL_ACTOR).changed
    long = flag_out_of_stock(held, "𠮷" * 600, later, CHANNEL_ACTOR).order.hold_reason
    assert len(long) == 500 and long.startswith("OUT_OF_STOCK: 𠮷")


def test_out_of_stock_leaves_an_order_in_exception_as_it_is() -> None:
    order = opened(ChannelState.PAID).order
    rejected, _ = order.transition(S.EXCEPTION, "REVIEW_REJECT: fraud", "", NOW, CHANNEL_ACTOR)
    assert not flag_out_of_stock(rejected, "x", NOW, CHANNEL_ACTOR).changed


def test_payment_references_fit_the_payment_id() -> None:
    assert payment_reference(Channel.JD, "J-1") == "JD:J-1"
    long = payment_reference(Channel.JD, "J" * 128)
    assert len(long) <= 128 and long.startswith("JD:sha256:")


def test_the_surge_guard_compares_with_the_previous_hour_or_the_floor() -> None:
    policy = SurgePolicy(percent=300, floor=100)
    assert policy.threshold(0) == 300 and policy.threshold(200) == 600
    assert not policy.surging(600, 200) and policy.surging(601, 200)
    assert not policy.surging(300, 0) and policy.surging(301, 0)


def test_a_paused_gate_refuses_and_a_released_one_is_exempt_for_the_hour() -> None:
    with pytest.raises(ChannelSyncPaused) as paused:
        SyncGate(Channel.JD, SyncState.PAUSED, None).check_open()
    assert paused.value.reason == "CHANNEL_SYNC_PAUSED"
    gate = SyncGate(Channel.JD, SyncState.ACTIVE, hour_start(NOW) + timedelta(hours=1))
    assert not gate.surge_guarded(NOW)
    assert gate.surge_guarded(hour_start(NOW) + timedelta(hours=1))


def test_a_channel_is_stalled_past_its_interval_plus_grace() -> None:
    grace = timedelta(seconds=60)
    assert not stalled(NOW, 300, grace, NOW + timedelta(seconds=360))
    assert stalled(NOW, 300, grace, NOW + timedelta(seconds=361))


def test_back_off_doubles_up_to_a_cap() -> None:
    assert [retry_delay(n, 1.0, 10.0) for n in range(6)] == [0.0, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert retry_delay(500, 1.0, 10.0) == 10.0


def test_webhook_signatures_are_hex_or_base64_hmac_sha256() -> None:
    secret, payload = "s3cret-of-the-shop-000", '{"tid": 1, "receiver_name": "吉𠮷"}'.encode()
    digest = signature_of(secret, payload)
    assert signature_valid(secret, payload, digest.hex())
    assert signature_valid(secret, payload, digest.hex().upper())
    assert signature_valid(secret, payload, base64.b64encode(digest).decode())
    assert not signature_valid(secret, payload + b" ", digest.hex())
    assert not signature_valid("another-secret-000000", payload, digest.hex())
    assert not signature_valid(secret, payload, "not a signature")
    assert not signature_valid(secret, payload, "")

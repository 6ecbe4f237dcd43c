"""How a channel snapshot becomes an order, and how a later snapshot moves it without ever moving it back."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from services.orders.domain import events as ev
from services.orders.domain.channel_mapping import ChannelSnapshot
from services.orders.domain.channels import ChannelState, StockIntent
from services.orders.domain.model import HOLD_STATES, TERMINAL, Order, create_order
from services.orders.domain.rules import ID_MAX, REASON_MAX
from services.orders.domain.values import Actor, Channel, OrderStatus

CHANNEL_ACTOR = Actor("channel-ingest", "service")
ADDRESS_CHANGED = "address changed on the channel"
CANCELLED_ON_CHANNEL = "cancelled on the channel"
CANCELLED_AFTER_SHIPMENT = "CHANNEL_CANCELLED_AFTER_SHIPMENT"
OUT_OF_STOCK = "OUT_OF_STOCK"
# Channel states in which the buyer's money has been taken.
_PAID_STATES = frozenset({ChannelState.PAID, ChannelState.SHIPPED, ChannelState.COMPLETED})


def payment_reference(channel: Channel, channel_order_id: str) -> str:
    """The payment id of a channel order: the channel took the money, under the channel's order id."""
    reference = f"{channel.value}:{channel_order_id}"
    if len(reference) <= ID_MAX:
        return reference
    return f"{channel.value}:sha256:{hashlib.sha256(channel_order_id.encode()).hexdigest()}"


@dataclass(frozen=True)
class ChannelChange:
    """What ingesting a snapshot decided: the order after it, its events and what inventory must do."""

    order: Order
    events: tuple[ev.DomainEvent, ...]
    stock: StockIntent

    @property
    def changed(self) -> bool:
        return bool(self.events)


def open_channel_order(snapshot: ChannelSnapshot, order_id: str, now: datetime, actor: Actor) -> ChannelChange:
    """The new order of a first-seen channel order, at the stage the channel reports.

    Its history starts at the channel's creation time; a paid order is PAID (and holds stock), a
    cancelled one CANCELLED. An order already shipped or completed on the channel (seen for the first
    time, e.g. by a first pull reaching into the past) is recorded as PAID without holding stock, since
    it left some warehouse already. Amounts that do not add up still flag the order EXCEPTION.
    """
    order, created = create_order(snapshot.draft, order_id, snapshot.created_at, actor)
    events: list[ev.DomainEvent] = list(created[1:])
    stock = StockIntent.NONE
    if snapshot.state in _PAID_STATES:
        paid_at = snapshot.paid_at or snapshot.modified_at
        order, paid = order.record_channel_payment(
            payment_reference(snapshot.channel, snapshot.channel_order_id), order.total, paid_at, actor
        )
        events.extend(paid)
        if snapshot.state is ChannelState.PAID:
            stock = StockIntent.HOLD
    elif snapshot.state is ChannelState.CANCELLED:
        order, cancelled = order.cancel(CANCELLED_ON_CHANNEL, snapshot.modified_at, actor)
        events.extend(cancelled)
    return arrival(ChannelChange(order.evolve(updated_at=now), tuple(events), stock))


def arrival(change: ChannelChange) -> ChannelChange:
    """The events of an order first seen in one ingest transaction, however many steps it took there (created,
    paid, reviewed): one OrderCreated with the order as it stands at the end, its history holding every step,
    then the facts of the arrival (OrderPaid, OrderFlagged, OrderCancelled, OrderReviewed). The steps' own
    OrderStatusChanged would repeat that history entry for entry, so they are not emitted."""
    facts = tuple(e for e in change.events if not isinstance(e, ev.OrderCreated | ev.OrderStatusChanged))
    return ChannelChange(change.order, (ev.OrderCreated(change.order), *facts), change.stock)


def apply_snapshot(order: Order, snapshot: ChannelSnapshot, now: datetime, actor: Actor) -> ChannelChange:
    """Apply a later snapshot of a channel order: a new address, the payment, the buyer's cancellation.

    Never backwards: an unpaid snapshot does not unpay, and a status the hub has moved past stays. A
    cancellation after shipment cannot undo the shipment: the order is flagged EXCEPTION for a person.
    """
    events: list[ev.DomainEvent] = []
    stock = StockIntent.NONE
    current = order
    address = snapshot.draft.shipping_address
    if address != current.shipping_address and current.before_shipment:
        current, changed = current.change_shipping_address(address, ADDRESS_CHANGED, now, actor)
        events.extend(changed)
    awaiting_payment = current.status is OrderStatus.PENDING_PAYMENT or (
        current.status in HOLD_STATES and current.resume_status is OrderStatus.PENDING_PAYMENT
    )
    if snapshot.state in _PAID_STATES and awaiting_payment:
        paid_at = snapshot.paid_at or snapshot.modified_at
        total = snapshot.draft.total or current.total
        current, paid = current.record_channel_payment(
            payment_reference(snapshot.channel, snapshot.channel_order_id), total, paid_at, actor
        )
        events.extend(paid)
        if snapshot.state is ChannelState.PAID:
            stock = StockIntent.HOLD
    elif snapshot.state is ChannelState.CANCELLED and current.status is not OrderStatus.CANCELLED:
        if current.before_shipment:
            was_paid = bool(current.payment_id)
            current, cancelled = current.cancel(CANCELLED_ON_CHANNEL, now, actor)
            events.extend(cancelled)
            stock = StockIntent.RELEASE if was_paid else StockIntent.NONE
        elif current.status not in HOLD_STATES and current.status not in TERMINAL:
            current, flagged = current.transition(OrderStatus.EXCEPTION, CANCELLED_AFTER_SHIPMENT, "", now, actor)
            events.extend(flagged)
    return ChannelChange(current, tuple(events), stock)


def flag_out_of_stock(order: Order, detail: str, now: datetime, actor: Actor) -> ChannelChange:
    """Inventory refused to hold stock for a paid order: stop it in EXCEPTION for a person to decide.

    An order ON_HOLD (e.g. held by auto-review) stays held, for the person already due to look at it, but
    its hold reason now starts with OUT_OF_STOCK and an OrderFlagged says so; it adds no history entry, as
    its status does not move. An order in EXCEPTION, cancelled or past shipment is left as it is.
    """
    if order.status in TERMINAL or not order.before_shipment or order.status is OrderStatus.EXCEPTION:
        return ChannelChange(order, (), StockIntent.NONE)
    reason = f"{OUT_OF_STOCK}: {detail}"
    if order.status is OrderStatus.ON_HOLD:
        if order.hold_reason.startswith(OUT_OF_STOCK):
            return ChannelChange(order, (), StockIntent.NONE)
        # The review's reason stays readable after the flag: a person sees both why it was held and the refusal.
        flagged = order.evolve(hold_reason=f"{reason} | {order.hold_reason}"[:REASON_MAX], updated_at=now)
        event = ev.OrderFlagged(order.order_id, OUT_OF_STOCK, detail, now, order.resume_status)
        return ChannelChange(flagged, (event,), StockIntent.NONE)
    flagged, events = order.transition(OrderStatus.EXCEPTION, reason[:REASON_MAX], "", now, actor)
    return ChannelChange(flagged, tuple(events), StockIntent.NONE)

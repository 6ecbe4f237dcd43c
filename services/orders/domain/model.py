"""The order aggregate: the unified order of every channel, its amounts check and its state machine.

An ``Order`` is immutable; every change returns the new order and the domain events it caused, so the
handler persists exactly what the aggregate decided and the result can be stored for idempotent replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.orders.domain import events as ev
from services.orders.domain import rules
from services.orders.domain.errors import PaidAmountMismatch, ShippingAddressLocked, currency_mismatch
from services.orders.domain.values import (
    Actor,
    Address,
    Channel,
    LineInput,
    OrderLine,
    OrderStatus,
    OrderType,
    StatusChange,
)
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.money import Money

S = OrderStatus
PRE_SHIPMENT = frozenset({S.PENDING_PAYMENT, S.PAID, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED, S.PICKING})
HOLD_STATES = frozenset({S.ON_HOLD, S.EXCEPTION})
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED})
# The one step forward from each state. PENDING_PAYMENT -> PAID is not here: only a payment
# (Order.mark_paid) may take it, never a bare transition request.
NEXT_STEP: dict[OrderStatus, OrderStatus] = {
    S.PAID: S.UNDER_REVIEW,
    S.UNDER_REVIEW: S.APPROVED,
    S.APPROVED: S.ALLOCATED,
    S.ALLOCATED: S.PICKING,
    S.PICKING: S.SHIPPED,
    S.SHIPPED: S.DELIVERED,
    S.DELIVERED: S.COMPLETED,
}
CREATED_REASON = "created"
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"


@dataclass(frozen=True)
class OrderDraft:
    """What a caller supplies to create an order; validated by :func:`create_order`."""

    channel: Channel
    channel_order_id: str
    customer_id: str
    lines: tuple[LineInput, ...]
    total: Money | None
    shipping_fee: Money | None = None
    discount_total: Money | None = None
    subtotal: Money | None = None
    customer_tier: str = ""
    customer_name: str = ""
    order_type: OrderType = OrderType.REGULAR
    shipping_address: Address = field(default_factory=Address)
    buyer_remark: str = ""
    seller_remark: str = ""
    quote_id: str = ""


@dataclass(frozen=True)
class Order:
    order_id: str
    channel: Channel
    channel_order_id: str
    customer_id: str
    customer_tier: str
    customer_name: str
    order_type: OrderType
    status: OrderStatus
    resume_status: OrderStatus | None
    hold_reason: str
    lines: tuple[OrderLine, ...]
    subtotal: Money
    discount_total: Money
    shipping_fee: Money
    total: Money
    shipping_address: Address
    buyer_remark: str
    seller_remark: str
    quote_id: str
    payment_id: str
    tracking_number: str
    created_at: datetime
    updated_at: datetime
    history: tuple[StatusChange, ...] = ()

    @property
    def currency(self) -> str:
        return self.total.currency

    def mark_paid(
        self, payment_id: str, paid_amount: Money, now: datetime, actor: Actor
    ) -> tuple[Order, list[ev.DomainEvent]]:
        """PENDING_PAYMENT -> PAID, for exactly the order total in the order's currency."""
        if self.status is not S.PENDING_PAYMENT:
            raise self._invalid(S.PAID)
        rules.check_text("payment_id", payment_id, rules.ID_MAX, required=True)
        if paid_amount.currency != self.currency:
            raise currency_mismatch("paid_amount", self.currency, paid_amount.currency)
        if paid_amount != self.total:
            raise PaidAmountMismatch(self.order_id, str(paid_amount), str(self.total))
        paid = self._moved(S.PAID, now, actor, f"payment {payment_id}", payment_id=payment_id)
        return paid, [
            ev.OrderPaid(self.order_id, payment_id, paid_amount, now, self.customer_id, self.channel),
            paid._status_changed(),
        ]

    @property
    def before_shipment(self) -> bool:
        """Whether the order has not shipped yet (held orders count by the state they were held from)."""
        return self.status in PRE_SHIPMENT or (self.status in HOLD_STATES and self.resume_status in PRE_SHIPMENT)

    def record_channel_payment(
        self, payment_id: str, paid_amount: Money, now: datetime, actor: Actor
    ) -> tuple[Order, list[ev.DomainEvent]]:
        """A payment taken by the sales channel: PENDING_PAYMENT -> PAID like :meth:`mark_paid`; an order held
        before it was paid (e.g. flagged AMOUNT_MISMATCH) stays held and resumes to PAID instead, because
        the buyer's money has been taken whatever the hub thinks of the amounts."""
        if self.status is S.PENDING_PAYMENT:
            return self.mark_paid(payment_id, paid_amount, now, actor)
        if self.status not in HOLD_STATES or self.resume_status is not S.PENDING_PAYMENT:
            raise self._invalid(S.PAID)
        rules.check_text("payment_id", payment_id, rules.ID_MAX, required=True)
        if paid_amount.currency != self.currency:
            raise currency_mismatch("paid_amount", self.currency, paid_amount.currency)
        if paid_amount != self.total:
            raise PaidAmountMismatch(self.order_id, str(paid_amount), str(self.total))
        held = self._moved(
            self.status, now, actor, f"payment {payment_id}", resume_status=S.PAID, payment_id=payment_id
        )
        return held, [
            ev.OrderPaid(self.order_id, payment_id, paid_amount, now, self.customer_id, self.channel),
            held._status_changed(),
        ]

    def change_shipping_address(
        self, address: Address, reason: str, now: datetime, actor: Actor
    ) -> tuple[Order, list[ev.DomainEvent]]:
        """A new shipping address, accepted until the order ships; the same address changes nothing."""
        rules.check_address("shipping_address", address)
        rules.check_text("reason", reason, rules.REASON_MAX)
        if address == self.shipping_address:
            return self, []
        if not self.before_shipment:
            raise ShippingAddressLocked(self.order_id, self.status.value)
        changed = self.evolve(shipping_address=address, updated_at=now)
        return changed, [ev.OrderShippingAddressChanged(self.order_id, address, now, actor, reason)]

    def cancel(self, reason: str, now: datetime, actor: Actor) -> tuple[Order, list[ev.DomainEvent]]:
        """To CANCELLED from any state before shipment; an order already cancelled is returned as is."""
        rules.check_text("reason", reason, rules.REASON_MAX, required=True)
        if self.status is S.CANCELLED:
            return self, []
        if not self.before_shipment:
            raise self._invalid(S.CANCELLED)
        cancelled = self._moved(S.CANCELLED, now, actor, reason, resume_status=None, hold_reason="")
        event = ev.OrderCancelled(self.order_id, self.status, reason, now, actor, self.payment_id)
        return cancelled, [event, cancelled._status_changed()]

    def transition(
        self, target: OrderStatus, reason: str, tracking_number: str, now: datetime, actor: Actor
    ) -> tuple[Order, list[ev.DomainEvent]]:
        """Every other move: one step forward, into ON_HOLD / EXCEPTION, or back to where it was held."""
        rules.check_text("reason", reason, rules.REASON_MAX)
        if target in HOLD_STATES:
            return self._hold(target, reason, now, actor)
        if self.status in HOLD_STATES:
            if target is not self.resume_status:
                raise self._invalid(target)
            resumed = self._moved(target, now, actor, reason, resume_status=None, hold_reason="")
            return resumed, [resumed._status_changed()]
        if NEXT_STEP.get(self.status) is not target:
            raise self._invalid(target)
        if target is S.SHIPPED:
            rules.check_text("tracking_number", tracking_number, rules.TRACKING_MAX, required=True)
            moved = self._moved(target, now, actor, reason, tracking_number=tracking_number)
        else:
            moved = self._moved(target, now, actor, reason)
        return moved, [moved._status_changed()]

    def _hold(
        self, target: OrderStatus, reason: str, now: datetime, actor: Actor
    ) -> tuple[Order, list[ev.DomainEvent]]:
        if self.status in TERMINAL or self.status is target:
            raise self._invalid(target)
        if not reason.strip():
            raise InvalidArgument.field("reason", f"is required to move an order to {target.value}")
        # Switching between ON_HOLD and EXCEPTION keeps the state the order was first held from.
        resume = self.resume_status if self.status in HOLD_STATES else self.status
        held = self._moved(target, now, actor, reason, resume_status=resume, hold_reason=reason)
        events: list[ev.DomainEvent] = [held._status_changed()]
        if target is S.EXCEPTION:
            events.append(ev.OrderFlagged(self.order_id, reason, reason, now, resume))
        return held, events

    def _moved(self, target: OrderStatus, now: datetime, actor: Actor, reason: str, **changes: object) -> Order:
        change = StatusChange(self.status, target, now, actor, reason)
        return self.evolve(status=target, updated_at=now, history=(*self.history, change), **changes)

    def evolve(self, **changes: object) -> Order:
        """A copy with ``changes``: dataclasses.replace without re-running __init__ over every field, which
        is most of the cost of a transition on the batch ingest path (the fields are the same, just copied)."""
        unknown = changes.keys() - self.__dict__.keys()
        if unknown:
            raise TypeError(f"Order has no fields {sorted(unknown)}")
        copy = object.__new__(Order)
        copy.__dict__.update(self.__dict__, **changes)
        return copy

    def _status_changed(self) -> ev.OrderStatusChanged:
        """The event of this order's last history entry."""
        last = self.history[-1]
        return ev.OrderStatusChanged(
            order_id=self.order_id,
            from_status=last.from_status,
            to_status=last.to_status,
            changed_at=last.changed_at,
            actor=last.actor,
            reason=last.reason,
            tracking_number=self.tracking_number if last.to_status is S.SHIPPED else "",
            resume_status=self.resume_status,
        )

    def _invalid(self, target: OrderStatus) -> InvalidTransition:
        return InvalidTransition("order", self.order_id, self.status.value, target.value)


def create_order(draft: OrderDraft, order_id: str, now: datetime, actor: Actor) -> tuple[Order, list[ev.DomainEvent]]:
    """Validate ``draft`` and build the new order: PENDING_PAYMENT, or EXCEPTION when amounts do not add up.

    Bad input raises InvalidArgument naming the field; inconsistent amounts never do (the order is
    kept and flagged so a person can look at it).
    """
    rules.check_draft_texts(draft)
    total = rules.require_amount("total", draft.total)
    currency = total.currency
    shipping = rules.optional_amount("shipping_fee", draft.shipping_fee, currency)
    discount_total = rules.optional_amount("discount_total", draft.discount_total, currency)
    subtotal_given = None if draft.subtotal is None else rules.optional_amount("subtotal", draft.subtotal, currency)
    lines = rules.build_lines(draft.lines, currency)
    check = rules.check_amounts(lines, subtotal_given, shipping, discount_total, total)

    order = Order(
        order_id=order_id,
        channel=draft.channel,
        channel_order_id=draft.channel_order_id,
        customer_id=draft.customer_id,
        customer_tier=draft.customer_tier,
        customer_name=draft.customer_name,
        order_type=draft.order_type,
        status=S.PENDING_PAYMENT,
        resume_status=None,
        hold_reason="",
        lines=lines,
        subtotal=check.subtotal,
        discount_total=discount_total,
        shipping_fee=shipping,
        total=total,
        shipping_address=draft.shipping_address,
        buyer_remark=draft.buyer_remark,
        seller_remark=draft.seller_remark,
        quote_id=draft.quote_id,
        payment_id="",
        tracking_number="",
        created_at=now,
        updated_at=now,
        history=(StatusChange(None, S.PENDING_PAYMENT, now, actor, CREATED_REASON),),
    )
    if check.consistent:
        return order, [ev.OrderCreated(order)]
    flagged = order._moved(
        S.EXCEPTION, now, actor, AMOUNT_MISMATCH, resume_status=S.PENDING_PAYMENT, hold_reason=AMOUNT_MISMATCH
    )
    flag = ev.OrderFlagged(order_id, AMOUNT_MISMATCH, check.detail, now, S.PENDING_PAYMENT, total, check.expected_total)
    return flagged, [ev.OrderCreated(flagged), flagged._status_changed(), flag]

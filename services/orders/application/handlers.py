"""The handlers of orders: each opens a unit of work, lets the aggregate decide, persists and publishes.

Mutating handlers are idempotent on the command's request_id (a replay returns the first answer);
the row of the order is locked while a change is decided, so concurrent changes of one order queue up
instead of overwriting each other. A payment is auto-reviewed in its own transaction (rule_sets.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from services.orders.application import pagination
from services.orders.application.channel_ports import ChannelsUnitOfWork
from services.orders.application.commands import (
    CancelOrder,
    CreateOrder,
    CreateOrderResult,
    GetOrder,
    ListOrders,
    MarkOrderPaid,
    OrderPage,
    TransitionOrder,
)
from services.orders.application.ports import Clock, Cursor, IdFactory, OrdersUnitOfWork
from services.orders.application.rule_sets import RuleBook, auto_review
from services.orders.domain.access import may_access, visible_channels
from services.orders.domain.channel_orders import payment_reference
from services.orders.domain.errors import ChannelNotAllowed, OrderNotFound
from services.orders.domain.model import HOLD_STATES, PRE_SHIPMENT, Order
from services.orders.domain.model import create_order as build_order
from services.orders.domain.values import OrderStatus
from shared.kernel.errors import Aborted, InvalidArgument
from shared.kernel.ids import is_valid_id


def _require_id(field: str, value: str) -> None:
    if not is_valid_id(value):
        raise InvalidArgument.field(field, "must be a UUID")


async def create_order(
    cmd: CreateOrder, uow: OrdersUnitOfWork, *, clock: Clock, new_id: IdFactory
) -> CreateOrderResult:
    # Validate before touching the database: bad input costs no round trip and claims no key.
    order, events = build_order(cmd.draft, new_id(), clock(), cmd.actor)
    # Checked before the lookup by channel order id, which would otherwise hand back another channel's order.
    if not may_access(cmd.channels, order.channel):
        raise ChannelNotAllowed(order.channel.value)
    async with uow:
        if (previous := await uow.replay(cmd, CreateOrderResult)) is not None:
            return previous
        if await uow.orders.add(order):
            uow.publish(order.order_id, events)
            result = CreateOrderResult(order, created=True)
        else:
            existing = await uow.orders.get_by_channel_order(order.channel, order.channel_order_id)
            if existing is None:
                # The conflicting row vanished between the insert and the read (deleted by hand):
                # nothing sensible to return, but a retry will create it.
                raise Aborted(f"channel order {order.channel_order_id} changed concurrently; retry")
            result = CreateOrderResult(existing, created=False)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def mark_order_paid(
    cmd: MarkOrderPaid, uow: OrdersUnitOfWork, *, clock: Clock, review: RuleBook | None = None
) -> Order:
    """PENDING_PAYMENT -> PAID, then (with ``review``, the active review rules) UNDER_REVIEW -> APPROVED,
    ON_HOLD or EXCEPTION in the same transaction; without ``review`` the order stays PAID."""
    _require_id("order_id", cmd.order_id)
    async with uow:
        if (previous := await uow.replay(cmd, Order)) is not None:
            return previous
        order = await _locked(uow, cmd.order_id, cmd.channels)
        now = clock()
        paid, events = order.mark_paid(cmd.payment_id, cmd.paid_amount, now, cmd.actor)
        if review is not None:
            paid, reviewed, decision = await auto_review(uow.rules, review, paid, now)
            events = [*events, *reviewed]
            if decision is not None:
                await uow.reviews.record([decision])
        await uow.orders.update(order, paid)
        uow.publish(order.order_id, events)
        await uow.remember(cmd, paid)
        await uow.commit()
    return paid


async def cancel_order(cmd: CancelOrder, uow: OrdersUnitOfWork, *, clock: Clock) -> Order:
    _require_id("order_id", cmd.order_id)
    async with uow:
        if (previous := await uow.replay(cmd, Order)) is not None:
            return previous
        order = await _locked(uow, cmd.order_id, cmd.channels)
        now = clock()
        cancelled, events = order.cancel(cmd.reason, now, cmd.actor)
        if events:
            await uow.orders.update(order, cancelled)
            uow.publish(order.order_id, events)
            await uow.release_stock_hold(order.order_id, now)
            if allocated(order):
                await uow.shipments.detach_order(order.order_id, now)
        await uow.remember(cmd, cancelled)
        await uow.commit()
    return cancelled


async def transition_order(
    cmd: TransitionOrder,
    uow: ChannelsUnitOfWork,
    *,
    clock: Clock,
    stock_wanted: Callable[[], None] = lambda: None,
) -> Order:
    """Move the order as a person asks. A channel order let go on from EXCEPTION / ON_HOLD asks for its stock
    again if it holds none (the review rejected it, or inventory refused it); ``stock_wanted`` is called after
    that commit, so the stock reconciler runs at once."""
    _require_id("order_id", cmd.order_id)
    if cmd.target_status is OrderStatus.CANCELLED:
        raise InvalidArgument.field("target_status", "use CancelOrder to cancel an order")
    async with uow:
        if (previous := await uow.replay(cmd, Order)) is not None:
            return previous
        order = await _locked(uow, cmd.order_id, cmd.channels)
        now = clock()
        moved, events = order.transition(cmd.target_status, cmd.reason, cmd.tracking_number, now, cmd.actor)
        await uow.orders.update(order, moved)
        uow.publish(order.order_id, events)
        held_again = _channel_paid_order_let_go_on(order, moved) and await uow.ingest.hold_again(order.order_id, now)
        await uow.remember(cmd, moved)
        await uow.commit()
    if held_again:
        stock_wanted()
    return moved


async def get_order(query: GetOrder, uow: OrdersUnitOfWork) -> Order:
    _require_id("order_id", query.order_id)
    async with uow:
        order = await uow.orders.get(query.order_id)
    if order is None or not may_access(query.channels, order.channel):
        raise OrderNotFound(query.order_id)
    return order


async def list_orders(query: ListOrders, uow: OrdersUnitOfWork) -> OrderPage:
    criteria = query.filter
    if criteria.customer_id is not None:
        _require_id("customer_id", criteria.customer_id)
    if (
        criteria.created_after is not None
        and criteria.created_before is not None
        and criteria.created_before <= criteria.created_after
    ):
        raise InvalidArgument.field("created_before", "must be after created_after")
    limit = pagination.page_size(query.page_size)
    visible = visible_channels(query.caller_channels)
    if visible is not None:
        if not visible or (criteria.channel is not None and criteria.channel not in visible):
            # Asking for another channel's orders finds none, as if there were none.
            return OrderPage((), "")
        criteria = replace(criteria, channels=visible)
    # The token's fingerprint covers the caller's scope too: a token does not carry over to another scope.
    after = pagination.decode(query.page_token, criteria)
    async with uow:
        # One more than the page tells whether another page exists without a count query.
        found = list(await uow.orders.list(criteria, after, limit + 1))
    orders, more = found[:limit], len(found) > limit
    token = ""
    if more:
        last = orders[-1]
        token = pagination.encode(Cursor(last.created_at, last.order_id), criteria)
    return OrderPage(tuple(orders), token)


def allocated(order: Order) -> bool:
    """Whether the order's lines are in shipments (it was allocated and has not shipped)."""
    shipping = (OrderStatus.ALLOCATED, OrderStatus.PICKING)
    return order.status in shipping or (order.status in HOLD_STATES and order.resume_status in shipping)


def _channel_paid_order_let_go_on(before: Order, after: Order) -> bool:
    """Whether an order paid on its sales channel (its stock goes through channel ingest, not the saga) leaves
    EXCEPTION / ON_HOLD for a state on the way to shipment."""
    return (
        before.status in HOLD_STATES
        and after.status in PRE_SHIPMENT
        and after.payment_id == payment_reference(after.channel, after.channel_order_id)
    )


async def _locked(uow: OrdersUnitOfWork, order_id: str, channels: tuple[str, ...]) -> Order:
    order = await uow.orders.get(order_id, lock=True)
    # Another channel's order answers as a missing one, so its existence does not leak.
    if order is None or not may_access(channels, order.channel):
        raise OrderNotFound(order_id)
    return order

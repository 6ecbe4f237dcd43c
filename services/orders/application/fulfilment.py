"""Allocation and shipment: route an approved order to warehouses (split, merged), list a warehouse's queue,
let a warehouse claim a shipment and confirm it with a tracking number (confirming the stock in inventory).

Locks are always taken orders first, then shipments (allocation, cancellation, claim and confirmation
alike), so two of them never wait on each other in a circle.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from services.orders.application import page_tokens
from services.orders.application.fulfilment_commands import (
    AllocateOrder,
    AllocationResult,
    ClaimShipment,
    ConfirmShipment,
    ListShipments,
    ShipmentPage,
    ShipmentResult,
)
from services.orders.application.fulfilment_ports import (
    AllocationGuard,
    QueuePosition,
    RuleRepository,
    ShipmentRepository,
    StockPort,
)
from services.orders.application.pagination import page_size
from services.orders.application.ports import Clock, IdFactory, OrderRepository
from services.orders.application.rule_sets import RuleBook
from services.orders.application.stock_sync import InventoryUnavailable as InventoryDown
from services.orders.application.stock_sync import StockRefused
from services.orders.domain import events as ev
from services.orders.domain.access import may_access, visible_channels
from services.orders.domain.errors import OrderNotFound
from services.orders.domain.errors_fulfilment import (
    AllocationInProgress,
    InventoryRefused,
    InventoryUnavailable,
    NoWarehouseCanFill,
    OrderNotShippable,
    ShipmentNotFound,
    StockNotConfirmed,
)
from services.orders.domain.model import Order
from services.orders.domain.routing import RoutingRules, StockView, merge_key, plan_allocation
from services.orders.domain.rules import check_text
from services.orders.domain.shipments import (
    SHIPPABLE,
    Shipment,
    ShipmentDeadlines,
    ShipmentLine,
    ShipmentStatus,
    check_tracking_number,
    is_rush,
    paid_at,
)
from services.orders.domain.values import Actor, OrderStatus
from shared.kernel.errors import Aborted, InvalidArgument
from shared.kernel.ids import is_valid_id

log = logging.getLogger(__name__)
S = OrderStatus
WAREHOUSE_CODE_MAX = 64


class FulfilmentUnitOfWork(Protocol):
    orders: OrderRepository
    shipments: ShipmentRepository
    rules: RuleRepository

    async def __aenter__(self) -> Any: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type) -> Any: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, order_id: str, events: Sequence[ev.DomainEvent]) -> None: ...

    def publish_shipment(self, shipment_id: str, events: Sequence[ev.ShipmentEvent]) -> None: ...


@dataclass
class FulfilmentContext:
    """What allocation and shipment need besides a unit of work."""

    clock: Clock
    new_id: IdFactory
    # None until an inventory address is configured.
    stock: Callable[[], StockPort | None] = lambda: None
    rules: RuleBook = field(default_factory=RuleBook)
    deadlines: ShipmentDeadlines = field(default_factory=ShipmentDeadlines)
    # One allocation of an order at a time: two at once could move its stock and ship it from different places.
    exclusive: AllocationGuard = field(default=lambda _order_id: _alone())


@asynccontextmanager
async def _alone() -> AsyncIterator[bool]:
    """The guard of a single process with nobody to race (unit tests)."""
    yield True


def _require_id(name: str, value: str) -> None:
    if not is_valid_id(value):
        raise InvalidArgument.field(name, "must be a UUID")


def _stock(ctx: FulfilmentContext) -> StockPort:
    port = ctx.stock()
    if port is None:
        raise InventoryUnavailable("no inventory address is configured (OMS_INVENTORY_ADDRESS)")
    return port


async def _stock_view(ctx: FulfilmentContext, order: Order) -> StockView:
    try:
        return await _stock(ctx).stock_view(order.order_id, sorted({line.sku for line in order.lines}))
    except InventoryDown as down:
        raise InventoryUnavailable(str(down)) from down
    except StockRefused as refused:
        raise InventoryRefused(order.order_id, refused.reason, refused.detail) from refused


async def _move_held_stock(
    ctx: FulfilmentContext, request_id: str, order: Order, rules: RoutingRules, view: StockView
) -> StockView:
    """Ask inventory to move each hold a routing rule wants shipped from another warehouse, and return the
    view of where the order's stock is held once it answered. Each move is keyed by the allocation's request
    id and the SKU, so a retried AllocateOrder moves nothing twice. A move inventory refuses (no room left in
    the target, say) leaves the hold where it is, and its lines ship from there. A hold no longer where the
    view saw it, or an unknown outcome, fails the allocation (ABORTED, UNAVAILABLE): shipping from either
    warehouse could then be the wrong one."""
    try:
        plans = plan_allocation(order, rules, view)
    except NoWarehouseCanFill:
        # The allocation is refused in its transaction: no stock moves for it.
        return view
    moves = sorted(
        {(plan.sku, plan.moved_from, plan.warehouse, plan.rule_id) for plan in plans if plan.moved_from is not None}
    )
    port = _stock(ctx)
    for sku, source, target, rule_id in moves:
        try:
            await port.move_hold(
                f"{request_id}:move:{sku}", order.order_id, sku, source, target, f"routing rule {rule_id}"
            )
        except StockRefused as refused:
            if refused.reason == "NOT_HELD_THERE":
                # Moved since the view was read (another allocation of this order): where it is held is unknown.
                raise Aborted(
                    f"the stock of order {order.order_id} moved while it was being allocated; retry"
                ) from refused
            log.info("inventory kept %s of order %s in %s, not %s: %s", sku, order.order_id, source, target, refused)
        except InventoryDown as down:
            raise InventoryUnavailable(str(down)) from down
        else:
            view = view.moved(sku, target)
    return view


async def allocate_order(cmd: AllocateOrder, uow: FulfilmentUnitOfWork, ctx: FulfilmentContext) -> AllocationResult:
    """APPROVED -> ALLOCATED with every line in a shipment. Stock is asked of inventory, and held stock
    moved where routing rules want it, before the transaction (no row lock is held across the calls); the
    order's state is decided under its row lock. One allocation of an order runs at a time (``exclusive``):
    a second one at once is ABORTED ALLOCATION_IN_PROGRESS, so two can never move the stock one way and
    ship it from another."""
    _require_id("order_id", cmd.order_id)
    async with ctx.exclusive(cmd.order_id) as alone:
        if not alone:
            raise AllocationInProgress(cmd.order_id)
        async with uow:
            seen = await uow.orders.get(cmd.order_id)
            if seen is not None and not may_access(cmd.channels, seen.channel):
                # Refused before inventory is asked anything about another channel's order.
                raise OrderNotFound(cmd.order_id)
            approved = seen is not None and seen.status is S.APPROVED
            active = await ctx.rules.routing(uow.rules) if approved else None
        rules = active[1] if active is not None else RoutingRules()
        view = None
        if seen is not None and seen.status is S.APPROVED:
            view = await _stock_view(ctx, seen)
            if view.held:
                view = await _move_held_stock(ctx, cmd.request_id, seen, rules, view)
        async with uow:
            if (previous := await uow.replay(cmd, AllocationResult)) is not None:
                return previous
            order = await uow.orders.get(cmd.order_id, lock=True)
            if order is None or not may_access(cmd.channels, order.channel):
                raise OrderNotFound(cmd.order_id)
            now = ctx.clock()
            allocated, events = order.transition(S.ALLOCATED, "allocated to warehouses", "", now, cmd.actor)
            if view is None:
                # It was not APPROVED a moment ago but is now (resumed meanwhile): ask again from the start.
                raise Aborted(f"order {order.order_id} changed while it was being allocated; retry")
            # The view says where inventory holds the stock now; a move still planned was refused (or is new,
            # the order having changed meanwhile), so its lines ship from where their stock is held.
            plans = tuple(plan.where_held() for plan in plan_allocation(order, rules, view))
            key = merge_key(order, rules.merge) if rules.merge.window.total_seconds() > 0 else None
            paid, rush = paid_at(order), is_rush(order)
            by_warehouse: dict[str, list[ShipmentLine]] = defaultdict(list)
            for plan in plans:
                by_warehouse[plan.warehouse].append(ShipmentLine(order.order_id, plan.line_no, plan.sku, plan.quantity))
            for warehouse, lines in sorted(by_warehouse.items()):
                target = None
                if key is not None:
                    target = await uow.shipments.mergeable(
                        warehouse, key, paid - rules.merge.window, paid + rules.merge.window
                    )
                if target is not None:
                    await uow.shipments.merge_into(target.shipment_id, lines, rush, paid, now)
                else:
                    await uow.shipments.add(
                        Shipment(
                            shipment_id=ctx.new_id(),
                            warehouse_code=warehouse,
                            status=ShipmentStatus.PENDING,
                            lines=tuple(lines),
                            rush=rush,
                            paid_at=paid,
                            merge_key=key,
                            created_at=now,
                            updated_at=now,
                        )
                    )
            await uow.orders.update(order, allocated)
            shipments = tuple(await uow.shipments.of_orders([order.order_id]))
            uow.publish(order.order_id, [*events, ev.OrderAllocated(order.order_id, shipments, now)])
            result = AllocationResult(allocated, shipments)
            await uow.remember(cmd, result)
            await uow.commit()
    return result


async def _locked_shipment(
    uow: FulfilmentUnitOfWork, shipment_id: str, channels: tuple[str, ...]
) -> tuple[Shipment, list[Order]]:
    """The shipment and its orders, all locked: the orders first (see the module docstring), then the
    shipment, whose orders must still be the ones locked. A shipment carrying an order of a channel the
    caller may not see is, to that caller, missing."""
    glance = await uow.shipments.get(shipment_id)
    if glance is None:
        raise ShipmentNotFound(shipment_id)
    found = await uow.orders.get_many(glance.order_ids, lock=True)
    if not all(may_access(channels, order.channel) for order in found.values()):
        raise ShipmentNotFound(shipment_id)
    shipment = await uow.shipments.get(shipment_id, lock=True)
    if shipment is None or shipment.order_ids != glance.order_ids:
        raise Aborted(f"shipment {shipment_id} changed concurrently; retry with the same request_id")
    return shipment, [found[order_id] for order_id in shipment.order_ids if order_id in found]


def _check_shippable(shipment: Shipment, orders: Sequence[Order]) -> None:
    for order in orders:
        if order.status not in SHIPPABLE:
            raise OrderNotShippable(shipment.shipment_id, order.order_id, order.status.value)


async def claim_shipment(cmd: ClaimShipment, uow: FulfilmentUnitOfWork, ctx: FulfilmentContext) -> ShipmentResult:
    _require_id("shipment_id", cmd.shipment_id)
    async with uow:
        if (previous := await uow.replay(cmd, ShipmentResult)) is not None:
            return previous
        shipment, orders = await _locked_shipment(uow, cmd.shipment_id, cmd.channels)
        now = ctx.clock()
        claimed = shipment.claim(cmd.actor, now, ctx.deadlines)
        if claimed is not shipment:
            _check_shippable(shipment, orders)
            moved_orders = []
            for order in orders:
                if order.status is S.ALLOCATED:
                    reason = f"shipment {shipment.shipment_id} claimed by {cmd.actor.subject}"
                    picking, events = order.transition(S.PICKING, reason[:500], "", now, cmd.actor)
                    await uow.orders.update(order, picking)
                    uow.publish(order.order_id, events)
                    order = picking
                moved_orders.append(order)
            orders = moved_orders
            await uow.shipments.save(shipment, claimed)
            uow.publish_shipment(claimed.shipment_id, [ev.ShipmentClaimed(claimed)])
        result = ShipmentResult(claimed, tuple(orders))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def _confirm_stock(ctx: FulfilmentContext, order_ids: Sequence[str]) -> None:
    """Confirm the stock of every order, having first checked that each still holds it: a parcel of several
    orders must not leave some of them confirmed in inventory when another one's hold has lapsed (inventory's
    Confirm cannot be undone)."""
    port = _stock(ctx)
    current = ""
    try:
        for current in order_ids:
            lapsed = await port.lapsed_hold(current)
            if lapsed:
                raise StockNotConfirmed(current, "RESERVATION_NOT_LIVE", lapsed)
        for current in order_ids:
            await port.confirm(current)
    except StockRefused as refused:
        raise StockNotConfirmed(current, refused.reason, refused.detail) from refused
    except InventoryDown as down:
        raise InventoryUnavailable(str(down)) from down


async def confirm_shipment(cmd: ConfirmShipment, uow: FulfilmentUnitOfWork, ctx: FulfilmentContext) -> ShipmentResult:
    """CLAIMED -> SHIPPED; each order this shipment completes has its stock confirmed in inventory and
    moves to SHIPPED. Inventory is called with the rows locked, so a concurrent confirmation of the other
    shipment of a split order waits and then sees this one shipped (the order is completed exactly once);
    inventory's Confirm is idempotent per order, so a retry after a lost commit is harmless."""
    _require_id("shipment_id", cmd.shipment_id)
    check_tracking_number(cmd.tracking_number)
    async with uow:
        if (previous := await uow.replay(cmd, ShipmentResult)) is not None:
            return previous
        shipment, orders = await _locked_shipment(uow, cmd.shipment_id, cmd.channels)
        now = ctx.clock()
        shipped = shipment.confirm(cmd.tracking_number, cmd.actor, now)
        if shipped is not shipment:
            _check_shippable(shipment, orders)
            siblings = await uow.shipments.of_orders([order.order_id for order in orders])
            completing = [
                order
                for order in orders
                if all(
                    s.status is ShipmentStatus.SHIPPED
                    for s in siblings
                    if s.shipment_id != shipment.shipment_id and order.order_id in s.order_ids
                )
            ]
            await _confirm_stock(ctx, [order.order_id for order in completing])
            done = {order.order_id for order in completing}
            orders = [
                await _ship(uow, order, shipped, cmd.actor, now) if order.order_id in done else order
                for order in orders
            ]
            await uow.shipments.save(shipment, shipped)
            uow.publish_shipment(
                shipped.shipment_id,
                [ev.ShipmentConfirmed(shipped, tuple(order.order_id for order in completing))],
            )
        result = ShipmentResult(shipped, tuple(orders))
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def _ship(uow: FulfilmentUnitOfWork, order: Order, shipment: Shipment, actor: Actor, now: datetime) -> Order:
    current, events = order, []
    reason = f"shipment {shipment.shipment_id} confirmed"
    if current.status is S.ALLOCATED:
        current, moved = current.transition(S.PICKING, reason, "", now, actor)
        events.extend(moved)
    current, moved = current.transition(S.SHIPPED, reason, shipment.tracking_number, now, actor)
    events.extend(moved)
    await uow.orders.update(order, current)
    uow.publish(order.order_id, events)
    return current


def _check_code(value: str) -> None:
    check_text("warehouse_code", value, WAREHOUSE_CODE_MAX)


async def list_shipments(query: ListShipments, uow: FulfilmentUnitOfWork) -> ShipmentPage:
    criteria = query.filter
    if criteria.order_id is not None:
        _require_id("order_id", criteria.order_id)
    if criteria.warehouse_code is not None:
        _check_code(criteria.warehouse_code)
    limit = page_size(query.page_size)
    visible = visible_channels(query.channels)
    if visible is not None:
        if not visible:
            return ShipmentPage((), "")
        criteria = replace(criteria, channels=visible)
    position = page_tokens.decode(query.page_token, criteria, 3)
    after = None
    if position is not None:
        rush, paid, shipment_id = position
        try:
            after = QueuePosition(rush == "1", datetime.fromisoformat(paid), shipment_id)
        except ValueError as error:
            raise InvalidArgument.field(
                page_tokens.TOKEN_FIELD, "is not a page token issued by this listing"
            ) from error
        if after.paid_at.tzinfo is None or rush not in ("0", "1") or not is_valid_id(shipment_id):
            raise InvalidArgument.field(page_tokens.TOKEN_FIELD, "is not a page token issued by this listing")
    async with uow:
        found = await uow.shipments.list(criteria, after, limit + 1)
    shipments, more = found[:limit], len(found) > limit
    token = ""
    if more:
        last = shipments[-1]
        token = page_tokens.encode(["1" if last.rush else "0", last.paid_at.isoformat(), last.shipment_id], criteria)
    return ShipmentPage(tuple(shipments), token)

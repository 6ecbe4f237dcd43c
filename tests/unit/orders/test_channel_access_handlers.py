"""Unit tests of object-level access: a caller limited to channels finds other channels' orders missing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Self

import pytest

from services.orders.application import fulfilment, handlers, sla
from services.orders.application.commands import (
    CancelOrder,
    CreateOrder,
    GetOrder,
    ListOrders,
    OrderFilter,
    TransitionOrder,
)
from services.orders.application.fulfilment import FulfilmentContext
from services.orders.application.fulfilment_commands import (
    AllocateOrder,
    ClaimShipment,
    ConfirmShipment,
    GetOrderSla,
)
from services.orders.application.sla import SlaContext
from services.orders.domain import events as ev
from services.orders.domain.access import may_access, visible_channels
from services.orders.domain.model import Order
from services.orders.domain.shipments import Shipment, ShipmentLine, ShipmentStatus
from services.orders.domain.values import Channel, OrderStatus
from shared.kernel.errors import NotFound, PermissionDenied, Unavailable
from shared.kernel.ids import new_id
from tests.unit.orders.test_orders_handlers import (
    ACTOR,
    START,
    Clock,
    FakeRepository,
    FakeUnitOfWork,
    Store,
    create,
    draft,
    pay,
)

S = OrderStatus
TMALL_ONLY = ("TMALL",)


class AccessRepository(FakeRepository):
    async def get_many(self, order_ids: Sequence[str], *, lock: bool = False) -> dict[str, Order]:
        return {order_id: self.rows[order_id] for order_id in order_ids if order_id in self.rows}


class ShipmentStore:
    def __init__(self) -> None:
        self.rows: dict[str, Shipment] = {}
        self.detached: list[str] = []

    async def get(self, shipment_id: str, *, lock: bool = False) -> Shipment | None:
        return self.rows.get(shipment_id)

    async def save(self, before: Shipment, after: Shipment) -> None:
        self.rows[after.shipment_id] = after

    async def of_orders(self, order_ids: Sequence[str]) -> list[Shipment]:
        return [s for s in self.rows.values() if set(s.order_ids) & set(order_ids)]

    async def detach_order(self, order_id: str, now: datetime) -> None:
        self.detached.append(order_id)


class AccessUnitOfWork(FakeUnitOfWork):
    """The handlers' fake unit of work with the shipment side that allocation and shipping read."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.shipment_store = ShipmentStore()

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.orders = AccessRepository(self.orders.rows)
        self.shipments = self.shipment_store
        return self

    def publish_shipment(self, shipment_id: str, events: Sequence[ev.ShipmentEvent]) -> None:
        return None


@pytest.fixture
def uow() -> AccessUnitOfWork:
    return AccessUnitOfWork(Store())


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def walk(uow: AccessUnitOfWork, clock: Clock, order: Order, *targets: OrderStatus) -> None:
    for target in targets:
        await handlers.transition_order(
            TransitionOrder(new_id(), order.order_id, target, "", "", ACTOR), uow, clock=clock
        )


def shipment_of(order: Order, status: ShipmentStatus) -> Shipment:
    line = order.lines[0]
    return Shipment(
        shipment_id=new_id(),
        warehouse_code="WH-HZ",
        status=status,
        lines=(ShipmentLine(order.order_id, line.line_no, line.sku, line.quantity),),
        rush=False,
        paid_at=START,
        merge_key=None,
        created_at=START,
        updated_at=START,
        claimed_by=ACTOR if status is ShipmentStatus.CLAIMED else None,
        claimed_at=START if status is ShipmentStatus.CLAIMED else None,
    )


async def paid(uow: AccessUnitOfWork, clock: Clock, order: Order, *targets: OrderStatus) -> None:
    await handlers.mark_order_paid(pay(order), uow, clock=clock)
    await walk(uow, clock, order, *targets)


def placed(status: ShipmentStatus, *targets: OrderStatus) -> Callable[..., Awaitable[str]]:
    async def prepare(uow: AccessUnitOfWork, clock: Clock, order: Order) -> str:
        await paid(uow, clock, order, *targets)
        shipment = shipment_of(order, status)
        uow.shipment_store.rows[shipment.shipment_id] = shipment
        return shipment.shipment_id

    return prepare


async def nothing(uow: AccessUnitOfWork, clock: Clock, order: Order) -> None:
    return None


def fulfil(clock: Clock) -> FulfilmentContext:
    # No inventory is configured: an allowed caller that needs it gets as far as asking (UNAVAILABLE).
    return FulfilmentContext(clock=clock, new_id=new_id)


# Each id-taking handler: how to bring a fresh TMALL/JD order to where the call makes sense, then the call.
CASES: dict[str, tuple[Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]]] = {
    "GetOrder": (nothing, lambda u, c, o, x, ch: handlers.get_order(GetOrder(o.order_id, ch), u)),
    "MarkOrderPaid": (
        nothing,
        lambda u, c, o, x, ch: handlers.mark_order_paid(replace(pay(o), channels=ch), u, clock=c),
    ),
    "CancelOrder": (
        nothing,
        lambda u, c, o, x, ch: handlers.cancel_order(CancelOrder(new_id(), o.order_id, "why", ACTOR, ch), u, clock=c),
    ),
    "TransitionOrder": (
        lambda u, c, o: paid(u, c, o),
        lambda u, c, o, x, ch: handlers.transition_order(
            TransitionOrder(new_id(), o.order_id, S.UNDER_REVIEW, "", "", ACTOR, ch), u, clock=c
        ),
    ),
    "GetOrderSla": (
        nothing,
        lambda u, c, o, x, ch: sla.order_sla(GetOrderSla(o.order_id, ch), u, SlaContext(clock=c)),
    ),
    "AllocateOrder": (
        lambda u, c, o: paid(u, c, o, S.UNDER_REVIEW, S.APPROVED),
        lambda u, c, o, x, ch: fulfilment.allocate_order(AllocateOrder(new_id(), o.order_id, ACTOR, ch), u, fulfil(c)),
    ),
    "ClaimShipment": (
        placed(ShipmentStatus.PENDING, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED),
        lambda u, c, o, x, ch: fulfilment.claim_shipment(ClaimShipment(new_id(), x, ACTOR, ch), u, fulfil(c)),
    ),
    "ConfirmShipment": (
        placed(ShipmentStatus.CLAIMED, S.UNDER_REVIEW, S.APPROVED, S.ALLOCATED, S.PICKING),
        lambda u, c, o, x, ch: fulfilment.confirm_shipment(
            ConfirmShipment(new_id(), x, "SF100", ACTOR, ch), u, fulfil(c)
        ),
    ),
}
NEEDS_INVENTORY = {"AllocateOrder", "ConfirmShipment"}
NOT_FOUND_REASON = {"ClaimShipment": "SHIPMENT_NOT_FOUND", "ConfirmShipment": "SHIPMENT_NOT_FOUND"}


@pytest.mark.parametrize("rpc", CASES)
async def test_another_channels_order_is_not_found_and_left_unchanged(uow, clock, rpc: str) -> None:
    prepare, act = CASES[rpc]
    order = (await create(uow, clock, channel=Channel.JD, channel_order_id="JD-1")).order
    subject = await prepare(uow, clock, order)
    before = uow.store.orders[order.order_id]
    published, keys, shipments = len(uow.store.published), dict(uow.store.keys), dict(uow.shipment_store.rows)
    with pytest.raises(NotFound) as refused:
        await act(uow, clock, order, subject, TMALL_ONLY)
    assert refused.value.reason == NOT_FOUND_REASON.get(rpc, "ORDER_NOT_FOUND")
    assert uow.store.orders[order.order_id] == before
    assert len(uow.store.published) == published and uow.store.keys == keys
    assert uow.shipment_store.rows == shipments


@pytest.mark.parametrize("rpc", CASES)
@pytest.mark.parametrize("channels", [TMALL_ONLY, ("JD", "TMALL"), ()], ids=["own", "several", "unlimited"])
async def test_an_order_of_the_callers_channel_is_served(uow, clock, rpc: str, channels) -> None:
    prepare, act = CASES[rpc]
    order = (await create(uow, clock)).order
    subject = await prepare(uow, clock, order)
    if rpc in NEEDS_INVENTORY:
        with pytest.raises(Unavailable):
            await act(uow, clock, order, subject, channels)
        return
    result = await act(uow, clock, order, subject, channels)
    assert result is not None


async def test_a_refused_mutation_leaves_the_order_and_frees_its_request_id(uow, clock) -> None:
    order = (await create(uow, clock, channel=Channel.JD, channel_order_id="JD-1")).order
    published = len(uow.store.published)
    command = CancelOrder(new_id(), order.order_id, "why", ACTOR, TMALL_ONLY)
    with pytest.raises(NotFound):
        await handlers.cancel_order(command, uow, clock=clock)
    assert uow.store.orders[order.order_id].status is S.PENDING_PAYMENT
    assert len(uow.store.published) == published and command.request_id not in uow.store.keys


async def test_lists_show_only_the_callers_channels(uow, clock) -> None:
    tmall = (await create(uow, clock)).order
    jd = (await create(uow, clock, channel=Channel.JD, channel_order_id="JD-1")).order

    async def ids(criteria: OrderFilter, channels: tuple[str, ...]) -> list[str]:
        page = await handlers.list_orders(ListOrders(criteria, caller_channels=channels), uow)
        return [o.order_id for o in page.orders]

    assert await ids(OrderFilter(), TMALL_ONLY) == [tmall.order_id]
    assert await ids(OrderFilter(channel=Channel.TMALL), TMALL_ONLY) == [tmall.order_id]
    # An explicit filter outside the caller's channels finds nothing, as if there were nothing.
    assert await ids(OrderFilter(channel=Channel.JD), TMALL_ONLY) == []
    assert await ids(OrderFilter(), ("UNKNOWN",)) == []
    assert await ids(OrderFilter(), ()) == [jd.order_id, tmall.order_id]


async def test_a_page_token_stays_within_the_callers_channels(uow, clock) -> None:
    for n in range(3):
        await create(uow, clock, channel_order_id=f"TM-{n}")
        await create(uow, clock, channel=Channel.JD, channel_order_id=f"JD-{n}")
    seen: list[Order] = []
    token = ""
    while True:
        page = await handlers.list_orders(ListOrders(OrderFilter(), 2, token, TMALL_ONLY), uow)
        seen.extend(page.orders)
        token = page.next_page_token
        if not token:
            break
    assert len(seen) == 3 and {o.channel for o in seen} == {Channel.TMALL}


@pytest.mark.parametrize(
    ("limits", "channel", "allowed"),
    [
        ((), Channel.JD, True),
        (("TMALL",), Channel.TMALL, True),
        (("TMALL",), Channel.JD, False),
        (("TMALL", "JD"), Channel.JD, True),
        (("tmall",), Channel.TMALL, False),
        (("UNKNOWN",), Channel.OWN_SITE, False),
    ],
)
def test_may_access(limits: tuple[str, ...], channel: Channel, allowed: bool) -> None:
    assert may_access(limits, channel) is allowed


def test_visible_channels() -> None:
    assert visible_channels(()) is None
    assert visible_channels(("JD", "TMALL")) == (Channel.TMALL, Channel.JD)
    assert visible_channels(("UNKNOWN",)) == ()


async def test_a_limited_caller_may_not_place_another_channels_order_nor_learn_of_it(uow, clock) -> None:
    existing = (await create(uow, clock, channel=Channel.JD, channel_order_id="JD-1")).order
    published = len(uow.store.published)
    # The same channel order id would otherwise answer with the existing JD order (created=False).
    command = CreateOrder(new_id(), draft("JD-1", channel=Channel.JD), ACTOR, TMALL_ONLY)
    with pytest.raises(PermissionDenied) as refused:
        await handlers.create_order(command, uow, clock=clock, new_id=new_id)
    assert refused.value.reason == "CHANNEL_NOT_ALLOWED" and refused.value.metadata == {"channel": "JD"}
    assert list(uow.store.orders) == [existing.order_id] and len(uow.store.published) == published
    own = CreateOrder(new_id(), draft("TM-9"), ACTOR, TMALL_ONLY)
    assert (await handlers.create_order(own, uow, clock=clock, new_id=new_id)).created

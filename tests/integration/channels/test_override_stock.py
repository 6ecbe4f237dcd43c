"""A paid channel order whose stock is not held (the review rejected it, or inventory refused it) asks for its stock
again when a person lets it go on, and the stock reconciler reserves it; own-site orders and orders first seen
shipped are left alone, and a replayed request changes nothing twice. Orders runs in-process over real gRPC and
PostgreSQL; the reconciler is driven by hand against an inventory kept in memory."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.orders.v1 import orders_pb2, orders_pb2_grpc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.orders.adapters.grpc_servicer import SERVICE_NAME, OrdersServicer
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application.channel_ingest import IngestContext
from services.orders.application.channel_ports import StockWork
from services.orders.application.rule_sets import RuleBook
from services.orders.application.stock_sync import StockPolicy, StockReconciler, StockRefused
from services.orders.bootstrap import Settings
from shared.db import utc_now
from shared.grpc import GrpcService, ServiceDefinition
from shared.kernel.ids import new_id
from shared.runtime import Infrastructure
from tests.harness import running_service
from tools.marketplace.payloads import Line, MarketOrder, OrderFactory, encode

pb = orders_pb2
OPS = (("x-oms-role", "operations"), ("x-oms-subject", "ops-override-stock"))
SUPERVISOR = (("x-oms-role", "cs_supervisor"), ("x-oms-subject", "supervisor-override-stock"))
RECALLED = "SKU-RECALLED-"
REVIEW_RULES = {
    "rules": [{"id": "reject-recalled", "when": {"sku_prefixes": [RECALLED]}, "then": "reject", "reason": "召回 𠮷"}],
    "otherwise": {"then": "approve", "reason": "nothing to check"},
}
MARKET = OrderFactory(prefix="96")


@dataclass
class Served:
    """What the test sees of the orders service it runs: its units of work and how often it woke the reconciler."""

    unit_of_work: Callable[[], OrdersUnitOfWork] | None = None
    wakes: int = 0

    def wake(self) -> None:
        self.wakes += 1


@dataclass
class ShelfInventory:
    """Inventory in memory: units on hand per SKU, each Reserve all or nothing and refused when short."""

    on_hand: dict[str, int] = field(default_factory=dict)
    reserved: list[str] = field(default_factory=list)

    async def reserve(
        self, order_id: str, lines: Sequence[tuple[str, int]], shipping_province: str, ttl_seconds: int
    ) -> str:
        for sku, quantity in lines:
            if self.on_hand.get(sku, 0) < quantity:
                raise StockRefused("INSUFFICIENT_STOCK", f"sku={sku} requested={quantity}")
        for sku, quantity in lines:
            self.on_hand[sku] -= quantity
        self.reserved.append(order_id)
        return "R-" + order_id[-6:]

    async def reserve_many(
        self, request_id: str, orders: Sequence[StockWork], ttl_seconds: int
    ) -> list[str | StockRefused]:
        outcomes: list[str | StockRefused] = []
        for order in orders:
            try:
                outcomes.append(await self.reserve(order.order_id, order.lines, order.shipping_province, ttl_seconds))
            except StockRefused as refused:
                outcomes.append(refused)
        return outcomes

    async def release(self, order_id: str, reason: str) -> None:
        raise AssertionError(f"nothing here releases stock, yet {order_id} was released: {reason}")


@pytest.fixture(scope="module")
async def orders_database(service_database: Any) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def served(
    orders_database: str, redis_url: str, stream_prefix: str
) -> AsyncIterator[tuple[Served, grpc.aio.Channel]]:
    settings = Settings(
        service_name="orders", database_url=orders_database, redis_url=redis_url, stream_prefix=stream_prefix
    )
    served = Served()

    def build(settings: Settings, infra: Infrastructure) -> ServiceDefinition:
        """The servicer as bootstrap wires it, its reconciler wake-ups counted instead of running a stock loop."""
        served.unit_of_work = infra.unit_of_work(OrdersUnitOfWork)
        review = RuleBook()
        ingest = IngestContext(clock=utc_now, new_id=new_id, stock_wanted=served.wake, review=review)
        servicer = OrdersServicer(served.unit_of_work, ingest=ingest, review=review)
        return ServiceDefinition(
            name="orders",
            services=[GrpcService(orders_pb2_grpc.add_OrdersServiceServicer_to_server, servicer, SERVICE_NAME)],
        )

    async with running_service(settings, build) as channel:
        ops = oms_client.ServiceClient.for_service(channel, "orders", metadata=OPS, timeout=30)
        stored = await ops.SetReviewRules(
            pb.SetReviewRulesRequest(request_id=new_id(), rules_json=json.dumps(REVIEW_RULES))
        )
        await ops.ActivateReviewRules(
            pb.ActivateReviewRulesRequest(request_id=new_id(), version=stored.rule_set.version)
        )
        yield served, channel


@pytest.fixture(scope="module")
def orders(served: tuple[Served, grpc.aio.Channel]) -> Any:
    return oms_client.ServiceClient.for_service(served[1], "orders", timeout=30)


@pytest.fixture(scope="module")
def supervisor(served: tuple[Served, grpc.aio.Channel]) -> Any:
    return oms_client.ServiceClient.for_service(served[1], "orders", metadata=SUPERVISOR, timeout=30)


@pytest.fixture(scope="module")
async def engine(orders_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(orders_database)
    yield engine
    await engine.dispose()


def reconciler(served: tuple[Served, grpc.aio.Channel], inventory: ShelfInventory) -> StockReconciler:
    unit_of_work = served[0].unit_of_work
    assert unit_of_work is not None
    return StockReconciler(unit_of_work, lambda: inventory, utc_now, StockPolicy())


async def ingest(
    orders: Any, market_order: MarketOrder, channel: int = pb.CHANNEL_TMALL, platform: str = "taobao"
) -> str:
    reply = await orders.IngestChannelOrders(
        pb.IngestChannelOrdersRequest(request_id=new_id(), channel=channel, records=[encode(platform, market_order)])
    )
    assert reply.failed == 0, reply
    return reply.results[0].order_id


async def ingest_one(orders: Any, sku: str, quantity: int, status: str = "PAID") -> str:
    return await ingest(orders, MARKET.make(status=status, lines=(Line(sku, quantity, 2_990),)))


async def move(client: Any, order_id: str, target: int, request_id: str | None = None) -> orders_pb2.Order:
    request = pb.TransitionOrderRequest(
        request_id=request_id or new_id(), order_id=order_id, target_status=target, reason="checked by a person 𠮷"
    )
    return (await client.TransitionOrder(request)).order


async def order_of(orders: Any, order_id: str) -> orders_pb2.Order:
    return (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order


async def hold_of(engine: AsyncEngine, order_id: str) -> dict[str, Any] | None:
    """The order's stock_holds row, or None when it has none."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                text(
                    "SELECT desired, applied, next_attempt_at, updated_at, reservation_id FROM stock_holds"
                    " WHERE order_id::text = :id"
                ),
                {"id": order_id},
            )
        ).first()
    return None if row is None else dict(row._mapping)


async def test_an_order_the_review_rejected_takes_its_stock_when_a_person_lets_it_go_on(
    served: tuple[Served, grpc.aio.Channel], orders: Any, supervisor: Any, engine: AsyncEngine
) -> None:
    inventory = ShelfInventory()
    sku = RECALLED + new_id()[-8:]
    order_id = await ingest_one(orders, sku, 2)
    rejected = await order_of(orders, order_id)
    assert rejected.status == pb.ORDER_STATUS_EXCEPTION
    assert rejected.resume_status == pb.ORDER_STATUS_UNDER_REVIEW
    assert rejected.hold_reason.startswith("REVIEW_REJECTED")
    assert await hold_of(engine, order_id) is None
    wakes = served[0].wakes

    resumed = await move(supervisor, order_id, pb.ORDER_STATUS_UNDER_REVIEW)
    assert resumed.status == pb.ORDER_STATUS_UNDER_REVIEW
    hold = await hold_of(engine, order_id)
    assert hold is not None
    assert (hold["desired"], hold["applied"]) == ("HELD", "NONE")
    assert hold["next_attempt_at"] is not None
    assert served[0].wakes == wakes + 1

    inventory.on_hand[sku] = 5
    assert await reconciler(served, inventory).run_once() == 1
    assert inventory.reserved == [order_id]
    assert inventory.on_hand[sku] == 3
    hold = await hold_of(engine, order_id)
    assert hold is not None
    assert (hold["applied"], hold["next_attempt_at"], hold["reservation_id"]) == ("HELD", None, "R-" + order_id[-6:])
    approved = await move(supervisor, order_id, pb.ORDER_STATUS_APPROVED)
    assert approved.status == pb.ORDER_STATUS_APPROVED
    # The hold is taken and settled: going on to APPROVED asks for nothing more.
    assert await reconciler(served, inventory).run_once() == 0
    assert served[0].wakes == wakes + 1


async def test_an_order_refused_its_stock_is_reserved_again_after_the_override_once_stock_is_there(
    served: tuple[Served, grpc.aio.Channel], orders: Any, supervisor: Any, engine: AsyncEngine
) -> None:
    inventory = ShelfInventory()
    sku = "SKU-OBOE-" + new_id()[-8:]
    order_id = await ingest_one(orders, sku, 3)
    assert (await order_of(orders, order_id)).status == pb.ORDER_STATUS_APPROVED
    assert await reconciler(served, inventory).run_once() == 1
    flagged = await order_of(orders, order_id)
    assert flagged.status == pb.ORDER_STATUS_EXCEPTION
    assert flagged.resume_status == pb.ORDER_STATUS_APPROVED
    assert flagged.hold_reason.startswith("OUT_OF_STOCK")
    hold = await hold_of(engine, order_id)
    assert hold is not None
    assert (hold["desired"], hold["applied"], hold["next_attempt_at"]) == ("HELD", "REFUSED", None)
    # Refused for good: nothing asks inventory again on its own.
    assert await reconciler(served, inventory).run_once() == 0

    # Overridden while still out of stock: refused and flagged again by the reconciler, as before.
    wakes = served[0].wakes
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_APPROVED)).status == pb.ORDER_STATUS_APPROVED
    assert served[0].wakes == wakes + 1
    assert await reconciler(served, inventory).run_once() == 1
    again = await order_of(orders, order_id)
    assert again.status == pb.ORDER_STATUS_EXCEPTION
    assert again.hold_reason.startswith("OUT_OF_STOCK")
    hold = await hold_of(engine, order_id)
    assert hold is not None and hold["applied"] == "REFUSED"

    inventory.on_hand[sku] = 4
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_APPROVED)).status == pb.ORDER_STATUS_APPROVED
    assert served[0].wakes == wakes + 2
    hold = await hold_of(engine, order_id)
    assert hold is not None
    assert (hold["desired"], hold["applied"]) == ("HELD", "REFUSED")
    assert hold["next_attempt_at"] is not None
    assert await reconciler(served, inventory).run_once() == 1
    assert inventory.reserved == [order_id]
    assert inventory.on_hand[sku] == 1
    hold = await hold_of(engine, order_id)
    assert hold is not None
    assert (hold["applied"], hold["next_attempt_at"]) == ("HELD", None)
    assert (await order_of(orders, order_id)).status == pb.ORDER_STATUS_APPROVED


async def test_an_own_site_order_let_go_on_writes_no_stock_hold(
    served: tuple[Served, grpc.aio.Channel], orders: Any, supervisor: Any, engine: AsyncEngine
) -> None:
    market = MARKET.make(lines=(Line(RECALLED + new_id()[-8:], 1, 2_990),), shipping_fen=0, discount_fen=0)
    price = common_pb2.Money(amount_minor=market.total_fen, currency="CNY")
    line = market.lines[0]
    created = await orders.CreateOrder(
        pb.CreateOrderRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_OWN_SITE,
            channel_order_id=market.order_id,
            customer_id=new_id(),
            lines=[pb.OrderLineInput(sku=line.sku, quantity=line.quantity, unit_price=price)],
            total=price,
        )
    )
    order_id = created.order.order_id
    # Placed and paid through the saga (which reserves its stock), then reported paid by the mini program too.
    paid = await orders.MarkOrderPaid(
        pb.MarkOrderPaidRequest(request_id=new_id(), order_id=order_id, payment_id=new_id(), paid_amount=price)
    )
    assert paid.order.status == pb.ORDER_STATUS_EXCEPTION
    assert paid.order.hold_reason.startswith("REVIEW_REJECTED")
    assert await ingest(orders, market, pb.CHANNEL_OWN_SITE, "mini_program") == order_id
    wakes = served[0].wakes

    assert (await move(supervisor, order_id, pb.ORDER_STATUS_UNDER_REVIEW)).status == pb.ORDER_STATUS_UNDER_REVIEW
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_APPROVED)).status == pb.ORDER_STATUS_APPROVED
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_ON_HOLD)).status == pb.ORDER_STATUS_ON_HOLD
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_APPROVED)).status == pb.ORDER_STATUS_APPROVED
    # The saga holds an own-site order's stock: channel stock holds stay out of it.
    assert await hold_of(engine, order_id) is None
    assert served[0].wakes == wakes


async def test_an_order_holding_its_stock_asks_for_nothing_when_let_go_on(
    served: tuple[Served, grpc.aio.Channel], orders: Any, supervisor: Any, engine: AsyncEngine
) -> None:
    inventory = ShelfInventory()
    sku = "SKU-VIOLA-" + new_id()[-8:]
    inventory.on_hand[sku] = 2
    order_id = await ingest_one(orders, sku, 2)
    assert await reconciler(served, inventory).run_once() == 1
    held = await hold_of(engine, order_id)
    assert held is not None and held["applied"] == "HELD"
    wakes = served[0].wakes

    assert (await move(supervisor, order_id, pb.ORDER_STATUS_ON_HOLD)).status == pb.ORDER_STATUS_ON_HOLD
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_APPROVED)).status == pb.ORDER_STATUS_APPROVED
    assert await hold_of(engine, order_id) == held
    assert served[0].wakes == wakes
    assert await reconciler(served, inventory).run_once() == 0
    assert inventory.reserved == [order_id]


async def test_an_order_first_seen_shipped_on_its_channel_takes_no_stock_when_let_go_on(
    served: tuple[Served, grpc.aio.Channel], orders: Any, supervisor: Any, engine: AsyncEngine
) -> None:
    order_id = await ingest_one(orders, "SKU-LUTE-" + new_id()[-8:], 1, status="SHIPPED")
    assert (await order_of(orders, order_id)).status == pb.ORDER_STATUS_PAID
    wakes = served[0].wakes
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_ON_HOLD)).status == pb.ORDER_STATUS_ON_HOLD
    assert (await move(supervisor, order_id, pb.ORDER_STATUS_PAID)).status == pb.ORDER_STATUS_PAID
    # It left some warehouse already: holding stock for it would sell the same units twice.
    assert await hold_of(engine, order_id) is None
    assert served[0].wakes == wakes


async def test_a_replayed_override_asks_for_the_stock_once(
    served: tuple[Served, grpc.aio.Channel], orders: Any, supervisor: Any, engine: AsyncEngine
) -> None:
    inventory = ShelfInventory()
    sku = RECALLED + new_id()[-8:]
    inventory.on_hand[sku] = 10
    order_id = await ingest_one(orders, sku, 4)
    assert (await order_of(orders, order_id)).status == pb.ORDER_STATUS_EXCEPTION
    wakes = served[0].wakes
    request_id = new_id()

    first = await move(supervisor, order_id, pb.ORDER_STATUS_UNDER_REVIEW, request_id)
    asked = await hold_of(engine, order_id)
    replayed = await move(supervisor, order_id, pb.ORDER_STATUS_UNDER_REVIEW, request_id)
    assert replayed == first
    assert await hold_of(engine, order_id) == asked
    assert served[0].wakes == wakes + 1

    assert await reconciler(served, inventory).run_once() == 1
    settled = await hold_of(engine, order_id)
    assert settled is not None and settled["applied"] == "HELD"
    # A replay after the stock was reserved neither asks again nor wakes the reconciler.
    assert await move(supervisor, order_id, pb.ORDER_STATUS_UNDER_REVIEW, request_id) == first
    assert await hold_of(engine, order_id) == settled
    assert await reconciler(served, inventory).run_once() == 0
    assert inventory.reserved == [order_id]
    assert inventory.on_hand[sku] == 6
    assert served[0].wakes == wakes + 1
    history = (await order_of(orders, order_id)).history
    assert [h.to_status for h in history].count(pb.ORDER_STATUS_UNDER_REVIEW) == 2

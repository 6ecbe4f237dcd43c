"""Auto-review, rule sets, allocation, shipments and SLA clocks of the orders service over real gRPC and
PostgreSQL, with a real inventory service in-process (routing reads its stock; confirmation confirms it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import grpc
import oms_client
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.inventory.bootstrap import Settings as InventorySettings
from services.inventory.bootstrap import build as build_inventory
from services.orders.adapters.allocation_guard import AdvisoryAllocationGuard
from services.orders.adapters.unit_of_work import OrdersUnitOfWork
from services.orders.application.sla import SlaContext, sweep
from services.orders.bootstrap import Settings, build
from shared.db import session_factory, utc_now
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import free_port
from tools.marketplace.payloads import Consignee, Line, OrderFactory, encode

pb = orders_pb2
ST = orders_pb2.OrderStatus
SH = orders_pb2.ShipmentStatus
ADMIN = (("x-oms-role", "admin"), ("x-oms-subject", "stock-keeper"))
OPS = (("x-oms-role", "operations"), ("x-oms-subject", "ops-lin"))
PACKER_JX = (("x-oms-role", "warehouse"), ("x-oms-subject", "wh-jx-li"))
PACKER_BJ = (("x-oms-role", "warehouse"), ("x-oms-subject", "wh-bj-zhao"))
JIANGSU = common_pb2.Address(
    recipient="王芳",
    phone="13900000000",
    country="CN",
    province="江苏省",
    city="苏州市",
    district="姑苏区",
    detail="人民路 8 号 2 幢",
)
BEIJING = common_pb2.Address(
    recipient="赵磊",
    phone="13700000000",
    country="CN",
    province="北京市",
    city="北京市",
    district="朝阳区",
    detail="建国路 1 号 5 层",
)


# --- the services -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def inventory(service_database: Any, redis_url: str, stream_prefix: str) -> AsyncIterator[tuple[str, Any]]:
    address = f"127.0.0.1:{free_port()}"
    settings = InventorySettings(
        service_name="inventory",
        database_url=await service_database("inventory"),
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        grpc_address=address,
    )
    async with running_service(settings, build_inventory) as channel:
        client = oms_client.ServiceClient.for_service(channel, "inventory", metadata=ADMIN, timeout=30)
        for code, provinces in (("JX", ["江苏省", "浙江省", "上海市"]), ("BJ", ["北京市"])):
            await client.UpsertWarehouse(
                inventory_pb2.UpsertWarehouseRequest(
                    request_id=new_id(), code=code, name=f"{code} 仓", provinces=provinces
                )
            )
        yield address, client


@pytest.fixture(scope="module")
async def orders_database(service_database: Any) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def channel(
    inventory: tuple[str, Any], orders_database: str, redis_url: str, stream_prefix: str
) -> AsyncIterator[grpc.aio.Channel]:
    settings = Settings(
        service_name="orders",
        database_url=orders_database,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        surge_floor_orders=1_000_000,
        # The SLA tests run the sweeper themselves (two at once); the background ones must stay out of the way.
        sla_sweep_interval_seconds=3600,
        health_interval_seconds=3600,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMS_INVENTORY_ADDRESS", inventory[0])
        async with running_service(settings, build) as channel:
            yield channel


@pytest.fixture(scope="module")
def orders(channel: grpc.aio.Channel) -> Any:
    """The service account: the saga and the order flow."""
    return oms_client.ServiceClient.for_service(channel, "orders", timeout=30)


@pytest.fixture(scope="module")
def ops(channel: grpc.aio.Channel) -> Any:
    return oms_client.ServiceClient.for_service(channel, "orders", metadata=OPS, timeout=30)


@pytest.fixture(scope="module")
def packers(channel: grpc.aio.Channel) -> tuple[Any, Any]:
    """Two warehouse users: Jiaxing's and Beijing's."""
    return tuple(  # type: ignore[return-value]
        oms_client.ServiceClient.for_service(channel, "orders", metadata=who, timeout=30)
        for who in (PACKER_JX, PACKER_BJ)
    )


@pytest.fixture(scope="module")
async def engine(orders_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(orders_database)
    yield engine
    await engine.dispose()


# --- helpers ----------------------------------------------------------------------------------------------


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


async def refused(call: Any) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as caught:
        await call
    return caught.value


async def scalar(engine: AsyncEngine, sql: str, **params: Any) -> Any:
    async with engine.connect() as connection:
        return await connection.scalar(text(sql), params)


async def execute(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(sql), params)


def sku(name: str) -> str:
    return f"{name}-{new_id()[-8:]}"


async def stock(inventory: Any, code: str, item: str, quantity: int) -> None:
    listed = await inventory.ListWarehouses(inventory_pb2.ListWarehousesRequest())
    (warehouse,) = [w for w in listed.warehouses if w.code == code]
    await inventory.ReceiveStock(
        inventory_pb2.ReceiveStockRequest(
            request_id=new_id(), warehouse_id=warehouse.warehouse_id, sku=item, quantity=quantity
        )
    )


async def create(
    orders: Any,
    *lines: tuple[str, int, int],
    address: common_pb2.Address = JIANGSU,
    customer_id: str | None = None,
    remark: str = "",
    order_type: int = pb.ORDER_TYPE_REGULAR,
) -> orders_pb2.Order:
    """An order of (sku, quantity, unit price in fen) lines whose amounts add up."""
    total = sum(quantity * price for _, quantity, price in lines)
    request = pb.CreateOrderRequest(
        request_id=new_id(),
        channel=pb.CHANNEL_OWN_SITE,
        channel_order_id=f"OS-{new_id()}",
        customer_id=customer_id or new_id(),
        order_type=order_type,
        lines=[pb.OrderLineInput(sku=s, quantity=q, unit_price=cny(p)) for s, q, p in lines],
        total=cny(total),
        shipping_address=address,
        buyer_remark=remark,
    )
    return (await orders.CreateOrder(request)).order


async def pay(orders: Any, order: orders_pb2.Order) -> orders_pb2.Order:
    request = pb.MarkOrderPaidRequest(
        request_id=new_id(), order_id=order.order_id, payment_id=f"pay-{new_id()}", paid_amount=order.total
    )
    return (await orders.MarkOrderPaid(request)).order


async def reserve(inventory: Any, order: orders_pb2.Order) -> inventory_pb2.Reservation:
    reply = await inventory.Reserve(
        inventory_pb2.ReserveRequest(
            request_id=new_id(),
            order_id=order.order_id,
            lines=[inventory_pb2.ReserveLine(sku=line.sku, quantity=line.quantity) for line in order.lines],
            shipping_province=order.shipping_address.province,
        )
    )
    return reply.reservation


async def approved(orders: Any, inventory: Any, *lines: tuple[str, int, int], **options: Any) -> orders_pb2.Order:
    """A small order with a clear address, its stock held, paid and auto-approved."""
    order = await create(orders, *lines, **options)
    await reserve(inventory, order)
    paid = await pay(orders, order)
    assert paid.status == ST.ORDER_STATUS_APPROVED, paid.hold_reason
    return paid


async def allocate(orders: Any, order: orders_pb2.Order) -> orders_pb2.AllocateOrderResponse:
    return await orders.AllocateOrder(pb.AllocateOrderRequest(request_id=new_id(), order_id=order.order_id))


async def claim(packer: Any, shipment_id: str) -> orders_pb2.Shipment:
    reply = await packer.ClaimShipment(pb.ClaimShipmentRequest(request_id=new_id(), shipment_id=shipment_id))
    return reply.shipment


async def confirm(packer: Any, shipment_id: str, tracking: str) -> orders_pb2.ConfirmShipmentResponse:
    return await packer.ConfirmShipment(
        pb.ConfirmShipmentRequest(request_id=new_id(), shipment_id=shipment_id, tracking_number=tracking)
    )


async def get(orders: Any, order_id: str) -> orders_pb2.Order:
    return (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order


async def reservation(inventory: Any, order_id: str) -> inventory_pb2.Reservation:
    (found,) = (await inventory.ListReservations(inventory_pb2.ListReservationsRequest(order_id=order_id))).reservations
    return found


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment)
    return value


def uow_factory(engine: AsyncEngine, stream_prefix: str) -> Any:
    sessions = session_factory(engine)
    return lambda: OrdersUnitOfWork(sessions, source="orders", stream=f"{stream_prefix}.orders")


# --- auto-review ------------------------------------------------------------------------------------------


async def test_a_payment_is_auto_reviewed_by_the_default_rules(orders: Any, engine: AsyncEngine) -> None:
    small = await pay(orders, await create(orders, ("SKU-CUP", 2, 2_000)))
    assert small.status == ST.ORDER_STATUS_APPROVED
    moves = [(c.from_status, c.to_status) for c in small.history][1:]
    assert moves == [
        (ST.ORDER_STATUS_PENDING_PAYMENT, ST.ORDER_STATUS_PAID),
        (ST.ORDER_STATUS_PAID, ST.ORDER_STATUS_UNDER_REVIEW),
        (ST.ORDER_STATUS_UNDER_REVIEW, ST.ORDER_STATUS_APPROVED),
    ]
    assert small.history[-1].actor.subject == "auto-review"

    big = await pay(orders, await create(orders, ("SKU-SOFA", 1, 600_000)))
    assert (big.status, big.resume_status) == (ST.ORDER_STATUS_ON_HOLD, ST.ORDER_STATUS_UNDER_REVIEW)
    assert big.hold_reason.startswith("REVIEW_HOLD:supervisor: amount-over-5000")

    fuzzy_address = common_pb2.Address(
        recipient="𠮷田", phone="13800000000", country="CN", province="浙江省", city="杭州市", detail="地址待定"
    )
    fuzzy = await pay(orders, await create(orders, ("SKU-CUP", 1, 2_000), address=fuzzy_address))
    assert fuzzy.hold_reason.startswith("REVIEW_HOLD:manual_address_check: fuzzy-address")

    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT order_id::text, rule_set_version, rule_id, outcome, queue, status FROM review_decisions"
                    " WHERE order_id::text = ANY(:ids)"
                ),
                {"ids": [small.order_id, big.order_id, fuzzy.order_id]},
            )
        ).all()
    assert sorted(tuple(r) for r in rows) == sorted(
        [
            (small.order_id, 1, "small-without-remark", "APPROVE", "", "APPROVED"),
            (big.order_id, 1, "amount-over-5000", "HOLD", "supervisor", "ON_HOLD"),
            (fuzzy.order_id, 1, "fuzzy-address", "HOLD", "manual_address_check", "ON_HOLD"),
        ]
    )
    reviewed = await scalar(
        engine,
        "SELECT count(*) FROM outbox WHERE aggregate_id = :id AND event_type = 'oms.orders.v1.OrderReviewed'",
        id=small.order_id,
    )
    assert reviewed == 1


async def test_a_supervisor_releases_a_held_review(orders: Any) -> None:
    held = await pay(orders, await create(orders, ("SKU-SOFA", 1, 600_000)))
    resumed = await orders.TransitionOrder(
        pb.TransitionOrderRequest(
            request_id=new_id(), order_id=held.order_id, target_status=ST.ORDER_STATUS_UNDER_REVIEW, reason="checked"
        )
    )
    assert resumed.order.status == ST.ORDER_STATUS_UNDER_REVIEW
    done = await orders.TransitionOrder(
        pb.TransitionOrderRequest(
            request_id=new_id(), order_id=held.order_id, target_status=ST.ORDER_STATUS_APPROVED, reason="ok"
        )
    )
    assert done.order.status == ST.ORDER_STATUS_APPROVED


async def test_a_channel_order_that_arrives_paid_is_reviewed_in_its_batch(orders: Any, engine: AsyncEngine) -> None:
    factory = OrderFactory(prefix="71")
    consignee = Consignee("钱多多", "13800000001", "江苏省", "南京市", "玄武区", "中山路 18 号 3 单元")
    plain = factory.make(lines=(Line("SKU-CUP", 1, 9_900),), consignee=consignee)
    urgent = factory.make(lines=(Line("SKU-CUP", 1, 9_900),), consignee=consignee, remark="请加急")
    reply = await orders.IngestChannelOrders(
        pb.IngestChannelOrdersRequest(
            request_id=new_id(), channel=pb.CHANNEL_TMALL, records=[encode("taobao", o) for o in (plain, urgent)]
        )
    )
    assert reply.created == 2, reply
    approved_order, held_order = [await get(orders, r.order_id) for r in reply.results]
    assert approved_order.status == ST.ORDER_STATUS_APPROVED
    assert (held_order.status, held_order.hold_reason) == (
        ST.ORDER_STATUS_ON_HOLD,
        "REVIEW_HOLD:supervisor: otherwise: no rule approved it",
    )
    decided = await scalar(
        engine,
        "SELECT count(*) FROM review_decisions WHERE order_id::text = ANY(:ids) AND rule_set_version = 1",
        ids=[approved_order.order_id, held_order.order_id],
    )
    assert decided == 2
    # A re-delivered record changes nothing and reviews nothing again.
    again = await orders.IngestChannelOrders(
        pb.IngestChannelOrdersRequest(request_id=new_id(), channel=pb.CHANNEL_TMALL, records=[encode("taobao", plain)])
    )
    assert again.unchanged == 1
    assert (
        await scalar(engine, "SELECT count(*) FROM review_decisions WHERE order_id = :id", id=approved_order.order_id)
        == 1
    )


async def test_review_rules_are_versioned_and_switched(ops: Any, orders: Any) -> None:
    current = await ops.GetReviewRules(pb.GetReviewRulesRequest())
    assert (current.rule_set.version, current.active_version) == (1, 1)
    assert current.rule_set.active and current.rule_set.activated_by.subject == "defaults"

    bad = await refused(
        ops.SetReviewRules(
            pb.SetReviewRulesRequest(
                request_id=new_id(),
                rules_json=json.dumps(
                    {
                        "rules": [{"id": "x", "when": {"total_blow": 1}, "then": "approve"}],
                        "otherwise": {"then": "approve"},
                    }
                ),
            )
        )
    )
    assert bad.code == grpc.StatusCode.INVALID_ARGUMENT
    assert bad.violations[0].field == "rules_json.rules[0].when.total_blow"

    everything = {
        "rules": [{"id": "reject-recalled", "when": {"skus": ["SKU-RECALLED"]}, "then": "reject", "reason": "召回"}],
        "otherwise": {"then": "approve"},
    }
    request = pb.SetReviewRulesRequest(request_id=new_id(), rules_json=json.dumps(everything), note="promo day")
    stored = (await ops.SetReviewRules(request)).rule_set
    assert (stored.version, stored.active, stored.created_by.subject) == (2, False, "ops-lin")
    assert (await ops.SetReviewRules(request)).rule_set == stored  # a replay
    still_default = await pay(orders, await create(orders, ("SKU-CUP", 1, 60_000)))
    assert still_default.status == ST.ORDER_STATUS_ON_HOLD

    missing = await refused(ops.ActivateReviewRules(pb.ActivateReviewRulesRequest(request_id=new_id(), version=99)))
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "RULE_SET_NOT_FOUND")
    try:
        switched = (
            await ops.ActivateReviewRules(pb.ActivateReviewRulesRequest(request_id=new_id(), version=2))
        ).rule_set
        assert switched.active and switched.activated_by.subject == "ops-lin"
        assert (await pay(orders, await create(orders, ("SKU-CUP", 1, 60_000)))).status == ST.ORDER_STATUS_APPROVED
        recalled = await pay(orders, await create(orders, ("SKU-RECALLED", 1, 100)))
        assert (recalled.status, recalled.hold_reason) == (
            ST.ORDER_STATUS_EXCEPTION,
            "REVIEW_REJECTED: reject-recalled: 召回",
        )
    finally:
        await ops.ActivateReviewRules(pb.ActivateReviewRulesRequest(request_id=new_id(), version=1))
    listed = await ops.GetReviewRules(pb.GetReviewRulesRequest(version=2))
    assert (listed.rule_set.active, listed.active_version, listed.latest_version) == (False, 1, 2)


async def test_a_dry_run_tells_what_rules_would_do_and_changes_nothing(
    ops: Any, orders: Any, engine: AsyncEngine
) -> None:
    start = utc_now()
    customer = new_id()
    for price in (2_000, 60_000, 700_000):
        await pay(orders, await create(orders, ("SKU-CUP", 1, price), customer_id=customer))
    await create(orders, ("SKU-CUP", 1, 2_000))  # never paid: not reviewed, not counted
    window = {"created_after": stamp(start), "created_before": stamp(utc_now() + timedelta(seconds=1))}
    decisions_before = await scalar(engine, "SELECT count(*) FROM review_decisions")

    as_recorded = await ops.DryRunReviewRules(pb.DryRunReviewRulesRequest(version=1, **window))
    tallies = {t.rule_id: (t.outcome, t.queue, t.orders) for t in as_recorded.tallies}
    assert as_recorded.orders_evaluated == 3 and not as_recorded.truncated
    assert tallies["small-without-remark"] == (pb.REVIEW_OUTCOME_APPROVE, "", 1)
    assert tallies["amount-over-5000"] == (pb.REVIEW_OUTCOME_HOLD, "supervisor", 1)
    assert tallies["otherwise"] == (pb.REVIEW_OUTCOME_HOLD, "supervisor", 1)
    assert tallies["custom-item"][2] == 0
    assert (as_recorded.approved, as_recorded.held, as_recorded.rejected) == (1, 2, 0)
    assert as_recorded.decided_differently == 0

    lenient = json.dumps({"rules": [], "otherwise": {"then": "approve"}})
    tried = await ops.DryRunReviewRules(pb.DryRunReviewRulesRequest(rules_json=lenient, **window))
    assert (tried.version, tried.approved, tried.decided_differently) == (0, 3, 2)
    assert await scalar(engine, "SELECT count(*) FROM review_decisions") == decisions_before

    backwards = await refused(
        ops.DryRunReviewRules(
            pb.DryRunReviewRulesRequest(
                version=1, created_after=window["created_before"], created_before=window["created_after"]
            )
        )
    )
    assert backwards.violations[0].field == "created_before"


# --- routing, splitting, merging ---------------------------------------------------------------------------


async def test_jiangsu_ships_whole_from_jiaxing(orders: Any, inventory: tuple[str, Any]) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 10)
    await stock(stock_keeper, "BJ", item, 10)
    order = await approved(orders, stock_keeper, (item, 2, 1_000))

    allocated = await allocate(orders, order)

    assert allocated.order.status == ST.ORDER_STATUS_ALLOCATED
    (shipment,) = allocated.shipments
    assert (shipment.warehouse_code, shipment.status, list(shipment.order_ids)) == (
        "JX",
        SH.SHIPMENT_STATUS_PENDING,
        [order.order_id],
    )
    assert [(line.sku, line.quantity) for line in shipment.lines] == [(item, 2)]
    again = await refused(allocate(orders, order))
    assert (again.code, again.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")


async def test_one_allocation_of_an_order_runs_at_a_time(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-KETTLE")
    await stock(stock_keeper, "JX", item, 5)
    order = await approved(orders, stock_keeper, (item, 1, 3_000))
    guard = AdvisoryAllocationGuard(engine)

    # Another allocation of this order (another process, say) is under way: this one steps back at once.
    async with guard(order.order_id) as alone:
        assert alone
        busy = await refused(allocate(orders, order))
        async with guard(new_id()) as other_order_alone:
            assert other_order_alone  # other orders are not held up
    assert (busy.code, busy.reason) == (grpc.StatusCode.ABORTED, "ALLOCATION_IN_PROGRESS")
    assert busy.metadata["order_id"] == order.order_id
    assert (await get(orders, order.order_id)).status == ST.ORDER_STATUS_APPROVED

    allocated = await allocate(orders, order)
    assert allocated.order.status == ST.ORDER_STATUS_ALLOCATED
    async with guard(order.order_id) as alone_after:
        assert alone_after  # the allocation let go of the order


async def test_without_a_hold_the_warehouse_with_most_stock_ships(orders: Any, inventory: tuple[str, Any]) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-RICE")
    await stock(stock_keeper, "JX", item, 5)
    await stock(stock_keeper, "BJ", item, 50)
    order = await pay(orders, await create(orders, (item, 3, 1_000), address=BEIJING))
    assert order.status == ST.ORDER_STATUS_APPROVED

    (shipment,) = (await allocate(orders, order)).shipments

    assert shipment.warehouse_code == "BJ"


async def test_an_order_no_warehouse_can_fill_alone_is_split(orders: Any, inventory: tuple[str, Any]) -> None:
    _, stock_keeper = inventory
    tea, rice = sku("SKU-TEA"), sku("SKU-RICE")
    await stock(stock_keeper, "JX", tea, 5)
    await stock(stock_keeper, "BJ", rice, 5)
    order = await approved(orders, stock_keeper, (tea, 1, 1_000), (rice, 2, 500))

    allocated = await allocate(orders, order)

    by_warehouse = {s.warehouse_code: [(line.line_no, line.sku) for line in s.lines] for s in allocated.shipments}
    assert by_warehouse == {"JX": [(1, tea)], "BJ": [(2, rice)]}
    listed = await orders.ListShipments(pb.ListShipmentsRequest(order_id=order.order_id))
    assert {s.shipment_id for s in listed.shipments} == {s.shipment_id for s in allocated.shipments}


async def test_a_line_no_warehouse_has_stock_for_keeps_the_order_approved(orders: Any) -> None:
    order = await pay(orders, await create(orders, (sku("SKU-NONE"), 1, 1_000)))
    refusal = await refused(allocate(orders, order))
    assert (refusal.code, refusal.reason, refusal.metadata["line_no"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "NO_WAREHOUSE_CAN_FILL",
        "1",
    )
    assert (await get(orders, order.order_id)).status == ST.ORDER_STATUS_APPROVED


async def test_orders_of_one_buyer_and_address_merge_into_one_shipment(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item, presale = sku("SKU-TEA"), f"PRE-{new_id()[-8:]}"
    await stock(stock_keeper, "JX", item, 20)
    await stock(stock_keeper, "JX", presale, 5)
    buyer = new_id()
    first = await approved(orders, stock_keeper, (item, 1, 1_000), customer_id=buyer)
    second = await approved(orders, stock_keeper, (item, 2, 1_000), customer_id=buyer)
    preorder = await approved(orders, stock_keeper, (presale, 1, 1_000), customer_id=buyer)
    stranger = await approved(orders, stock_keeper, (item, 1, 1_000))

    (a,) = (await allocate(orders, first)).shipments
    (b,) = (await allocate(orders, second)).shipments
    (c,) = (await allocate(orders, preorder)).shipments
    (d,) = (await allocate(orders, stranger)).shipments

    assert a.shipment_id == b.shipment_id
    assert sorted(b.order_ids) == sorted([first.order_id, second.order_id])
    assert len({b.shipment_id, c.shipment_id, d.shipment_id}) == 3

    packer, _ = packers
    await claim(packer, b.shipment_id)
    shipped = await confirm(packer, b.shipment_id, "SF1000000001")
    assert {o.order_id: o.status for o in shipped.orders} == {
        first.order_id: ST.ORDER_STATUS_SHIPPED,
        second.order_id: ST.ORDER_STATUS_SHIPPED,
    }
    for order in (first, second):
        assert (await reservation(stock_keeper, order.order_id)).status == inventory_pb2.RESERVATION_STATUS_CONFIRMED


async def test_a_cancelled_order_leaves_its_shipments(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 10)
    buyer = new_id()
    stays = await approved(orders, stock_keeper, (item, 1, 1_000), customer_id=buyer)
    leaves = await approved(orders, stock_keeper, (item, 1, 1_000), customer_id=buyer)
    await allocate(orders, stays)
    (merged,) = (await allocate(orders, leaves)).shipments
    alone = await approved(orders, stock_keeper, (item, 1, 1_000))
    (single,) = (await allocate(orders, alone)).shipments

    for order in (leaves, alone):
        await orders.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order.order_id, reason="buyer"))

    (kept,) = (await orders.ListShipments(pb.ListShipmentsRequest(order_id=stays.order_id))).shipments
    assert (kept.shipment_id, list(kept.order_ids), kept.status) == (
        merged.shipment_id,
        [stays.order_id],
        SH.SHIPMENT_STATUS_PENDING,
    )
    assert not (await orders.ListShipments(pb.ListShipmentsRequest(order_id=alone.order_id))).shipments
    status = await scalar(engine, "SELECT status FROM shipments WHERE shipment_id = :id", id=single.shipment_id)
    assert status == "CANCELLED"


async def warehouse_ids(inventory: Any) -> dict[str, str]:
    listed = await inventory.ListWarehouses(inventory_pb2.ListWarehousesRequest())
    return {w.code: w.warehouse_id for w in listed.warehouses}


async def held_elsewhere(
    orders: Any, inventory: Any, code: str, *lines: tuple[str, int, int], address: common_pb2.Address = JIANGSU
) -> orders_pb2.Order:
    """A paid, approved order whose stock inventory holds in warehouse ``code``, wherever routing would ship
    it from (as when a channel order reserved at ingest while that warehouse had the most stock)."""
    order = await create(orders, *lines, address=address)
    await inventory.Reserve(
        inventory_pb2.ReserveRequest(
            request_id=new_id(),
            order_id=order.order_id,
            lines=[inventory_pb2.ReserveLine(sku=line.sku, quantity=line.quantity) for line in order.lines],
            preferred_warehouse_id=(await warehouse_ids(inventory))[code],
        )
    )
    paid = await pay(orders, order)
    assert paid.status == ST.ORDER_STATUS_APPROVED, paid.hold_reason
    return paid


async def held_where(inventory: Any, order_id: str) -> dict[str, str]:
    """The warehouse code inventory holds each SKU of the order in."""
    codes = {warehouse_id: code for code, warehouse_id in (await warehouse_ids(inventory)).items()}
    return {line.sku: codes[line.warehouse_id] for line in (await reservation(inventory, order_id)).lines}


async def moved_units(inventory: Any, order_id: str) -> list[tuple[str, int, str]]:
    """(warehouse id, reserved delta, request id) of every ledger row that moved the order's hold."""
    found = await inventory.ListStockMovements(inventory_pb2.ListStockMovementsRequest(order_id=order_id))
    return sorted(
        (m.warehouse_id, m.reserved_delta, m.request_id)
        for m in found.movements
        if m.type == inventory_pb2.MOVEMENT_TYPE_RESERVATION_MOVE
    )


async def test_a_hold_the_region_rule_wants_elsewhere_moves_and_ships_from_there(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 10)
    await stock(stock_keeper, "BJ", item, 10)
    order = await held_elsewhere(orders, stock_keeper, "BJ", (item, 2, 1_000))
    ids = await warehouse_ids(stock_keeper)
    request = pb.AllocateOrderRequest(request_id=new_id(), order_id=order.order_id)

    allocated = await orders.AllocateOrder(request)
    again = await orders.AllocateOrder(request)

    (shipment,) = allocated.shipments
    assert (shipment.warehouse_code, [(line.sku, line.quantity) for line in shipment.lines]) == ("JX", [(item, 2)])
    assert again == allocated
    assert await held_where(stock_keeper, order.order_id) == {item: "JX"}
    # Moved once, under the allocation's request id and the SKU, however often the allocation is asked.
    move_id = f"{request.request_id}:move:{item}"
    assert await moved_units(stock_keeper, order.order_id) == sorted(
        [(ids["BJ"], -2, move_id), (ids["JX"], 2, move_id)]
    )
    levels = (await stock_keeper.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[item]))).items[0]
    assert {level.warehouse_id: level.reserved for level in levels.warehouses} == {ids["JX"]: 2, ids["BJ"]: 0}

    jx, _ = packers
    await claim(jx, shipment.shipment_id)
    await confirm(jx, shipment.shipment_id, "SF6000000006")
    levels = (await stock_keeper.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[item]))).items[0]
    assert {level.warehouse_id: (level.on_hand, level.reserved) for level in levels.warehouses} == {
        ids["JX"]: (8, 0),
        ids["BJ"]: (10, 0),
    }


async def test_a_hold_the_rules_warehouse_has_no_room_for_ships_from_where_it_is_held(
    orders: Any, inventory: tuple[str, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 1)
    await stock(stock_keeper, "BJ", item, 10)
    order = await held_elsewhere(orders, stock_keeper, "BJ", (item, 2, 1_000))

    (shipment,) = (await allocate(orders, order)).shipments

    assert shipment.warehouse_code == "BJ"
    assert await held_where(stock_keeper, order.order_id) == {item: "BJ"}
    assert await moved_units(stock_keeper, order.order_id) == []


async def test_the_stock_on_hand_fallback_leaves_a_hold_where_it_is(orders: Any, inventory: tuple[str, Any]) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-RICE")
    await stock(stock_keeper, "JX", item, 5)
    await stock(stock_keeper, "BJ", item, 50)
    # Beijing has no routing rule: the most stock (BJ) would win for a line without a hold, but this one stays.
    order = await held_elsewhere(orders, stock_keeper, "JX", (item, 3, 1_000), address=BEIJING)

    (shipment,) = (await allocate(orders, order)).shipments

    assert shipment.warehouse_code == "JX"
    assert await moved_units(stock_keeper, order.order_id) == []


async def test_held_lines_split_between_a_moved_hold_and_a_kept_one(orders: Any, inventory: tuple[str, Any]) -> None:
    _, stock_keeper = inventory
    tea, rice = sku("SKU-TEA"), sku("SKU-RICE")
    await stock(stock_keeper, "JX", tea, 5)
    await stock(stock_keeper, "BJ", tea, 5)
    await stock(stock_keeper, "BJ", rice, 5)
    order = await held_elsewhere(orders, stock_keeper, "BJ", (tea, 1, 1_000), (rice, 2, 500))

    allocated = await allocate(orders, order)

    by_warehouse = {s.warehouse_code: [(line.line_no, line.sku) for line in s.lines] for s in allocated.shipments}
    assert by_warehouse == {"JX": [(1, tea)], "BJ": [(2, rice)]}
    assert await held_where(stock_keeper, order.order_id) == {tea: "JX", rice: "BJ"}


# --- claims and confirmations -------------------------------------------------------------------------------


async def test_a_warehouse_claims_and_confirms_with_a_tracking_number(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 10)
    order = await approved(orders, stock_keeper, (item, 3, 1_000))
    (shipment,) = (await allocate(orders, order)).shipments
    jx, bj = packers

    claimed = await claim(jx, shipment.shipment_id)
    assert (claimed.status, claimed.claimed_by.subject) == (SH.SHIPMENT_STATUS_CLAIMED, "wh-jx-li")
    assert claimed.confirm_by.ToDatetime() - claimed.claimed_at.ToDatetime() == timedelta(hours=24)
    assert (await get(orders, order.order_id)).status == ST.ORDER_STATUS_PICKING
    assert await claim(jx, shipment.shipment_id) == claimed  # the same subject again: unchanged

    taken = await refused(claim(bj, shipment.shipment_id))
    assert (taken.code, taken.reason, taken.metadata["claimed_by"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "ALREADY_CLAIMED",
        "wh-jx-li",
    )
    assert (await refused(confirm(bj, shipment.shipment_id, "SF1"))).reason == "ALREADY_CLAIMED"
    empty = await refused(confirm(jx, shipment.shipment_id, ""))
    assert (empty.code, empty.violations[0].field) == (grpc.StatusCode.INVALID_ARGUMENT, "tracking_number")
    assert (await reservation(stock_keeper, order.order_id)).status == inventory_pb2.RESERVATION_STATUS_HELD

    done = await confirm(jx, shipment.shipment_id, "SF2000000002")

    assert (done.shipment.status, done.shipment.tracking_number) == (SH.SHIPMENT_STATUS_SHIPPED, "SF2000000002")
    (shipped,) = done.orders
    assert (shipped.status, shipped.tracking_number) == (ST.ORDER_STATUS_SHIPPED, "SF2000000002")
    assert (await reservation(stock_keeper, order.order_id)).status == inventory_pb2.RESERVATION_STATUS_CONFIRMED
    level = (await stock_keeper.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[item]))).items[0]
    assert (level.on_hand, level.reserved) == (7, 0)
    assert (await confirm(jx, shipment.shipment_id, "SF2000000002")).shipment == done.shipment
    other = await refused(confirm(jx, shipment.shipment_id, "YT3"))
    assert other.reason == "INVALID_TRANSITION"


async def test_a_rush_order_gets_four_hours_and_jumps_the_queue(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "BJ", item, 10)
    regular = await approved(orders, stock_keeper, (item, 1, 1_000), address=BEIJING)
    rush = await approved(orders, stock_keeper, (item, 1, 1_000), address=BEIJING, order_type=pb.ORDER_TYPE_RUSH)
    (first,) = (await allocate(orders, regular)).shipments
    (second,) = (await allocate(orders, rush)).shipments
    assert second.rush and not first.rush

    queue = await orders.ListShipments(
        pb.ListShipmentsRequest(
            warehouse_code="BJ", statuses=[SH.SHIPMENT_STATUS_PENDING], page=common_pb2.PageRequest(page_size=1)
        )
    )
    assert queue.shipments[0].rush and queue.page.next_page_token
    rest, token = [], queue.page.next_page_token
    while token:
        page = await orders.ListShipments(
            pb.ListShipmentsRequest(
                warehouse_code="BJ",
                statuses=[SH.SHIPMENT_STATUS_PENDING],
                page=common_pb2.PageRequest(page_size=1, page_token=token),
            )
        )
        rest.extend(page.shipments)
        token = page.page.next_page_token
    ids = [s.shipment_id for s in (*queue.shipments, *rest)]
    assert ids.index(second.shipment_id) < ids.index(first.shipment_id)

    _, packer = packers
    claimed = await claim(packer, second.shipment_id)
    assert claimed.confirm_by.ToDatetime() - claimed.claimed_at.ToDatetime() == timedelta(hours=4)


async def test_a_split_order_ships_when_its_last_shipment_does(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    tea, rice = sku("SKU-TEA"), sku("SKU-RICE")
    await stock(stock_keeper, "JX", tea, 5)
    await stock(stock_keeper, "BJ", rice, 5)
    order = await approved(orders, stock_keeper, (tea, 1, 1_000), (rice, 1, 500))
    shipments = {s.warehouse_code: s for s in (await allocate(orders, order)).shipments}
    jx, bj = packers
    await claim(jx, shipments["JX"].shipment_id)
    await claim(bj, shipments["BJ"].shipment_id)

    # Both parcels scanned at once: the order ships exactly once, with stock confirmed once.
    first, second = await asyncio.gather(
        confirm(jx, shipments["JX"].shipment_id, "SF3000000003"),
        confirm(bj, shipments["BJ"].shipment_id, "JD3000000003"),
    )

    statuses = sorted(o.status for reply in (first, second) for o in reply.orders)
    assert statuses == sorted([ST.ORDER_STATUS_PICKING, ST.ORDER_STATUS_SHIPPED])
    final = await get(orders, order.order_id)
    assert final.status == ST.ORDER_STATUS_SHIPPED
    assert [c.to_status for c in final.history].count(ST.ORDER_STATUS_SHIPPED) == 1
    assert (await reservation(stock_keeper, order.order_id)).status == inventory_pb2.RESERVATION_STATUS_CONFIRMED


async def test_two_warehouses_racing_for_one_shipment_have_one_winner(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 5)
    (shipment,) = (await allocate(orders, await approved(orders, stock_keeper, (item, 1, 1_000)))).shipments

    outcomes = await asyncio.gather(*(claim(p, shipment.shipment_id) for p in packers), return_exceptions=True)

    won = [o for o in outcomes if isinstance(o, orders_pb2.Shipment)]
    lost = [o for o in outcomes if isinstance(o, oms_client.OmsRpcError)]
    assert len(won) == 1 and [e.reason for e in lost] == ["ALREADY_CLAIMED"]


async def test_a_held_order_blocks_its_shipment_and_stock_must_be_confirmable(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 5)
    order = await approved(orders, stock_keeper, (item, 1, 1_000))
    (shipment,) = (await allocate(orders, order)).shipments
    await orders.TransitionOrder(
        pb.TransitionOrderRequest(
            request_id=new_id(), order_id=order.order_id, target_status=ST.ORDER_STATUS_ON_HOLD, reason="buyer called"
        )
    )
    jx, _ = packers
    blocked = await refused(claim(jx, shipment.shipment_id))
    assert (blocked.reason, blocked.metadata["status"]) == ("ORDER_NOT_SHIPPABLE", "ON_HOLD")
    await orders.TransitionOrder(
        pb.TransitionOrderRequest(
            request_id=new_id(), order_id=order.order_id, target_status=ST.ORDER_STATUS_ALLOCATED, reason="resolved"
        )
    )
    await claim(jx, shipment.shipment_id)
    # The hold lapses in inventory (released by hand): confirming would ship stock inventory no longer holds.
    await stock_keeper.Release(inventory_pb2.ReleaseRequest(request_id=new_id(), order_id=order.order_id))
    refusal = await refused(confirm(jx, shipment.shipment_id, "SF4000000004"))
    assert (refusal.reason, refusal.metadata["order_id"]) == ("STOCK_NOT_CONFIRMED", order.order_id)
    assert (await get(orders, order.order_id)).status == ST.ORDER_STATUS_PICKING


async def test_a_parcel_with_a_lapsed_hold_confirms_no_stock_at_all(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any]
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 5)
    buyer = new_id()
    kept, lapsed = [await approved(orders, stock_keeper, (item, 1, 1_000), customer_id=buyer) for _ in range(2)]
    await allocate(orders, kept)
    (parcel,) = (await allocate(orders, lapsed)).shipments
    jx, _ = packers
    await claim(jx, parcel.shipment_id)
    await stock_keeper.Release(inventory_pb2.ReleaseRequest(request_id=new_id(), order_id=lapsed.order_id))

    refusal = await refused(confirm(jx, parcel.shipment_id, "SF5000000005"))

    assert (refusal.reason, refusal.metadata["order_id"]) == ("STOCK_NOT_CONFIRMED", lapsed.order_id)
    assert (await reservation(stock_keeper, kept.order_id)).status == inventory_pb2.RESERVATION_STATUS_HELD
    assert {(await get(orders, o.order_id)).status for o in (kept, lapsed)} == {ST.ORDER_STATUS_PICKING}


# --- SLA clocks ---------------------------------------------------------------------------------------------


async def test_an_untouched_order_turns_red_once_whatever_the_replicas(
    orders: Any, engine: AsyncEngine, stream_prefix: str
) -> None:
    order = await pay(orders, await create(orders, ("SKU-CUP", 1, 2_000)))
    assert order.status == ST.ORDER_STATUS_APPROVED
    clock = await orders.GetOrderSla(pb.GetOrderSlaRequest(order_id=order.order_id))
    assert (clock.step, clock.step_standard_seconds, clock.overdue) == ("allocation", 3600, False)

    await execute(
        engine, "UPDATE orders SET updated_at = now() - interval '31 minutes' WHERE order_id = :id", id=order.order_id
    )
    uow = uow_factory(engine, stream_prefix)
    first, second = await asyncio.gather(sweep(uow, SlaContext(clock=utc_now)), sweep(uow, SlaContext(clock=utc_now)))

    assert [*first.orders_overdue, *second.orders_overdue].count(order.order_id) == 1
    overdue_events = (
        "SELECT count(*) FROM outbox WHERE aggregate_id = :id AND event_type = 'oms.orders.v1.OrderOverdue'"
    )
    assert await scalar(engine, overdue_events, id=order.order_id) == 1
    assert (await orders.GetOrderSla(pb.GetOrderSlaRequest(order_id=order.order_id))).overdue
    assert first.waiting.over_sla >= 1
    assert order.order_id not in (await sweep(uow, SlaContext(clock=utc_now))).orders_overdue

    # Touched, then left alone again: a new stretch, a new alert.
    await orders.TransitionOrder(
        pb.TransitionOrderRequest(
            request_id=new_id(), order_id=order.order_id, target_status=ST.ORDER_STATUS_ON_HOLD, reason="waiting"
        )
    )
    assert not (await orders.GetOrderSla(pb.GetOrderSlaRequest(order_id=order.order_id))).overdue
    await execute(
        engine,
        "UPDATE orders SET updated_at = (SELECT untouched_since FROM order_overdue_alerts WHERE order_id = :id)"
        " + interval '1 minute' WHERE order_id = :id",
        id=order.order_id,
    )
    assert order.order_id in (await sweep(uow, SlaContext(clock=utc_now))).orders_overdue
    assert await scalar(engine, overdue_events, id=order.order_id) == 2


async def test_a_shipment_not_confirmed_by_its_deadline_is_overdue_once(
    orders: Any, inventory: tuple[str, Any], packers: tuple[Any, Any], engine: AsyncEngine, stream_prefix: str
) -> None:
    _, stock_keeper = inventory
    item = sku("SKU-TEA")
    await stock(stock_keeper, "JX", item, 5)
    (shipment,) = (await allocate(orders, await approved(orders, stock_keeper, (item, 1, 1_000)))).shipments
    jx, _ = packers
    await claim(jx, shipment.shipment_id)
    await execute(
        engine,
        "UPDATE shipments SET confirm_by = now() - interval '1 minute' WHERE shipment_id = :id",
        id=shipment.shipment_id,
    )
    uow = uow_factory(engine, stream_prefix)

    first, second = await asyncio.gather(sweep(uow, SlaContext(clock=utc_now)), sweep(uow, SlaContext(clock=utc_now)))

    assert [*first.shipments_overdue, *second.shipments_overdue].count(shipment.shipment_id) == 1
    events = "SELECT count(*) FROM outbox WHERE aggregate_id = :id AND event_type = 'oms.orders.v1.ShipmentOverdue'"
    assert await scalar(engine, events, id=shipment.shipment_id) == 1
    (listed,) = (await orders.ListShipments(pb.ListShipmentsRequest(order_id=shipment.order_ids[0]))).shipments
    assert listed.HasField("overdue_at")


async def move(orders: Any, order_id: str, target: int) -> None:
    await orders.TransitionOrder(
        pb.TransitionOrderRequest(request_id=new_id(), order_id=order_id, target_status=target, reason="step")
    )


async def test_the_health_index_measures_step_times_and_exceptions(orders: Any, engine: AsyncEngine) -> None:
    # Five orders paid and auto-approved at minute 10, in a window of their own (60 days ago), their histories
    # set to known times (minutes after creation, one per history entry).
    base = utc_now().replace(microsecond=0) - timedelta(days=60)
    made = [await pay(orders, await create(orders, ("SKU-CUP", 1, 2_000))) for _ in range(5)]
    late, on_time, closed, closed_late, still_open = (o.order_id for o in made)
    await move(orders, late, ST.ORDER_STATUS_ALLOCATED)  # allocation took 2 h (standard 1 h)
    await move(orders, on_time, ST.ORDER_STATUS_ALLOCATED)  # 30 min
    for order_id in (closed, closed_late, still_open):
        await move(orders, order_id, ST.ORDER_STATUS_EXCEPTION)
    for order_id in (closed, closed_late):
        await move(orders, order_id, ST.ORDER_STATUS_APPROVED)
    minutes = {
        late: [0, 10, 10, 10, 130],
        on_time: [0, 10, 10, 10, 40],
        closed: [0, 10, 10, 10, 70, 130],
        closed_late: [0, 10, 10, 10, 70, 70 + 25 * 60],
        still_open: [0, 10, 10, 10, 70],
    }
    for order_id, offsets in minutes.items():
        await execute(engine, "UPDATE orders SET created_at = :at WHERE order_id = :id", at=base, id=order_id)
        for seq, offset in enumerate(offsets, start=1):
            await execute(
                engine,
                "UPDATE order_status_history SET changed_at = :at WHERE order_id = :id AND seq = :seq",
                at=base + timedelta(minutes=offset),
                id=order_id,
                seq=seq,
            )

    report = await orders.GetOrderHealth(
        pb.GetOrderHealthRequest(created_after=stamp(base), created_before=stamp(base + timedelta(seconds=1)))
    )

    steps = {(s.step, s.rush): s for s in report.steps}
    assert set(steps) == {("review", False), ("allocation", False)}
    review = steps[("review", False)]
    assert (review.orders, review.median_seconds, review.over_standard, review.deviation) == (5, 0.0, 0, 0.0)
    # Only the allocations that ended count: 2 h and 30 min (an order still APPROVED or in EXCEPTION has not).
    allocation = steps[("allocation", False)]
    assert (allocation.orders, allocation.median_seconds, allocation.mean_seconds) == (2, 4500.0, 4500.0)
    assert (allocation.standard_seconds, allocation.over_standard, allocation.deviation) == (3600, 1, 0.5)
    assert report.step_time_deviation == pytest.approx(0.25)
    # Exceptions opened over 24 h ago: one closed within 24 h, one closed after 25 h, one still open.
    assert (report.exceptions_due, report.exceptions_closed_in_time) == (3, 1)
    assert report.exceptions_closed_24h == pytest.approx(1 / 3)
    assert dict(report.within_targets) == {"step_time_deviation": False, "exceptions_closed_24h": False}

    wrong = await refused(
        orders.GetOrderHealth(pb.GetOrderHealthRequest(created_after=stamp(base), created_before=stamp(base)))
    )
    assert wrong.violations[0].field == "created_before"

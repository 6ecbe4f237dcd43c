"""A paid channel order that auto-review holds for a person still reserves its stock at once (one pool across
channels); a refusal leaves it held but flagged OUT_OF_STOCK, and a cancellation gives the stock back. Real
inventory and orders services run in-process, with the default review rules active."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import oms_client
import pytest
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.inventory.bootstrap import Settings as InventorySettings
from services.inventory.bootstrap import build as build_inventory
from services.orders.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually, free_port
from tools.marketplace.payloads import Line, OrderFactory, encode

pb = orders_pb2
ADMIN = (("x-oms-role", "admin"), ("x-oms-subject", "held-stock-keeper"))
OPS = (("x-oms-role", "operations"), ("x-oms-subject", "ops-held-stock"))
# Over the default rules' 5000 CNY: held for the supervisor queue.
BIG_UNIT_FEN = 600_000


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
        yield address, oms_client.ServiceClient.for_service(channel, "inventory", metadata=ADMIN, timeout=30)


@pytest.fixture(scope="module")
async def orders_database(service_database: Any) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def orders_channel(
    inventory: tuple[str, Any], orders_database: str, redis_url: str, stream_prefix: str
) -> AsyncIterator[grpc.aio.Channel]:
    settings = Settings(
        service_name="orders",
        database_url=orders_database,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        stock_sync_interval_seconds=0.05,
        surge_floor_orders=1_000_000,
        auto_review=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMS_INVENTORY_ADDRESS", inventory[0])
        async with running_service(settings, build) as channel:
            yield channel


@pytest.fixture(scope="module")
def orders(orders_channel: grpc.aio.Channel) -> Any:
    return oms_client.ServiceClient.for_service(orders_channel, "orders", timeout=30)


@pytest.fixture(scope="module")
def ops(orders_channel: grpc.aio.Channel) -> Any:
    return oms_client.ServiceClient.for_service(orders_channel, "orders", metadata=OPS, timeout=30)


@pytest.fixture(scope="module")
async def engine(orders_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(orders_database)
    yield engine
    await engine.dispose()


async def receive(inventory: Any, sku: str, quantity: int) -> None:
    code = "WH-" + new_id()[-12:]
    warehouse = await inventory.UpsertWarehouse(
        inventory_pb2.UpsertWarehouseRequest(request_id=new_id(), code=code, name=f"仓 𠮷 {code}")
    )
    await inventory.ReceiveStock(
        inventory_pb2.ReceiveStockRequest(
            request_id=new_id(), warehouse_id=warehouse.warehouse.warehouse_id, sku=sku, quantity=quantity
        )
    )


async def available(inventory: Any, sku: str) -> inventory_pb2.SkuAvailability:
    return (await inventory.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[sku]))).items[0]


async def ingest(orders: Any, prefix: str, *lines: tuple[str, int]) -> list[str]:
    """One paid Tmall order per (sku, quantity), in one batch; their order ids."""
    factory = OrderFactory(prefix=prefix)
    market_orders = [factory.make(lines=(Line(sku, quantity, BIG_UNIT_FEN),)) for sku, quantity in lines]
    reply = await orders.IngestChannelOrders(
        pb.IngestChannelOrdersRequest(
            request_id=new_id(), channel=pb.CHANNEL_TMALL, records=[encode("taobao", o) for o in market_orders]
        )
    )
    assert reply.failed == 0, reply
    return [r.order_id for r in reply.results]


async def ingest_one(orders: Any, prefix: str, sku: str, quantity: int) -> str:
    (order_id,) = await ingest(orders, prefix, (sku, quantity))
    return order_id


async def applied(engine: AsyncEngine, order_id: str, *wanted: str) -> str:
    """The order's stock hold once the reconciler has brought it to one of ``wanted``."""

    async def settled() -> str | None:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text("SELECT applied FROM stock_holds WHERE order_id::text = :id"), {"id": order_id}
            )
        return found if found in wanted else None

    return await eventually(settled, timeout=30, message=f"stock hold of {order_id} in {wanted}")


async def test_a_paid_channel_order_held_for_review_holds_its_stock_until_cancelled(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    sku = "SKU-PIANO-" + new_id()[-8:]
    await receive(stock_keeper, sku, 5)
    order_id = await ingest_one(orders, "81", sku, 2)
    order = (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order
    assert order.status == pb.ORDER_STATUS_ON_HOLD
    assert order.resume_status == pb.ORDER_STATUS_UNDER_REVIEW
    assert await applied(engine, order_id, "HELD", "REFUSED") == "HELD"
    level = await available(stock_keeper, sku)
    assert (level.on_hand, level.reserved, level.available) == (5, 2, 3)
    reservations = await stock_keeper.ListReservations(inventory_pb2.ListReservationsRequest(order_id=order_id))
    assert [r.status for r in reservations.reservations] == [inventory_pb2.RESERVATION_STATUS_HELD]
    # Still waiting for the supervisor: the order is untouched by holding its stock.
    order = (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order
    assert order.status == pb.ORDER_STATUS_ON_HOLD
    assert order.hold_reason.startswith("REVIEW_HOLD:supervisor")

    await orders.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order_id, reason="买家取消 𠮷"))
    assert await applied(engine, order_id, "RELEASED") == "RELEASED"
    assert (await available(stock_keeper, sku)).available == 5


async def test_a_held_order_refused_its_stock_stays_held_and_is_flagged_out_of_stock(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    sku = "SKU-HARP-" + new_id()[-8:]
    await receive(stock_keeper, sku, 1)
    order_id = await ingest_one(orders, "82", sku, 3)
    assert await applied(engine, order_id, "HELD", "REFUSED") == "REFUSED"
    order = (await orders.GetOrder(pb.GetOrderRequest(order_id=order_id))).order
    assert order.status == pb.ORDER_STATUS_ON_HOLD
    assert order.resume_status == pb.ORDER_STATUS_UNDER_REVIEW
    assert order.hold_reason.startswith("OUT_OF_STOCK")
    assert "REVIEW_HOLD:supervisor" in order.hold_reason
    level = await available(stock_keeper, sku)
    assert (level.reserved, level.available) == (0, 1)


async def test_an_order_the_review_rejects_asks_for_no_stock_while_a_held_one_in_its_batch_does(
    orders: Any, ops: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    recalled, fine = "SKU-RECALLED-" + new_id()[-8:], "SKU-DRUM-" + new_id()[-8:]
    await receive(stock_keeper, recalled, 5)
    await receive(stock_keeper, fine, 5)
    rules = {
        "rules": [{"id": "reject-recalled", "when": {"skus": [recalled]}, "then": "reject", "reason": "召回 𠮷"}],
        "otherwise": {"then": "hold", "queue": "supervisor", "reason": "no rule approved it"},
    }
    stored = await ops.SetReviewRules(pb.SetReviewRulesRequest(request_id=new_id(), rules_json=json.dumps(rules)))
    await ops.ActivateReviewRules(pb.ActivateReviewRulesRequest(request_id=new_id(), version=stored.rule_set.version))
    rejected_id, held_id = await ingest(orders, "83", (recalled, 2), (fine, 2))
    rejected = (await orders.GetOrder(pb.GetOrderRequest(order_id=rejected_id))).order
    assert rejected.status == pb.ORDER_STATUS_EXCEPTION
    assert rejected.hold_reason.startswith("REVIEW_REJECT")
    # Stock holds are written in the ingest's own transaction: the rejected order has none, now or later.
    async with engine.connect() as connection:
        rows = await connection.scalar(
            text("SELECT count(*) FROM stock_holds WHERE order_id::text = :id"), {"id": rejected_id}
        )
    assert rows == 0
    assert await applied(engine, held_id, "HELD", "REFUSED") == "HELD"
    assert (await available(stock_keeper, fine)).available == 3
    assert (await available(stock_keeper, recalled)).available == 5

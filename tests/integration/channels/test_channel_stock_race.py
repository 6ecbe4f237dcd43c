"""Channel orders hold stock through inventory's Reserve, the same path as own-site orders: two channels
racing for the last units sell exactly the stock, and a buyer's cancellation gives its units back.
Real inventory and orders services run in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

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
from tools.marketplace.payloads import Line, MarketOrder, OrderFactory, encode

pb = orders_pb2
ADMIN = (("x-oms-role", "admin"), ("x-oms-subject", "stock-keeper"))


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
async def orders(
    inventory: tuple[str, Any], orders_database: str, redis_url: str, stream_prefix: str
) -> AsyncIterator[Any]:
    settings = Settings(
        service_name="orders",
        database_url=orders_database,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        stock_sync_interval_seconds=0.05,
        surge_floor_orders=1_000_000,
        auto_review=False,  # the race is about stock; review has its own tests
    )
    with pytest.MonkeyPatch.context() as patch:
        # The orders service finds inventory the way it does in production: settings.peer_address("inventory").
        patch.setenv("OMS_INVENTORY_ADDRESS", inventory[0])
        async with running_service(settings, build) as channel:
            yield oms_client.ServiceClient.for_service(channel, "orders", timeout=30)


@pytest.fixture(scope="module")
async def engine(orders_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(orders_database)
    yield engine
    await engine.dispose()


async def stock(inventory: Any, sku: str, quantity: int) -> None:
    code = "WH-" + new_id()[-12:]
    warehouse = await inventory.UpsertWarehouse(
        inventory_pb2.UpsertWarehouseRequest(request_id=new_id(), code=code, name=f"仓 {code}")
    )
    await inventory.ReceiveStock(
        inventory_pb2.ReceiveStockRequest(
            request_id=new_id(), warehouse_id=warehouse.warehouse.warehouse_id, sku=sku, quantity=quantity
        )
    )


async def availability(inventory: Any, sku: str) -> inventory_pb2.SkuAvailability:
    return (await inventory.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[sku]))).items[0]


async def ingest(orders: Any, channel: int, platform: str, *market_orders: MarketOrder) -> list[str]:
    reply = await orders.IngestChannelOrders(
        pb.IngestChannelOrdersRequest(
            request_id=new_id(), channel=channel, records=[encode(platform, o) for o in market_orders]
        )
    )
    assert reply.failed == 0, reply
    return [r.order_id for r in reply.results]


async def holds(engine: AsyncEngine, order_ids: list[str]) -> dict[str, str]:
    """Where each order's stock stands (HELD, REFUSED, RELEASED), once the reconciler has been at it."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT order_id::text, applied FROM stock_holds WHERE order_id::text = ANY(:ids)"), {"ids": order_ids}
        )
        return {row[0]: row[1] for row in rows}


async def settled(engine: AsyncEngine, order_ids: list[str]) -> dict[str, str]:
    async def done() -> dict[str, str] | None:
        found = await holds(engine, order_ids)
        return found if len(found) == len(order_ids) and "NONE" not in found.values() else None

    return await eventually(done, timeout=30, message="every channel order's stock settled")


async def test_tmall_and_douyin_racing_for_200_units_sell_exactly_200(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    sku = "SKU-SOFA-" + new_id()[-8:]
    await stock(stock_keeper, sku, 200)
    tmall = OrderFactory(prefix="91").make(lines=(Line(sku, 100, 120_000),))
    douyin = OrderFactory(prefix="92").make(lines=(Line(sku, 180, 99_900),))
    (tmall_id,), (douyin_id,) = await asyncio.gather(
        ingest(orders, pb.CHANNEL_TMALL, "taobao", tmall), ingest(orders, pb.CHANNEL_DOUYIN, "douyin", douyin)
    )
    outcome = await settled(engine, [tmall_id, douyin_id])
    assert sorted(outcome.values()) == ["HELD", "REFUSED"]
    winner = tmall_id if outcome[tmall_id] == "HELD" else douyin_id
    loser = douyin_id if winner == tmall_id else tmall_id
    level = await availability(stock_keeper, sku)
    assert level.on_hand == 200
    assert level.reserved == (100 if winner == tmall_id else 180)
    refused = (await orders.GetOrder(pb.GetOrderRequest(order_id=loser))).order
    assert refused.status == pb.ORDER_STATUS_EXCEPTION
    assert refused.resume_status == pb.ORDER_STATUS_PAID
    assert refused.hold_reason.startswith("OUT_OF_STOCK")
    held = (await orders.GetOrder(pb.GetOrderRequest(order_id=winner))).order
    assert held.status == pb.ORDER_STATUS_PAID
    reservations = await stock_keeper.ListReservations(inventory_pb2.ListReservationsRequest(order_id=winner))
    assert [r.status for r in reservations.reservations] == [inventory_pb2.RESERVATION_STATUS_HELD]


async def test_many_orders_from_two_channels_never_oversell_and_a_cancellation_gives_back(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    sku = "SKU-LAMP-" + new_id()[-8:]
    await stock(stock_keeper, sku, 200)
    tmall_factory, jd_factory = OrderFactory(prefix="93"), OrderFactory(prefix="94")
    tmall = [tmall_factory.make(lines=(Line(sku, 10, 19_900),)) for _ in range(30)]
    jd = [jd_factory.make(lines=(Line(sku, 10, 19_900),)) for _ in range(30)]
    batches = [ingest(orders, pb.CHANNEL_TMALL, "taobao", *tmall[i : i + 5]) for i in range(0, 30, 5)]
    batches += [ingest(orders, pb.CHANNEL_JD, "jd", *jd[i : i + 5]) for i in range(0, 30, 5)]
    order_ids = [order_id for batch in await asyncio.gather(*batches) for order_id in batch]
    outcome = await settled(engine, order_ids)
    assert list(outcome.values()).count("HELD") == 20
    assert list(outcome.values()).count("REFUSED") == 40
    level = await availability(stock_keeper, sku)
    assert (level.on_hand, level.reserved, level.available) == (200, 200, 0)
    # A buyer of a held order cancels on Tmall: the hold is released and its 10 units are free again.
    held_tmall = next(o for o, order_id in zip(tmall, order_ids[:30], strict=True) if outcome[order_id] == "HELD")
    cancelled = held_tmall.changed(held_tmall.modified_at + timedelta(minutes=5), status="CANCELLED")
    (cancelled_id,) = await ingest(orders, pb.CHANNEL_TMALL, "taobao", cancelled)

    async def released() -> bool:
        return (await holds(engine, [cancelled_id]))[cancelled_id] == "RELEASED"

    await eventually(released, timeout=30, message="the cancelled order's stock released")
    level = await availability(stock_keeper, sku)
    assert (level.reserved, level.available) == (190, 10)
    order = (await orders.GetOrder(pb.GetOrderRequest(order_id=cancelled_id))).order
    assert order.status == pb.ORDER_STATUS_CANCELLED


async def test_an_operator_cancelling_a_channel_order_gives_its_stock_back(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    sku = "SKU-MUG-" + new_id()[-8:]
    await stock(stock_keeper, sku, 5)
    (order_id,) = await ingest(
        orders, pb.CHANNEL_PINDUODUO, "pinduoduo", OrderFactory(prefix="95").make(lines=(Line(sku, 3, 2_990),))
    )
    assert (await settled(engine, [order_id]))[order_id] == "HELD"
    assert (await availability(stock_keeper, sku)).available == 2
    await orders.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order_id, reason="buyer called"))

    async def given_back() -> bool:
        return (await holds(engine, [order_id]))[order_id] == "RELEASED"

    await eventually(given_back, timeout=30, message="the cancelled order's stock hold released")
    assert (await availability(stock_keeper, sku)).available == 5


async def test_one_batch_of_orders_is_held_together_past_an_order_refused_in_its_middle(
    orders: Any, inventory: tuple[str, Any], engine: AsyncEngine
) -> None:
    _, stock_keeper = inventory
    sku, missing = "SKU-CUP-" + new_id()[-8:], "SKU-GONE-" + new_id()[-8:]
    await stock(stock_keeper, sku, 50)
    factory = OrderFactory(prefix="97")
    batch = [factory.make(lines=(Line(sku, 2, 1_990),)) for _ in range(4)]
    batch.insert(2, factory.make(lines=(Line(missing, 1, 1_990),)))
    order_ids = await ingest(orders, pb.CHANNEL_TMALL, "taobao", *batch)
    outcome = await settled(engine, order_ids)
    assert [outcome[order_id] for order_id in order_ids] == ["HELD", "HELD", "REFUSED", "HELD", "HELD"]
    assert (await availability(stock_keeper, sku)).reserved == 8
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT order_id::text, reservation_id, last_error FROM stock_holds WHERE order_id::text = ANY(:ids)"),
            {"ids": order_ids},
        )
        recorded = {row[0]: (row[1], row[2]) for row in rows}
    for order_id in order_ids[:2] + order_ids[3:]:
        reservations = await stock_keeper.ListReservations(inventory_pb2.ListReservationsRequest(order_id=order_id))
        assert recorded[order_id] == (reservations.reservations[0].reservation_id, "")
    assert "SKU_NOT_FOUND" in recorded[order_ids[2]][1]
    refused = (await orders.GetOrder(pb.GetOrderRequest(order_id=order_ids[2]))).order
    assert refused.status == pb.ORDER_STATUS_EXCEPTION

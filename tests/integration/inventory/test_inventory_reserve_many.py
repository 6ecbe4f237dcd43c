"""ReserveMany over real gRPC, PostgreSQL and Redis: per-order outcomes as Reserve would give them, stock
conserved, never oversold when racing single Reserves, idempotent on request_id and per order."""

from __future__ import annotations

import asyncio

import grpc
import oms_client
import pytest
from oms.inventory.v1 import inventory_pb2
from sqlalchemy import text

from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Inventory, sku, stock_row

pb = inventory_pb2


def order(order_id: str, *lines: tuple[str, int]) -> pb.ReserveManyItem:
    return pb.ReserveManyItem(
        order_id=order_id, lines=[pb.ReserveLine(sku=item, quantity=quantity) for item, quantity in lines]
    )


async def reserve_many(inventory: Inventory, *orders: pb.ReserveManyItem, request_id: str = "") -> list:
    reply = await inventory.client.ReserveMany(
        pb.ReserveManyRequest(request_id=request_id or new_id(), orders=list(orders)), timeout=60
    )
    return list(reply.results)


async def reserved_by_live_lines(inventory: Inventory, item: str) -> tuple[int, int]:
    """(reserved on the stock rows, units the live reservations' lines hold) of a SKU."""
    async with inventory.engine.connect() as connection:
        reserved = await connection.scalar(
            text("SELECT coalesce(sum(reserved), 0) FROM stock_items WHERE sku = :s"), {"s": item}
        )
        held = await connection.scalar(
            text(
                "SELECT coalesce(sum(l.quantity), 0) FROM reservation_lines l JOIN reservations r"
                " ON r.id = l.reservation_id WHERE l.sku = :s AND r.status IN ('HELD', 'COMMITTED')"
            ),
            {"s": item},
        )
    return int(reserved), int(held)


async def pause(inventory: Inventory, item: str) -> None:
    async with inventory.engine.begin() as connection:
        await connection.execute(text("UPDATE sku_controls SET paused = true WHERE sku = :s"), {"s": item})


async def test_a_batch_gets_each_order_decided_on_its_own_and_conserves_stock(inventory: Inventory):
    warehouse = await inventory.warehouse()
    plenty, short, paused = sku("PLENTY"), sku("SHORT"), sku("PAUSED")
    await inventory.receive(warehouse, plenty, 10)
    await inventory.receive(warehouse, short, 3)
    await inventory.receive(warehouse, paused, 10)
    await pause(inventory, paused)
    ids = [new_id() for _ in range(6)]

    results = await reserve_many(
        inventory,
        order(ids[0], (plenty, 2), (short, 2)),
        # Only 1 of the short SKU is left after the first order: all or nothing, so no plenty either.
        order(ids[1], (plenty, 1), (short, 2)),
        order(ids[2], (paused, 1)),
        order(ids[3], (plenty, 4)),
        order(ids[4], (sku("UNKNOWN"), 1)),
        order(ids[5], (plenty, 0)),
    )

    assert [r.order_id for r in results] == ids
    assert [r.WhichOneof("outcome") for r in results] == [
        "reservation",
        "refusal",
        "refusal",
        "reservation",
        "refusal",
        "refusal",
    ]
    assert results[0].created and results[3].created
    assert sorted((line.sku, line.quantity) for line in results[0].reservation.lines) == sorted(
        [(plenty, 2), (short, 2)]
    )
    shortage = results[1].refusal
    assert (shortage.code, shortage.reason) == ("FAILED_PRECONDITION", "INSUFFICIENT_STOCK")
    assert dict(shortage.metadata) == {
        "sku": short,
        "requested": "2",
        "available": "1",
        "available_in_one_warehouse": "1",
    }
    assert (results[2].refusal.code, results[2].refusal.reason) == ("FAILED_PRECONDITION", "SKU_PAUSED")
    assert dict(results[2].refusal.metadata) == {"sku": paused}
    assert (results[4].refusal.code, results[4].refusal.reason) == ("NOT_FOUND", "SKU_NOT_FOUND")
    assert (results[5].refusal.code, list(results[5].refusal.fields)) == (
        "INVALID_ARGUMENT",
        ["orders[5].lines[0].quantity"],
    )
    assert await stock_row(inventory, warehouse, plenty) == (10, 6)
    assert await stock_row(inventory, warehouse, short) == (3, 2)
    assert await stock_row(inventory, warehouse, paused) == (10, 0)
    for item in (plenty, short, paused):
        reserved, held = await reserved_by_live_lines(inventory, item)
        assert reserved == held
    # The shortage is counted by the breaker, as Reserve's would be.
    async with inventory.engine.connect() as connection:
        failures = await connection.scalar(
            text("SELECT cardinality(recent_failures) FROM sku_controls WHERE sku = :s"), {"s": short}
        )
    assert failures == 1
    # A refused order holds nothing and may reserve later: its claim was dropped.
    listed = await inventory.client.ListReservations(pb.ListReservationsRequest(order_id=ids[1]))
    assert list(listed.reservations) == []
    assert (await inventory.reserve(ids[1], (plenty, 1))).created


async def test_batches_and_single_reserves_racing_on_a_hot_sku_sell_exactly_the_stock(inventory: Inventory):
    north, south = await inventory.warehouse(), await inventory.warehouse()
    item = sku("HOT")
    await inventory.receive(north, item, 60)
    await inventory.receive(south, item, 40)

    async def batch() -> int:
        results = await reserve_many(inventory, *(order(new_id(), (item, 1)) for _ in range(80)))
        return sum(r.WhichOneof("outcome") == "reservation" for r in results)

    async def single() -> int:
        try:
            await inventory.reserve(new_id(), (item, 1))
            return 1
        except oms_client.OmsRpcError as refused:
            assert refused.reason == "INSUFFICIENT_STOCK"
            return 0

    taken = await asyncio.gather(batch(), batch(), *(single() for _ in range(40)))

    assert sum(taken) == 100
    assert await stock_row(inventory, north, item) == (60, 60)
    assert await stock_row(inventory, south, item) == (40, 40)
    assert await reserved_by_live_lines(inventory, item) == (100, 100)


async def test_a_replayed_request_id_returns_the_first_answer_and_holds_nothing_more(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("REPLAY")
    await inventory.receive(warehouse, item, 5)
    request_id, orders = new_id(), [order(new_id(), (item, 2)), order(new_id(), (item, 4))]

    first = await reserve_many(inventory, *orders, request_id=request_id)
    again = await reserve_many(inventory, *orders, request_id=request_id)

    assert again == first
    assert [r.WhichOneof("outcome") for r in first] == ["reservation", "refusal"]
    assert await stock_row(inventory, warehouse, item) == (5, 2)
    with pytest.raises(oms_client.OmsRpcError) as reused:
        await reserve_many(inventory, orders[0], request_id=request_id)
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_an_order_reserved_before_gets_its_reservation_back(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("AGAIN")
    await inventory.receive(warehouse, item, 10)
    earlier, other = new_id(), new_id()
    reserved = (await inventory.reserve(earlier, (item, 3))).reservation

    results = await reserve_many(
        inventory, order(earlier, (item, 3)), order(other, (item, 2)), order(earlier, (item, 1))
    )

    assert results[0].reservation == reserved and not results[0].created
    assert results[1].created
    mismatch = results[2].refusal
    assert (mismatch.code, mismatch.reason) == ("ALREADY_EXISTS", "RESERVATION_MISMATCH")
    assert dict(mismatch.metadata) == {"order_id": earlier, "reservation_id": reserved.reservation_id}
    assert await stock_row(inventory, warehouse, item) == (10, 5)


async def test_more_than_1000_orders_is_invalid_and_names_the_field(inventory: Inventory):
    item = sku("MANY")
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await reserve_many(inventory, *(order(new_id(), (item, 1)) for _ in range(1001)))
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == ["orders"]

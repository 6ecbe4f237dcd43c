"""MoveReservation over real gRPC, PostgreSQL and Redis: a live hold of one SKU changes warehouse in one
transaction, the totals stay the same, a replay moves nothing twice, and no race sells more than the stock."""

from __future__ import annotations

import asyncio

import grpc
import oms_client
import pytest
from oms.inventory.v1 import events_pb2, inventory_pb2
from sqlalchemy import text

from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Inventory, ledger, sku, stock_row
from tests.support import eventually

pb = inventory_pb2


async def move(
    inventory: Inventory, order_id: str, item: str, source: str, target: str, **fields: str
) -> pb.Reservation:
    request = pb.MoveReservationRequest(
        request_id=fields.pop("request_id", new_id()),
        order_id=order_id,
        sku=item,
        from_warehouse_id=source,
        to_warehouse_id=target,
        **fields,
    )
    return (await inventory.client.MoveReservation(request)).reservation


async def move_refused(
    inventory: Inventory, order_id: str, item: str, source: str, target: str, **fields: str
) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await move(inventory, order_id, item, source, target, **fields)
    return refused.value


async def held_in(inventory: Inventory, item: str) -> dict[str, int]:
    """Units of ``item`` that live reservations hold, per warehouse, as their lines say."""
    async with inventory.engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT l.warehouse_id::text AS warehouse_id, sum(l.quantity) AS quantity"
                " FROM reservation_lines l JOIN reservations r ON r.id = l.reservation_id"
                " WHERE l.sku = :s AND r.status IN ('HELD', 'COMMITTED') GROUP BY l.warehouse_id"
            ),
            {"s": item},
        )
        return {row.warehouse_id: int(row.quantity) for row in rows}


async def two_warehouses(inventory: Inventory, item: str, north_units: int, south_units: int) -> tuple[str, str]:
    north, south = await inventory.warehouse(), await inventory.warehouse()
    await inventory.receive(north, item, north_units)
    await inventory.receive(south, item, south_units)
    return north, south


async def test_a_move_takes_the_hold_to_the_other_warehouse_and_keeps_the_totals(inventory: Inventory):
    item, other = sku("MOVE"), sku("STAYS")
    north, south = await two_warehouses(inventory, item, 10, 5)
    await inventory.receive(north, other, 5)
    order = new_id()
    held = (await inventory.reserve(order, (item, 4), (other, 1), preferred_warehouse_id=north)).reservation
    before = await inventory.availability(item)

    moved = await move(inventory, order, item, north, south, reason="routing rule east")

    assert (moved.reservation_id, moved.status, moved.expires_at) == (held.reservation_id, held.status, held.expires_at)
    assert [(line.sku, line.warehouse_id, line.quantity) for line in moved.lines] == sorted(
        [(item, south, 4), (other, north, 1)]
    )
    assert await stock_row(inventory, north, item) == (10, 0)
    assert await stock_row(inventory, south, item) == (5, 4)
    after = await inventory.availability(item)
    assert (after.on_hand, after.reserved, after.available) == (before.on_hand, before.reserved, before.available)
    assert await held_in(inventory, item) == {south: 4}
    movements = await inventory.client.ListStockMovements(pb.ListStockMovementsRequest(sku=item, order_id=order))
    assert sorted(
        (m.warehouse_id, m.reserved_delta, m.reserved_after, m.reason)
        for m in movements.movements
        if m.type == pb.MOVEMENT_TYPE_RESERVATION_MOVE
    ) == sorted([(north, -4, 0, "routing rule east"), (south, 4, 4, "routing rule east")])
    (event,) = await eventually(lambda: inventory.published(events_pb2.ReservationMoved, order_id=order))
    assert (event.reservation_id, event.sku, event.quantity) == (held.reservation_id, item, 4)
    assert (event.from_warehouse_id, event.to_warehouse_id, event.reason) == (north, south, "routing rule east")
    assert list(event.lines) == list(moved.lines)
    # Confirm ships the stock from where the hold is now.
    await inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=order))
    assert await stock_row(inventory, south, item) == (1, 0)
    assert await stock_row(inventory, north, item) == (10, 0)


async def test_a_committed_hold_moves_and_stays_committed(inventory: Inventory):
    item = sku("PAID")
    north, south = await two_warehouses(inventory, item, 3, 3)
    order = new_id()
    await inventory.reserve(order, (item, 3), preferred_warehouse_id=north)
    committed = (await inventory.client.Commit(pb.CommitRequest(request_id=new_id(), order_id=order))).reservation

    moved = await move(inventory, order, item, north, south)

    assert (moved.status, moved.committed_at) == (pb.RESERVATION_STATUS_COMMITTED, committed.committed_at)
    assert (await stock_row(inventory, north, item), await stock_row(inventory, south, item)) == ((3, 0), (3, 3))


async def test_a_replayed_move_returns_the_first_answer_and_moves_nothing_twice(inventory: Inventory):
    item = sku("REPLAY")
    north, south = await two_warehouses(inventory, item, 10, 10)
    order, request_id = new_id(), new_id()
    await inventory.reserve(order, (item, 2), preferred_warehouse_id=north)

    first = await move(inventory, order, item, north, south, request_id=request_id)
    again = await move(inventory, order, item, north, south, request_id=request_id)
    reused = await move_refused(inventory, order, item, south, north, request_id=request_id)

    assert again == first
    assert (reused.code, reused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED")
    assert (await stock_row(inventory, north, item), await stock_row(inventory, south, item)) == ((10, 0), (10, 2))
    assert [kind for kind, *_ in await ledger(inventory, item)].count("RESERVATION_MOVE") == 2
    # A new request for the move already made finds nothing left in the source.
    done = await move_refused(inventory, order, item, north, south)
    assert done.reason == "NOT_HELD_THERE"


async def test_a_target_without_the_stock_refuses_the_move_and_nothing_changes(inventory: Inventory):
    item = sku("SHORT")
    north, south = await two_warehouses(inventory, item, 10, 5)
    await inventory.client.SetSafetyStock(
        pb.SetSafetyStockRequest(request_id=new_id(), warehouse_id=south, sku=item, safety_stock=2)
    )
    order = new_id()
    held = (await inventory.reserve(order, (item, 4), preferred_warehouse_id=north)).reservation
    moves_before = await ledger(inventory, item)

    refused = await move_refused(inventory, order, item, north, south)

    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_STOCK")
    # 5 on hand, 2 of them safety stock: 3 could be held there, not 4.
    assert refused.metadata == {"sku": item, "warehouse_id": south, "requested": "4", "available": "3"}
    unstocked = await inventory.warehouse()
    nowhere = await move_refused(inventory, order, item, north, unstocked)
    assert (nowhere.reason, nowhere.metadata["available"]) == ("INSUFFICIENT_STOCK", "0")
    assert (await stock_row(inventory, north, item), await stock_row(inventory, south, item)) == ((10, 4), (5, 0))
    assert await ledger(inventory, item) == moves_before
    listed = await inventory.client.ListReservations(pb.ListReservationsRequest(order_id=order))
    assert list(listed.reservations) == [held]


async def test_a_disabled_target_takes_no_hold(inventory: Inventory):
    item = sku("CLOSED")
    north, code = await inventory.warehouse(), "WH-" + new_id()[-12:]
    await inventory.receive(north, item, 5)
    closing = await inventory.client.UpsertWarehouse(
        pb.UpsertWarehouseRequest(request_id=new_id(), code=code, name="关闭的仓")
    )
    closed = closing.warehouse.warehouse_id
    await inventory.receive(closed, item, 5)
    await inventory.client.UpsertWarehouse(
        pb.UpsertWarehouseRequest(request_id=new_id(), code=code, name="关闭的仓", disabled=True)
    )
    order = new_id()
    await inventory.reserve(order, (item, 1))

    refused = await move_refused(inventory, order, item, north, closed)

    assert (refused.reason, refused.metadata["available"]) == ("INSUFFICIENT_STOCK", "0")
    assert await stock_row(inventory, north, item) == (5, 1)


async def test_a_warehouse_that_holds_none_of_the_sku_is_refused(inventory: Inventory):
    item, other = sku("WHERE"), sku("OTHER")
    north, south = await two_warehouses(inventory, item, 10, 10)
    await inventory.receive(north, other, 10)
    order = new_id()
    await inventory.reserve(order, (item, 1), preferred_warehouse_id=north)
    await inventory.reserve(new_id(), (other, 1))

    wrong_source = await move_refused(inventory, order, item, south, north)
    not_held = await move_refused(inventory, order, other, north, south)

    assert (wrong_source.code, wrong_source.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_HELD_THERE")
    assert wrong_source.metadata == {"order_id": order, "sku": item, "warehouse_id": south}
    assert (not_held.reason, not_held.metadata["sku"]) == ("NOT_HELD_THERE", other)
    assert (await stock_row(inventory, north, item), await stock_row(inventory, south, item)) == ((10, 1), (10, 0))


async def test_a_released_reservation_holds_nothing_to_move(inventory: Inventory):
    item = sku("GONE")
    north, south = await two_warehouses(inventory, item, 10, 10)
    order = new_id()
    held = (await inventory.reserve(order, (item, 2), preferred_warehouse_id=north)).reservation
    await inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order, reason="cancelled"))

    refused = await move_refused(inventory, order, item, north, south)

    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    assert refused.metadata == {"id": held.reservation_id, "order_id": order, "from": "RELEASED"}
    assert (await stock_row(inventory, north, item), await stock_row(inventory, south, item)) == ((10, 0), (10, 0))


async def test_an_order_without_a_reservation_is_not_found(inventory: Inventory):
    item = sku("NONE")
    north, south = await two_warehouses(inventory, item, 1, 1)
    refused = await move_refused(inventory, new_id(), item, north, south)
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "RESERVATION_NOT_FOUND")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"order_id": "not-a-uuid"}, "order_id"),
        ({"sku": ""}, "sku"),
        ({"from_warehouse_id": "JX01"}, "from_warehouse_id"),
        ({"to_warehouse_id": ""}, "to_warehouse_id"),
        ({"to_warehouse_id": "SAME"}, "to_warehouse_id"),
        ({"reason": "x" * 501}, "reason"),
        ({"request_id": ""}, "request_id"),
    ],
)
async def test_bad_move_requests_name_the_field(inventory: Inventory, fields: dict[str, str], field: str):
    source = new_id()
    request = pb.MoveReservationRequest(
        request_id=new_id(), order_id=new_id(), sku="A", from_warehouse_id=source, to_warehouse_id=new_id()
    )
    for name, value in fields.items():
        setattr(request, name, source if value == "SAME" else value)

    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.client.MoveReservation(request)

    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == [field]


async def test_only_the_service_account_and_admins_move_holds(inventory: Inventory):
    item = sku("ROLE")
    north, south = await two_warehouses(inventory, item, 2, 2)
    order = new_id()
    await inventory.reserve(order, (item, 1), preferred_warehouse_id=north)
    request = pb.MoveReservationRequest(
        request_id=new_id(), order_id=order, sku=item, from_warehouse_id=north, to_warehouse_id=south
    )

    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.acting_as("operations").MoveReservation(request)
    moved = await inventory.acting_as("service").MoveReservation(request)

    assert (refused.value.code, refused.value.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    assert moved.reservation.lines[0].warehouse_id == south


async def test_concurrent_moves_and_reserves_never_sell_more_than_the_stock(inventory: Inventory):
    item = sku("RUSH")
    north, south = await two_warehouses(inventory, item, 10, 10)
    await inventory.client.SetSafetyStock(
        pb.SetSafetyStockRequest(request_id=new_id(), warehouse_id=south, sku=item, safety_stock=2)
    )
    movers = [new_id() for _ in range(6)]
    for order in movers:
        await inventory.reserve(order, (item, 1), preferred_warehouse_id=north)

    async def moved(order: str) -> str:
        try:
            await move(inventory, order, item, north, south)
            return "OK"
        except oms_client.OmsRpcError as refused:
            return refused.reason

    async def reserved() -> str:
        try:
            await inventory.reserve(new_id(), (item, 1))
            return "OK"
        except oms_client.OmsRpcError as refused:
            return refused.reason

    outcomes = await asyncio.gather(*(moved(order) for order in movers), *(reserved() for _ in range(16)))

    moves, reserves = outcomes[: len(movers)], outcomes[len(movers) :]
    # 20 on hand, 2 kept back in the south: 18 can be held, 6 were, so 12 more sell; a move never adds any.
    assert set(moves) <= {"INSUFFICIENT_STOCK", "OK"}
    assert (reserves.count("OK"), reserves.count("INSUFFICIENT_STOCK")) == (12, 4)
    assert await stock_row(inventory, north, item) == (10, 10)
    assert await stock_row(inventory, south, item) == (10, 8)
    assert await held_in(inventory, item) == {north: 10, south: 8}
    kinds = [kind for kind, *_ in await ledger(inventory, item)]
    assert kinds.count("RESERVATION_MOVE") == 2 * moves.count("OK")


async def test_a_move_racing_a_release_gives_the_stock_back_where_it_is_held(inventory: Inventory):
    item = sku("RACE")
    north, south = await two_warehouses(inventory, item, 20, 20)
    # Another order's hold in each warehouse: a release from the wrong one would pass its guard unnoticed.
    await inventory.reserve(new_id(), (item, 5), preferred_warehouse_id=north)
    await inventory.reserve(new_id(), (item, 5), preferred_warehouse_id=south)
    outcomes = []
    for _ in range(8):
        order = new_id()
        await inventory.reserve(order, (item, 1), preferred_warehouse_id=north)
        release = inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order))
        replies = await asyncio.gather(move(inventory, order, item, north, south), release, return_exceptions=True)
        moved, released = replies
        assert released.reservation.status == pb.RESERVATION_STATUS_RELEASED
        outcomes.append(moved.lines[0].warehouse_id if isinstance(moved, pb.Reservation) else moved.reason)

    # Whichever came first, the released unit went back to the warehouse that held it at that moment.
    assert set(outcomes) <= {south, "INVALID_TRANSITION"}
    assert (await stock_row(inventory, north, item), await stock_row(inventory, south, item)) == ((20, 5), (20, 5))
    assert await held_in(inventory, item) == {north: 5, south: 5}

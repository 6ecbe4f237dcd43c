"""Reservations over real gRPC, PostgreSQL and Redis: never oversell, all or nothing, idempotent, expiry."""

from __future__ import annotations

import asyncio

import grpc
import oms_client
import pytest
from oms.inventory.v1 import events_pb2, inventory_pb2

from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Inventory, ledger, sku, stock_row
from tests.support import eventually

pb = inventory_pb2
HELD = pb.RESERVATION_STATUS_HELD


async def test_200_concurrent_reservations_of_50_units_sell_exactly_50(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("HOT")
    await inventory.receive(warehouse, item, 50)

    async def attempt() -> str:
        try:
            await inventory.reserve(new_id(), (item, 1))
            return "OK"
        except oms_client.OmsRpcError as refused:
            return refused.reason

    outcomes = await asyncio.gather(*(attempt() for _ in range(200)))

    # The breaker trips once the SKU is sold out, but every refusal names the root cause: no stock.
    assert outcomes.count("OK") == 50
    assert outcomes.count("INSUFFICIENT_STOCK") == 150
    assert (await inventory.availability(item)).paused
    assert await stock_row(inventory, warehouse, item) == (50, 50)
    holds = [entry for entry in await ledger(inventory, item) if entry[0] == "RESERVATION"]
    assert holds == [("RESERVATION", 0, 1)] * 50
    availability = await inventory.availability(item)
    assert (availability.reserved, availability.available) == (50, 0)


async def test_concurrent_reservations_across_two_warehouses_never_go_below_zero(inventory: Inventory):
    north, south = await inventory.warehouse(), await inventory.warehouse()
    item = sku("TWO")
    await inventory.receive(north, item, 7)
    await inventory.receive(south, item, 5)

    async def attempt() -> int:
        try:
            return (await inventory.reserve(new_id(), (item, 2))).reservation.lines[0].quantity
        except oms_client.OmsRpcError as refused:
            # Refused only once no warehouse holds 2 units: a shortage, whether or not the breaker tripped.
            assert refused.reason == "INSUFFICIENT_STOCK"
            return 0

    taken = await asyncio.gather(*(attempt() for _ in range(20)))

    # 7 + 5 units in lots of 2 that are never split: at most 3 + 2 lots.
    assert sum(taken) == 10
    assert await stock_row(inventory, north, item) == (7, 6)
    assert await stock_row(inventory, south, item) == (5, 4)


async def test_all_or_nothing_when_the_second_line_lacks_stock(inventory: Inventory):
    warehouse = await inventory.warehouse()
    plenty, scarce = sku("A"), sku("B")
    await inventory.receive(warehouse, plenty, 10)
    await inventory.receive(warehouse, scarce, 1)
    order = new_id()

    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.reserve(order, (plenty, 2), (scarce, 2))

    assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.value.reason == "INSUFFICIENT_STOCK"
    assert refused.value.metadata == {
        "sku": scarce,
        "requested": "2",
        "available": "1",
        "available_in_one_warehouse": "1",
    }
    assert await stock_row(inventory, warehouse, plenty) == (10, 0)
    assert [kind for kind, *_ in await ledger(inventory, plenty)] == ["RECEIPT"]
    listed = await inventory.client.ListReservations(pb.ListReservationsRequest(order_id=order))
    assert list(listed.reservations) == []


async def test_reserve_picks_preferred_then_province_then_most_available(inventory: Inventory):
    jiaxing = await inventory.warehouse(("江苏省", "浙江省", "上海市"))
    beijing = await inventory.warehouse(("北京市",))
    item = sku("ROUTE")
    await inventory.receive(jiaxing, item, 10)
    await inventory.receive(beijing, item, 40)

    most = await inventory.reserve(new_id(), (item, 1))
    by_province = await inventory.reserve(new_id(), (item, 1), shipping_province="浙江省")
    preferred = await inventory.reserve(new_id(), (item, 1), shipping_province="浙江省", preferred_warehouse_id=beijing)

    assert most.reservation.lines[0].warehouse_id == beijing
    assert by_province.reservation.lines[0].warehouse_id == jiaxing
    assert preferred.reservation.lines[0].warehouse_id == beijing


async def test_reserve_is_idempotent_per_order_under_concurrency(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("ONCE")
    await inventory.receive(warehouse, item, 100)
    order = new_id()

    replies = await asyncio.gather(*(inventory.reserve(order, (item, 3)) for _ in range(20)))

    assert len({reply.reservation.reservation_id for reply in replies}) == 1
    assert sum(reply.created for reply in replies) == 1
    assert await stock_row(inventory, warehouse, item) == (100, 3)


async def test_replay_of_a_request_id_returns_the_first_answer(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("REPLAY")
    await inventory.receive(warehouse, item, 5)
    order, request_id = new_id(), new_id()

    first = await inventory.reserve(order, (item, 2), request_id=request_id)
    again = await inventory.reserve(order, (item, 2), request_id=request_id)
    with pytest.raises(oms_client.OmsRpcError) as reused:
        await inventory.reserve(order, (item, 3), request_id=request_id)

    assert again == first
    assert reused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert reused.value.violations[0].field == "request_id"
    assert await stock_row(inventory, warehouse, item) == (5, 2)


async def test_another_reserve_for_other_quantities_of_the_same_order_is_refused(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("MISMATCH")
    await inventory.receive(warehouse, item, 5)
    order = new_id()
    first = await inventory.reserve(order, (item, 2))

    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.reserve(order, (item, 4))

    assert refused.value.code == grpc.StatusCode.ALREADY_EXISTS
    assert refused.value.reason == "RESERVATION_MISMATCH"
    assert refused.value.metadata["reservation_id"] == first.reservation.reservation_id


async def test_confirm_ships_the_held_stock_once(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("SHIP")
    await inventory.receive(warehouse, item, 10)
    order = new_id()
    await inventory.reserve(order, (item, 4))

    confirmed = await inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=order))
    again = await inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=order))

    assert confirmed.reservation.status == pb.RESERVATION_STATUS_CONFIRMED
    assert again.reservation == confirmed.reservation
    assert await stock_row(inventory, warehouse, item) == (6, 0)
    assert (await ledger(inventory, item))[-1] == ("SHIPMENT", -4, -4)
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order, reason="too late"))
    assert refused.value.reason == "INVALID_TRANSITION"
    (shipped,) = await eventually(lambda: inventory.published(events_pb2.ReservationConfirmed, order_id=order))
    assert shipped.lines[0].quantity == 4


async def test_release_gives_stock_back_and_is_a_no_op_the_second_time(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("CANCEL")
    await inventory.receive(warehouse, item, 10)
    order = new_id()
    await inventory.reserve(order, (item, 4))

    released = await inventory.client.Release(
        pb.ReleaseRequest(request_id=new_id(), order_id=order, reason="order cancelled 取消")
    )
    again = await inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order))

    assert released.reservation.status == pb.RESERVATION_STATUS_RELEASED
    assert released.reservation.release_reason == "order cancelled 取消"
    assert again.reservation == released.reservation
    assert await stock_row(inventory, warehouse, item) == (10, 0)
    assert (await ledger(inventory, item))[-1] == ("RELEASE", 0, -4)
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=order))
    assert refused.value.code == grpc.StatusCode.FAILED_PRECONDITION
    assert refused.value.reason == "INVALID_TRANSITION"


async def test_release_before_reserve_keeps_a_late_reserve_from_holding_stock(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("LATE")
    await inventory.receive(warehouse, item, 10)
    order = new_id()

    released = await inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order))
    late = await inventory.reserve(order, (item, 2))

    assert released.reservation.status == pb.RESERVATION_STATUS_RELEASED
    assert list(released.reservation.lines) == []
    assert late.created is False
    assert late.reservation.status == pb.RESERVATION_STATUS_RELEASED
    assert await stock_row(inventory, warehouse, item) == (10, 0)


async def test_confirm_without_a_reservation_is_not_found(inventory: Inventory):
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=new_id()))
    assert refused.value.code == grpc.StatusCode.NOT_FOUND
    assert refused.value.reason == "RESERVATION_NOT_FOUND"


async def test_expired_reservation_returns_its_stock(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("EXPIRE")
    await inventory.receive(warehouse, item, 10)
    order = new_id()
    held = await inventory.reserve(order, (item, 6), ttl_seconds=1)
    assert held.reservation.status == HELD

    async def expired() -> pb.Reservation | None:
        listed = await inventory.client.ListReservations(pb.ListReservationsRequest(order_id=order))
        reservation = listed.reservations[0]
        return reservation if reservation.status == pb.RESERVATION_STATUS_EXPIRED else None

    reservation = await eventually(expired, timeout=15)

    assert reservation.release_reason == "expired"
    assert await stock_row(inventory, warehouse, item) == (10, 0)
    assert (await ledger(inventory, item))[-1] == ("EXPIRY", 0, -6)
    announced = await eventually(lambda: inventory.published(events_pb2.ReservationExpired, order_id=order))
    assert announced[0].lines[0].quantity == 6
    # The stock is free again for another order.
    assert (await inventory.reserve(new_id(), (item, 10))).created


async def test_reserved_events_reach_the_stream(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("EVENT")
    await inventory.receive(warehouse, item, 3)
    order = new_id()
    reply = await inventory.reserve(order, (item, 3))

    (event,) = await eventually(lambda: inventory.published(events_pb2.StockReserved, order_id=order))
    assert event.reservation_id == reply.reservation.reservation_id
    assert list(event.lines) == list(reply.reservation.lines)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"order_id": "not-a-uuid"}, "order_id"),
        ({"lines": []}, "lines"),
        ({"lines": [pb.ReserveLine(sku="", quantity=1)]}, "lines[0].sku"),
        ({"lines": [pb.ReserveLine(sku="A", quantity=1), pb.ReserveLine(sku="B", quantity=0)]}, "lines[1].quantity"),
        ({"lines": [pb.ReserveLine(sku="A\x00", quantity=1)]}, "lines[0].sku"),
        ({"ttl_seconds": -5}, "ttl_seconds"),
        ({"preferred_warehouse_id": "JX01"}, "preferred_warehouse_id"),
        ({"request_id": ""}, "request_id"),
    ],
)
async def test_bad_reserve_requests_name_the_field(inventory: Inventory, fields, field):
    request = pb.ReserveRequest(request_id=new_id(), order_id=new_id(), lines=[pb.ReserveLine(sku="A", quantity=1)])
    for name, value in fields.items():
        if name == "lines":
            del request.lines[:]
            request.lines.extend(value)
        else:
            setattr(request, name, value)

    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.client.Reserve(request)

    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == [field]


async def test_unknown_sku_is_not_found(inventory: Inventory):
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.reserve(new_id(), (sku("NOPE"), 1))
    assert refused.value.code == grpc.StatusCode.NOT_FOUND
    assert refused.value.reason == "SKU_NOT_FOUND"


async def test_confirm_and_release_racing_on_one_order_settle_once(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("RACE")
    await inventory.receive(warehouse, item, 10)
    outcomes = []
    for _ in range(5):
        order = new_id()
        await inventory.reserve(order, (item, 1))
        confirm = inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=order))
        release = inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order))
        replies = await asyncio.gather(confirm, release, return_exceptions=True)
        statuses = {reply.reservation.status for reply in replies if not isinstance(reply, oms_client.OmsRpcError)}
        errors = [reply.reason for reply in replies if isinstance(reply, oms_client.OmsRpcError)]
        # Whichever came second either refuses (INVALID_TRANSITION) or finds its work already done.
        assert len(statuses) == 1 and errors in ([], ["INVALID_TRANSITION"])
        outcomes.append(statuses.pop())

    shipped = outcomes.count(pb.RESERVATION_STATUS_CONFIRMED)
    assert await stock_row(inventory, warehouse, item) == (10 - shipped, 0)
    moves = [kind for kind, *_ in await ledger(inventory, item)]
    assert moves.count("SHIPMENT") == shipped
    assert moves.count("RELEASE") == 5 - shipped

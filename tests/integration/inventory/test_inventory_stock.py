"""Warehouses, receipts, adjustments, safety stock, returns, availability and the ledger over real gRPC."""

from __future__ import annotations

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.inventory.v1 import events_pb2, inventory_pb2

from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Inventory, sku
from tests.support import eventually

pb = inventory_pb2


async def refused(call, request) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as error:
        await call(request)
    return error.value


async def test_upsert_warehouse_creates_then_updates_by_code(inventory: Inventory):
    code = "JX-" + new_id()[-8:]
    created = await inventory.client.UpsertWarehouse(
        pb.UpsertWarehouseRequest(request_id=new_id(), code=code, name="嘉兴仓", provinces=["江苏省", "浙江省"])
    )
    updated = await inventory.client.UpsertWarehouse(
        pb.UpsertWarehouseRequest(
            request_id=new_id(), code=code, name="嘉兴仓 𠮷", provinces=["江苏省", "浙江省", "上海市", "浙江省"]
        )
    )

    assert created.created and not updated.created
    assert updated.warehouse.warehouse_id == created.warehouse.warehouse_id
    assert updated.warehouse.name == "嘉兴仓 𠮷"
    assert list(updated.warehouse.provinces) == ["江苏省", "浙江省", "上海市"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "嘉兴"}, "code"),
        ({"name": "  "}, "name"),
        ({"provinces": ["浙江省", ""]}, "provinces[1]"),
    ],
)
async def test_bad_warehouses_name_the_field(inventory: Inventory, fields, field):
    request = pb.UpsertWarehouseRequest(request_id=new_id(), code="OK-1", name="ok", provinces=["浙江省"])
    for name, value in fields.items():
        if name == "provinces":
            del request.provinces[:]
            request.provinces.extend(value)
        else:
            setattr(request, name, value)
    error = await refused(inventory.client.UpsertWarehouse, request)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]


async def test_list_warehouses_pages_by_code(inventory: Inventory):
    for _ in range(3):
        await inventory.warehouse()
    seen: list[str] = []
    token = ""
    while True:
        page = await inventory.client.ListWarehouses(
            pb.ListWarehousesRequest(page=common_pb2.PageRequest(page_size=2, page_token=token))
        )
        assert len(page.warehouses) <= 2
        seen += [w.code for w in page.warehouses]
        token = page.page.next_page_token
        if not token:
            break
    assert len(seen) >= 3
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


async def test_receipt_books_a_ledger_row_and_an_event(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("𠮷")
    first = await inventory.receive(warehouse, item, 5)
    second = await inventory.client.ReceiveStock(
        pb.ReceiveStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=item, quantity=7, reference="PO-1")
    )

    assert (first.stock.on_hand, second.stock.on_hand, second.stock.available) == (5, 12, 12)
    assert second.movement.type == pb.MOVEMENT_TYPE_RECEIPT
    assert (second.movement.on_hand_delta, second.movement.on_hand_after) == (7, 12)
    assert second.movement.reference == "PO-1"

    async def announced() -> list[events_pb2.StockAdjusted]:
        adjusted = await inventory.events(events_pb2.StockAdjusted)
        return [e for e in adjusted if e.movement.movement_id == second.movement.movement_id]

    (event,) = await eventually(announced)
    assert (event.stock.sku, event.stock.on_hand) == (item, 12)


async def test_receipt_into_an_unknown_warehouse_is_not_found(inventory: Inventory):
    request = pb.ReceiveStockRequest(request_id=new_id(), warehouse_id=new_id(), sku=sku(), quantity=1)
    error = await refused(inventory.client.ReceiveStock, request)
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "WAREHOUSE_NOT_FOUND")


@pytest.mark.parametrize(("quantity", "field"), [(0, "quantity"), (-3, "quantity"), (10**10, "quantity")])
async def test_bad_receipts_name_the_field(inventory: Inventory, quantity, field):
    request = pb.ReceiveStockRequest(request_id=new_id(), warehouse_id=new_id(), sku="A", quantity=quantity)
    error = await refused(inventory.client.ReceiveStock, request)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]


async def test_adjustments_by_delta_and_by_count(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("ADJ")
    await inventory.receive(warehouse, item, 10)

    down = await inventory.client.AdjustStock(
        pb.AdjustStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=item, delta=-3, reason="破损")
    )
    counted = await inventory.client.AdjustStock(
        pb.AdjustStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=item, set_on_hand=20, reason="stocktake")
    )

    assert (down.stock.on_hand, down.movement.on_hand_delta, down.movement.reason) == (7, -3, "破损")
    assert (counted.stock.on_hand, counted.movement.on_hand_delta) == (20, 13)
    assert counted.movement.type == pb.MOVEMENT_TYPE_ADJUSTMENT


async def test_reserved_units_cannot_be_adjusted_away(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("HELD")
    await inventory.receive(warehouse, item, 10)
    await inventory.reserve(new_id(), (item, 8))

    error = await refused(
        inventory.client.AdjustStock,
        pb.AdjustStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=item, set_on_hand=5, reason="count"),
    )

    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_STOCK")
    assert error.metadata == {"sku": item, "requested": "5", "available": "2", "warehouse_id": warehouse}
    assert (await inventory.availability(item)).on_hand == 10


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"reason": "count"}, "delta"),
        ({"delta": 0, "reason": "count"}, "delta"),
        ({"set_on_hand": -1, "reason": "count"}, "set_on_hand"),
        ({"delta": 1, "reason": ""}, "reason"),
        ({"delta": 1, "reason": "x\x00"}, "reason"),
    ],
)
async def test_bad_adjustments_name_the_field(inventory: Inventory, fields, field):
    request = pb.AdjustStockRequest(request_id=new_id(), warehouse_id=new_id(), sku="A", **fields)
    error = await refused(inventory.client.AdjustStock, request)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]


async def test_adjusting_a_sku_never_stocked_there_is_not_found(inventory: Inventory):
    warehouse = await inventory.warehouse()
    request = pb.AdjustStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=sku(), delta=1, reason="x")
    error = await refused(inventory.client.AdjustStock, request)
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "SKU_NOT_FOUND")


async def test_safety_stock_is_kept_back_from_reservations(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("SAFE")
    await inventory.receive(warehouse, item, 10)

    changed = await inventory.client.SetSafetyStock(
        pb.SetSafetyStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=item, safety_stock=4)
    )
    with pytest.raises(oms_client.OmsRpcError) as too_many:
        await inventory.reserve(new_id(), (item, 7))

    assert (changed.stock.available, changed.movement.type) == (6, pb.MOVEMENT_TYPE_SAFETY_STOCK)
    assert too_many.value.metadata["available"] == "6"
    assert (await inventory.reserve(new_id(), (item, 6))).created


async def test_returns_are_restocked_against_their_order(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("RMA")
    order = new_id()
    await inventory.receive(warehouse, item, 1)

    restocked = await inventory.client.RestockReturn(
        pb.RestockReturnRequest(
            request_id=new_id(), warehouse_id=warehouse, sku=item, quantity=2, order_id=order, reference="退货-9"
        )
    )
    listed = await inventory.client.ListStockMovements(pb.ListStockMovementsRequest(order_id=order))

    assert restocked.stock.on_hand == 3
    assert [(m.type, m.on_hand_delta, m.reference) for m in listed.movements] == [
        (pb.MOVEMENT_TYPE_RETURN, 2, "退货-9")
    ]


async def test_a_replayed_receipt_is_booked_once(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("ONCE")
    request = pb.ReceiveStockRequest(request_id=new_id(), warehouse_id=warehouse, sku=item, quantity=4)

    first = await inventory.client.ReceiveStock(request)
    again = await inventory.client.ReceiveStock(request)

    assert again == first
    assert (await inventory.availability(item)).on_hand == 4


async def test_availability_sums_warehouses_in_request_order(inventory: Inventory):
    north, south = await inventory.warehouse(), await inventory.warehouse()
    item, unknown = sku("SUM"), sku("NONE")
    await inventory.receive(north, item, 3)
    await inventory.receive(south, item, 9)
    await inventory.reserve(new_id(), (item, 2))

    reply = await inventory.client.GetAvailability(pb.GetAvailabilityRequest(skus=[unknown, item, unknown]))

    assert [i.sku for i in reply.items] == [unknown, item]
    assert (reply.items[0].on_hand, list(reply.items[0].warehouses)) == (0, [])
    totals = reply.items[1]
    assert (totals.on_hand, totals.reserved, totals.available, totals.available_in_one_warehouse) == (12, 2, 10, 7)
    assert sorted(level.warehouse_id for level in totals.warehouses) == sorted([north, south])


async def test_availability_bounds(inventory: Inventory):
    empty = await refused(inventory.client.GetAvailability, pb.GetAvailabilityRequest())
    too_many = await refused(
        inventory.client.GetAvailability, pb.GetAvailabilityRequest(skus=[f"S{i}" for i in range(501)])
    )
    assert [v.field for v in empty.violations] == ["skus"]
    assert [v.field for v in too_many.violations] == ["skus"]


async def test_ledger_pages_newest_first(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("PAGE")
    for quantity in (1, 2, 3):
        await inventory.receive(warehouse, item, quantity)

    first = await inventory.client.ListStockMovements(
        pb.ListStockMovementsRequest(sku=item, page=common_pb2.PageRequest(page_size=2))
    )
    rest = await inventory.client.ListStockMovements(
        pb.ListStockMovementsRequest(
            sku=item, page=common_pb2.PageRequest(page_size=2, page_token=first.page.next_page_token)
        )
    )

    assert [m.on_hand_delta for m in first.movements] == [3, 2]
    assert [m.on_hand_delta for m in rest.movements] == [1]
    assert rest.page.next_page_token == ""
    bad = await refused(
        inventory.client.ListStockMovements,
        pb.ListStockMovementsRequest(sku=item, page=common_pb2.PageRequest(page_token="%%%")),
    )
    assert [v.field for v in bad.violations] == ["page.page_token"]

"""Commit over real gRPC, PostgreSQL and Redis: a paid order's hold outlives its TTL until it ships or is released."""

from __future__ import annotations

import grpc
import oms_client
import pytest
from oms.inventory.v1 import events_pb2, inventory_pb2

from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Inventory, ledger, sku, stock_row
from tests.support import eventually

pb = inventory_pb2


async def commit(inventory: Inventory, order_id: str, **fields: str) -> pb.CommitResponse:
    request_id = fields.pop("request_id", new_id())
    return await inventory.client.Commit(pb.CommitRequest(request_id=request_id, order_id=order_id, **fields))


async def commit_refused(inventory: Inventory, order_id: str, **fields: str) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await commit(inventory, order_id, **fields)
    return refused.value


async def reservation_of(inventory: Inventory, order_id: str) -> pb.Reservation:
    listed = await inventory.client.ListReservations(pb.ListReservationsRequest(order_id=order_id))
    (reservation,) = listed.reservations
    return reservation


async def test_a_committed_hold_outlives_its_ttl_and_ships(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("PAID")
    await inventory.receive(warehouse, item, 10)
    paid, unpaid = new_id(), new_id()
    await inventory.reserve(paid, (item, 3), ttl_seconds=1)
    committed = (await commit(inventory, paid)).reservation
    # Reserved after the paid one with the same TTL, so it is due no earlier.
    await inventory.reserve(unpaid, (item, 2), ttl_seconds=1)

    assert committed.status == pb.RESERVATION_STATUS_COMMITTED
    assert not committed.HasField("expires_at") and committed.HasField("committed_at")
    assert not committed.HasField("closed_at")

    async def unpaid_expired() -> bool:
        return (await reservation_of(inventory, unpaid)).status == pb.RESERVATION_STATUS_EXPIRED

    await eventually(unpaid_expired, timeout=15)

    # The sweeper has passed the paid hold's old expiry and left it alone.
    assert await reservation_of(inventory, paid) == committed
    assert await stock_row(inventory, warehouse, item) == (10, 3)
    again = await commit(inventory, paid)
    assert again.reservation == committed
    too_late = await commit_refused(inventory, unpaid)
    assert too_late.code == grpc.StatusCode.FAILED_PRECONDITION
    assert too_late.reason == "RESERVATION_EXPIRED"
    assert (too_late.metadata["from"], too_late.metadata["to"], too_late.metadata["order_id"]) == (
        "EXPIRED",
        "COMMITTED",
        unpaid,
    )

    shipped = await inventory.client.Confirm(pb.ConfirmRequest(request_id=new_id(), order_id=paid))

    assert shipped.reservation.status == pb.RESERVATION_STATUS_CONFIRMED
    assert shipped.reservation.committed_at == committed.committed_at
    assert await stock_row(inventory, warehouse, item) == (7, 0)
    assert (await ledger(inventory, item))[-1] == ("SHIPMENT", -3, -3)
    (event,) = await eventually(lambda: inventory.published(events_pb2.ReservationCommitted, order_id=paid))
    assert event.reservation_id == committed.reservation_id
    assert list(event.lines) == list(committed.lines)
    assert event.committed_at == committed.committed_at
    shipped_again = await commit_refused(inventory, paid)
    assert (shipped_again.reason, shipped_again.metadata["from"]) == ("INVALID_TRANSITION", "CONFIRMED")


async def test_release_gives_a_committed_hold_back(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("REFUND")
    await inventory.receive(warehouse, item, 5)
    order = new_id()
    await inventory.reserve(order, (item, 4))
    await commit(inventory, order)

    released = await inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order, reason="退款 𠮷"))

    assert released.reservation.status == pb.RESERVATION_STATUS_RELEASED
    assert released.reservation.release_reason == "退款 𠮷"
    assert await stock_row(inventory, warehouse, item) == (5, 0)
    assert (await ledger(inventory, item))[-1] == ("RELEASE", 0, -4)
    refused = await commit_refused(inventory, order)
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    assert refused.metadata["from"] == "RELEASED"


async def test_commit_is_idempotent_on_its_request_id(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("ONCE")
    await inventory.receive(warehouse, item, 5)
    order, other, request_id = new_id(), new_id(), new_id()
    await inventory.reserve(order, (item, 1))
    await inventory.reserve(other, (item, 1))

    first = await commit(inventory, order, request_id=request_id)
    again = await commit(inventory, order, request_id=request_id)
    reused = await commit_refused(inventory, other, request_id=request_id)

    assert again == first
    assert (reused.code, reused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "IDEMPOTENCY_KEY_REUSED")
    assert (await reservation_of(inventory, other)).status == pb.RESERVATION_STATUS_HELD
    committed = await eventually(lambda: inventory.published(events_pb2.ReservationCommitted, order_id=order))
    assert len(committed) == 1


async def test_a_committed_order_reserving_again_gets_its_reservation(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("REPEAT")
    await inventory.receive(warehouse, item, 5)
    order = new_id()
    await inventory.reserve(order, (item, 2))
    await commit(inventory, order)

    again = await inventory.reserve(order, (item, 2))
    with pytest.raises(oms_client.OmsRpcError) as other_quantities:
        await inventory.reserve(order, (item, 3))

    assert (again.created, again.reservation.status) == (False, pb.RESERVATION_STATUS_COMMITTED)
    assert other_quantities.value.reason == "RESERVATION_MISMATCH"
    listed = await inventory.client.ListReservations(
        pb.ListReservationsRequest(sku=item, status=pb.RESERVATION_STATUS_COMMITTED)
    )
    assert [r.order_id for r in listed.reservations] == [order]


async def test_commit_without_a_reservation_is_not_found(inventory: Inventory):
    refused = await commit_refused(inventory, new_id())
    assert (refused.code, refused.reason) == (grpc.StatusCode.NOT_FOUND, "RESERVATION_NOT_FOUND")


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"order_id": "not-a-uuid"}, "order_id"), ({"order_id": new_id(), "request_id": ""}, "request_id")],
)
async def test_bad_commit_requests_name_the_field(inventory: Inventory, fields: dict[str, str], field: str):
    order_id = fields.pop("order_id")
    refused = await commit_refused(inventory, order_id, **fields)
    assert refused.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in refused.violations] == [field]


async def test_the_saga_commits_and_a_warehouse_may_not(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("ROLE")
    await inventory.receive(warehouse, item, 1)
    order = new_id()
    await inventory.acting_as("service").Reserve(
        pb.ReserveRequest(request_id=new_id(), order_id=order, lines=[pb.ReserveLine(sku=item, quantity=1)])
    )

    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.acting_as("warehouse").Commit(pb.CommitRequest(request_id=new_id(), order_id=order))
    committed = await inventory.acting_as("service").Commit(pb.CommitRequest(request_id=new_id(), order_id=order))

    assert (refused.value.code, refused.value.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_NOT_ALLOWED")
    assert committed.reservation.status == pb.RESERVATION_STATUS_COMMITTED

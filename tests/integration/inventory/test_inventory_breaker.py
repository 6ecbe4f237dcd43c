"""The breaker, the pressure flag and the Redis admission gate, against real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import oms_client
import pytest
from oms.inventory.v1 import events_pb2, inventory_pb2
from prometheus_client import REGISTRY

from services.inventory.application.breaker import resume_sku
from services.inventory.application.commands import ReceiveStock, ReserveStock, ResumeSku, UpsertWarehouse
from services.inventory.application.ports import Dependencies
from services.inventory.application.reservations import reserve_stock
from services.inventory.application.stock import receive_stock, upsert_warehouse
from services.inventory.domain.errors import InsufficientStock, PausedSku
from services.inventory.domain.model import RequestedLine
from services.inventory.domain.rules import BreakerPolicy
from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Clock, Inventory, sku
from tests.support import eventually

pb = inventory_pb2


def marker_key(inventory: Inventory, item: str, kind: str) -> str:
    return f"{inventory.prefix}:inventory:gate:marker:{kind}:{item}"


async def markers(inventory: Inventory, item: str) -> set[str]:
    """The gate's markers of ``item`` ("SOLD_OUT", "PAUSED")."""
    return {kind for kind in ("SOLD_OUT", "PAUSED") if await inventory.redis.exists(marker_key(inventory, item, kind))}


async def sold_out(inventory: Inventory, label: str) -> tuple[str, str]:
    """A warehouse and a SKU whose only unit is held by another order."""
    warehouse = await inventory.warehouse()
    item = sku(label)
    await inventory.receive(warehouse, item, 1)
    await inventory.reserve(new_id(), (item, 1))
    return warehouse, item


async def refusal(inventory: Inventory, item: str, quantity: int = 1) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.reserve(new_id(), (item, quantity))
    return refused.value


def refusals_counted() -> float:
    return REGISTRY.get_sample_value("oms_reservation_failures_total", {"reason": "INSUFFICIENT_STOCK"}) or 0.0


def trips_counted() -> float:
    return REGISTRY.get_sample_value("oms_sku_breaker_trips_total") or 0.0


async def test_breaker_pauses_after_three_failures_and_resume_clears_it(inventory: Inventory):
    warehouse, item = await sold_out(inventory, "BREAK")
    refused_before, trips_before = refusals_counted(), trips_counted()

    first, second, third = [await refusal(inventory, item) for _ in range(3)]
    fourth = await refusal(inventory, item)

    # What the dashboards show: every refusal by reason, the trip, and the hot SKU's stock.
    assert (refusals_counted() - refused_before, trips_counted() - trips_before) == (4, 1)

    assert [e.reason for e in (first, second, third)] == ["INSUFFICIENT_STOCK"] * 3
    assert first.metadata == {"sku": item, "requested": "1", "available": "0", "available_in_one_warehouse": "0"}
    # Paused and still sold out: the shortage is the answer (from the gate), marked paused.
    assert (fourth.code, fourth.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_STOCK")
    assert fourth.metadata == {
        "sku": item,
        "requested": "1",
        "available": "0",
        "available_in_one_warehouse": "0",
        "paused": "true",
    }
    assert (await inventory.availability(item)).paused
    assert REGISTRY.get_sample_value("oms_stock_available", {"sku": item}) == 0
    assert await markers(inventory, item) == {"PAUSED", "SOLD_OUT"}
    (alert,) = await eventually(lambda: inventory.published(events_pb2.SkuPaused, sku=item))
    assert (alert.failures, alert.window_seconds) == (3, 300)

    # Stock arrives while the SKU is paused: now only the pause stands between an order and the stock.
    await inventory.receive(warehouse, item, 5)
    assert await markers(inventory, item) == {"PAUSED"}
    paused = await refusal(inventory, item)
    too_many = await refusal(inventory, item, quantity=6)

    assert paused.code == grpc.StatusCode.FAILED_PRECONDITION
    assert (paused.reason, paused.metadata) == ("SKU_PAUSED", {"sku": item})
    assert (too_many.reason, too_many.metadata["available"], too_many.metadata["paused"]) == (
        "INSUFFICIENT_STOCK",
        "5",
        "true",
    )

    resumed = await inventory.client.ResumeSku(pb.ResumeSkuRequest(request_id=new_id(), sku=item, note="补货"))

    # Refusals of a paused SKU are not counted again: resuming starts from a clean window.
    assert (resumed.status.paused, resumed.status.recent_failures) == (False, 0)
    assert not (await inventory.availability(item)).paused
    assert await markers(inventory, item) == set()
    assert (await inventory.reserve(new_id(), (item, 5))).created
    (note,) = await eventually(lambda: inventory.published(events_pb2.SkuResumed, sku=item))
    assert note.note == "补货"


async def test_a_sku_paused_with_stock_left_is_answered_by_what_each_order_asks(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("BIGASK")
    await inventory.receive(warehouse, item, 2)
    for _ in range(3):
        await refusal(inventory, item, quantity=3)
    assert await markers(inventory, item) == {"PAUSED"}

    small = await refusal(inventory, item, quantity=2)
    large = await refusal(inventory, item, quantity=3)

    assert small.reason == "SKU_PAUSED"
    assert large.reason == "INSUFFICIENT_STOCK"
    assert large.metadata == {
        "sku": item,
        "requested": "3",
        "available": "2",
        "available_in_one_warehouse": "2",
        "paused": "true",
    }
    assert (await inventory.availability(item)).reserved == 0


async def test_resume_of_an_unknown_sku_is_not_found(inventory: Inventory):
    with pytest.raises(oms_client.OmsRpcError) as refused:
        await inventory.client.ResumeSku(pb.ResumeSkuRequest(request_id=new_id(), sku=sku("GHOST")))
    assert refused.value.reason == "SKU_NOT_FOUND"


async def test_sold_out_marker_is_set_on_failure_and_cleared_by_a_receipt(inventory: Inventory):
    warehouse, item = await sold_out(inventory, "MARK")

    await refusal(inventory, item)
    assert await markers(inventory, item) == {"SOLD_OUT"}
    await inventory.receive(warehouse, item, 2)

    assert await markers(inventory, item) == set()
    assert (await inventory.reserve(new_id(), (item, 2))).created


async def test_a_partial_shortfall_does_not_close_the_sku_to_smaller_orders(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("PART")
    await inventory.receive(warehouse, item, 2)

    too_many = await refusal(inventory, item, quantity=5)

    assert too_many.metadata["available"] == "2"
    assert await markers(inventory, item) == set()
    assert (await inventory.reserve(new_id(), (item, 2))).created


async def test_a_repeated_reserve_of_an_order_is_answered_despite_a_marker(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("REPEAT")
    await inventory.receive(warehouse, item, 1)
    order = new_id()
    first = await inventory.reserve(order, (item, 1))
    await refusal(inventory, item)
    assert await markers(inventory, item) == {"SOLD_OUT"}

    again = await inventory.reserve(order, (item, 1))

    assert again.created is False
    assert again.reservation.reservation_id == first.reservation.reservation_id


async def test_release_clears_the_sold_out_marker(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("FREE")
    await inventory.receive(warehouse, item, 1)
    order = new_id()
    await inventory.reserve(order, (item, 1))
    await refusal(inventory, item)

    assert await markers(inventory, item) == {"SOLD_OUT"}

    await inventory.client.Release(pb.ReleaseRequest(request_id=new_id(), order_id=order))

    assert await markers(inventory, item) == set()
    assert (await inventory.reserve(new_id(), (item, 1))).created


async def test_reconcile_rebuilds_markers_from_the_database(inventory: Inventory):
    warehouse = await inventory.warehouse()
    stocked, empty = sku("STOCKED"), sku("EMPTY")
    await inventory.receive(warehouse, stocked, 4)
    await inventory.receive(warehouse, empty, 1)
    await inventory.reserve(new_id(), (empty, 1))
    _, tripped = await sold_out(inventory, "TRIPPED")
    for _ in range(3):
        await refusal(inventory, tripped)
    await inventory.redis.delete(*(marker_key(inventory, tripped, kind) for kind in ("SOLD_OUT", "PAUSED")))
    await inventory.redis.set(marker_key(inventory, stocked, "SOLD_OUT"), "SOLD_OUT")
    # A key of the layout before markers were kept apart is stale whatever it says.
    legacy = f"{inventory.prefix}:inventory:gate:marker:{empty}"
    await inventory.redis.set(legacy, "PAUSED")

    report = await inventory.client.Reconcile(pb.ReconcileRequest(request_id=new_id()))

    assert report.gate_enabled
    assert report.markers_removed >= 2 and report.markers_set >= 3
    assert report.paused_skus >= 1 and report.sold_out_skus >= 2
    assert await markers(inventory, stocked) == set()
    assert await markers(inventory, empty) == {"SOLD_OUT"}
    assert await markers(inventory, tripped) == {"SOLD_OUT", "PAUSED"}
    assert not await inventory.redis.exists(legacy)
    assert (await inventory.reserve(new_id(), (stocked, 4))).created


async def test_pressure_is_flagged_once_when_reserved_exceeds_30_percent_of_available(inventory: Inventory):
    warehouse = await inventory.warehouse()
    item = sku("PRESSURE")
    await inventory.receive(warehouse, item, 10)

    await inventory.reserve(new_id(), (item, 2))  # 2 of 8 available: 25%
    assert not (await inventory.availability(item)).pressure_high
    await inventory.reserve(new_id(), (item, 1))  # 3 of 7: 43%
    await inventory.reserve(new_id(), (item, 1))  # 4 of 6: still high, no second alert

    assert (await inventory.availability(item)).pressure_high
    (alert,) = await eventually(lambda: inventory.published(events_pb2.StockPressureHigh, sku=item))
    assert (alert.reserved, alert.available, alert.threshold_percent) == (3, 7, 30)
    await inventory.receive(warehouse, item, 100)
    assert not (await inventory.availability(item)).pressure_high


async def test_breaker_counts_failures_in_a_sliding_window_without_a_gate(handlers):
    clock = Clock()
    deps = Dependencies(clock=clock, breaker=BreakerPolicy(threshold=3, window=timedelta(minutes=5)))
    code = "W-" + new_id()[-10:]
    warehouse = (await upsert_warehouse(UpsertWarehouse(new_id(), code, "仓", ()), handlers(), deps)).warehouse
    item = sku("WINDOW")
    await receive_stock(ReceiveStock(new_id(), warehouse.warehouse_id, item, 1), handlers(), deps)

    async def fail_at(minute: int) -> None:
        clock.now = datetime(2024, 11, 11, 0, minute, tzinfo=UTC)
        with pytest.raises(InsufficientStock):
            await reserve_stock(ReserveStock(new_id(), new_id(), (RequestedLine(item, 2),)), handlers(), deps)

    await fail_at(0)
    await fail_at(4)
    await fail_at(6)  # the failure at minute 0 has left the window: two count
    await fail_at(7)  # three inside five minutes: trips
    with pytest.raises(PausedSku):
        await reserve_stock(ReserveStock(new_id(), new_id(), (RequestedLine(item, 1),)), handlers(), deps)
    # Without a gate the database answers the same way: a shortage is a shortage, paused or not.
    with pytest.raises(InsufficientStock) as short:
        await reserve_stock(ReserveStock(new_id(), new_id(), (RequestedLine(item, 2),)), handlers(), deps)
    assert short.value.metadata["paused"] == "true"

    status = await resume_sku(ResumeSku(new_id(), item, ""), handlers(), deps)
    assert status.status.paused is False
    assert (await reserve_stock(ReserveStock(new_id(), new_id(), (RequestedLine(item, 1),)), handlers(), deps)).created


async def test_the_database_alone_never_oversells(handlers):
    """Without the Redis gate every one of 200 racing reservations reaches the stock row."""
    deps = Dependencies(clock=lambda: datetime.now(UTC), breaker=BreakerPolicy(threshold=10_000))
    code = "W-" + new_id()[-10:]
    warehouse = (await upsert_warehouse(UpsertWarehouse(new_id(), code, "仓", ()), handlers(), deps)).warehouse
    item = sku("RAW")
    await receive_stock(ReceiveStock(new_id(), warehouse.warehouse_id, item, 50), handlers(), deps)

    async def attempt() -> bool:
        try:
            await reserve_stock(ReserveStock(new_id(), new_id(), (RequestedLine(item, 1),)), handlers(), deps)
        except InsufficientStock:
            return False
        return True

    outcomes = await asyncio.gather(*(attempt() for _ in range(200)))

    assert outcomes.count(True) == 50
    async with handlers() as uow:
        (level,) = await uow.stock.levels([item])
    assert (level.on_hand, level.reserved, level.available) == (50, 50, 0)

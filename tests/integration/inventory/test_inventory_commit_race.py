"""Commit racing the expiry sweep on real PostgreSQL: exactly one of them wins each hold, and the stock agrees.

A module of its own: its clock runs ahead, so no service sweeper on real time may share the database.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.inventory.application.commands import CommitReservation, ReceiveStock, ReserveStock, UpsertWarehouse
from services.inventory.application.ports import Dependencies
from services.inventory.application.reservations import commit_reservation, expire_reservations, reserve_stock
from services.inventory.application.stock import receive_stock, upsert_warehouse
from services.inventory.domain.errors import ReservationExpired
from services.inventory.domain.model import RequestedLine, ReservationStatus
from shared.kernel.ids import new_id
from tests.integration.inventory.conftest import Clock, UnitOfWorkFactory, sku

ROUNDS = 8


async def test_commit_and_the_sweeper_racing_for_a_due_hold_settle_it_once(handlers: UnitOfWorkFactory):
    clock = Clock()
    deps = Dependencies(clock=clock)
    code = "W-" + new_id()[-10:]
    warehouse = (await upsert_warehouse(UpsertWarehouse(new_id(), code, "仓", ()), handlers(), deps)).warehouse
    item = sku("DUE")
    await receive_stock(ReceiveStock(new_id(), warehouse.warehouse_id, item, ROUNDS), handlers(), deps)
    outcomes: list[ReservationStatus] = []

    for _ in range(ROUNDS):
        order = new_id()
        await reserve_stock(ReserveStock(new_id(), order, (RequestedLine(item, 1),), ttl_seconds=60), handlers(), deps)
        clock.now += timedelta(seconds=61)

        committed, expired = await asyncio.gather(
            commit_reservation(CommitReservation(new_id(), order), handlers(), deps),
            expire_reservations(handlers(), deps),
            return_exceptions=True,
        )

        async with handlers() as uow:
            settled = await uow.reservations.by_order(order)
        assert settled is not None
        if settled.status is ReservationStatus.COMMITTED:
            assert committed.reservation == settled  # type: ignore[union-attr]
            assert expired == 0
            assert settled.expires_at is None
        else:
            assert settled.status is ReservationStatus.EXPIRED
            assert isinstance(committed, ReservationExpired)
            assert expired == 1
        outcomes.append(settled.status)

    async with handlers() as uow:
        (level,) = await uow.stock.levels([item])
    assert level.reserved == outcomes.count(ReservationStatus.COMMITTED)
    # The next sweep finds nothing: committed holds never expire.
    clock.now += timedelta(days=30)
    assert await expire_reservations(handlers(), deps) == 0

"""The Reserve hot path against real PostgreSQL: a constant, small number of statements whatever the lines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.application.commands import ReceiveStock, ReserveStock, UpsertWarehouse
from services.inventory.application.ports import Dependencies
from services.inventory.application.reservations import reserve_stock
from services.inventory.application.stock import receive_stock, upsert_warehouse
from services.inventory.domain.model import RequestedLine
from shared.db import create_engine, session_factory
from shared.kernel.ids import new_id
from shared.settings import ServiceSettings
from tests.integration.inventory.conftest import sku


@pytest.fixture(scope="module")
async def engine(database_url: str, redis_url: str) -> AsyncIterator[AsyncEngine]:
    settings = ServiceSettings(service_name="inventory", database_url=database_url, redis_url=redis_url)
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


async def test_a_reserve_sends_the_same_few_statements_for_one_line_or_twenty(engine: AsyncEngine):
    sessions = session_factory(engine)

    def uow() -> InventoryUnitOfWork:
        return InventoryUnitOfWork(sessions, source="inventory", stream="hotpath.inventory")

    deps = Dependencies(clock=lambda: datetime.now(UTC))
    warehouses = [
        (
            await upsert_warehouse(UpsertWarehouse(new_id(), f"H{i}-{new_id()[-6:]}", "仓", ()), uow(), deps)
        ).warehouse.warehouse_id
        for i in range(2)
    ]
    skus = [sku(f"HOT{i}") for i in range(20)]
    for warehouse_id in warehouses:
        for item in skus:
            await receive_stock(ReceiveStock(new_id(), warehouse_id, item, 1_000), uow(), deps)

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        counts = []
        for size in (1, 20):
            statements.clear()
            lines = tuple(RequestedLine(item, 1) for item in skus[:size])
            reserved = await reserve_stock(ReserveStock(new_id(), new_id(), lines), uow(), deps)
            assert len(reserved.reservation.lines) == size
            counts.append(len(statements))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    assert counts[0] == counts[1]
    own = [s for s in statements if "outbox" not in s and "NOTIFY" not in s and "INTO idempotency_keys" not in s]
    # One claims the order and locks its stock rows; one holds the stock, writes ledger, lines and answer.
    assert len(own) == 2
    assert "FOR NO KEY UPDATE" in own[0] and "INSERT INTO reservations" in own[0]
    assert all(table in own[1] for table in ("stock_items", "stock_movements", "reservation_lines", "idempotency"))
    # With the unit of work's idempotency claim and its outbox write and notification at commit.
    assert len(statements) <= 5

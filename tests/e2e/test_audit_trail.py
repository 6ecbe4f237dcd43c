"""The audit trail across real processes: an order's changes arrive as chained entries; tampering is found."""

from __future__ import annotations

import io

import pytest
from oms.audit.v1 import audit_pb2
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.e2e.conftest import Suite, stock_sku
from tests.e2e.test_place_order import order_request
from tests.support import eventually
from tools.oms.audit import BROKEN, INTACT, verify

pytestmark = pytest.mark.e2e


async def entries_of(suite: Suite, entity_type: str, entity_id: str) -> list[audit_pb2.AuditEntry]:
    reply = await suite.client("audit").QueryEntries(
        audit_pb2.QueryEntriesRequest(entity_type=entity_type, entity_id=entity_id)
    )
    return list(reply.entries)


async def test_an_order_is_on_the_record_and_tampering_is_found(suite: Suite):
    sku = await stock_sku(suite, units=3)
    placed = await suite.client("saga").PlaceOrder(order_request(sku))

    async def order_recorded() -> list[audit_pb2.AuditEntry]:
        entries = await entries_of(suite, "order", placed.order_id)
        return (
            entries
            if {"oms.orders.v1.OrderCreated", "oms.orders.v1.OrderPaid"} <= {e.source_event_type for e in entries}
            else []
        )

    entries = await eventually(order_recorded, timeout=20, message="the order's events reach the audit log")
    assert all(e.request_id and e.hash and e.prev_hash for e in entries)
    address = suite.stack.services["audit"].grpc_address
    quiet = Console(file=io.StringIO())
    assert await verify(address, chain="", console=quiet, credentials=suite.stack.credentials()) == INTACT

    engine = create_async_engine(suite.stack.services["audit"].database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
            await connection.execute(
                text("UPDATE audit_entries SET actor_subject = 'someone-else' WHERE entry_id = :e"),
                {"e": entries[0].entry_id},
            )
            await connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
    finally:
        await engine.dispose()

    report = io.StringIO()
    assert (
        await verify(
            address,
            chain=entries[0].chain,
            console=Console(file=report, width=200),
            credentials=suite.stack.credentials(),
        )
        == BROKEN
    )
    assert f"#{entries[0].sequence}" in report.getvalue()

"""Fixtures of the inventory integration tests: the service in-process, its database, its stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import oms_client
import pytest
from google.protobuf import message
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.inventory.v1 import inventory_pb2
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.bootstrap import Settings, build
from shared.kernel.ids import new_id
from shared.runtime import Infrastructure
from shared.settings import ServiceSettings
from tests.harness import running_service

UnitOfWorkFactory = Callable[[], InventoryUnitOfWork]
# Without auth_required a call acts as the role it declares (shared.grpc.auth).
ADMIN = (("x-oms-subject", "inventory-tests"), ("x-oms-role", "admin"))


@dataclass
class Inventory:
    """A running inventory service and direct access to what it writes."""

    client: Any
    engine: AsyncEngine
    redis: Redis
    stream: str
    prefix: str
    channel: Any

    def acting_as(self, role: str) -> Any:
        """A client that calls as ``role`` instead of admin."""
        caller = (("x-oms-subject", f"{role}-tests"), ("x-oms-role", role))
        return oms_client.ServiceClient.for_service(self.channel, "inventory", timeout=30, metadata=caller)

    async def warehouse(self, provinces: tuple[str, ...] = ()) -> str:
        code = "WH-" + new_id()[-12:]
        reply = await self.client.UpsertWarehouse(
            inventory_pb2.UpsertWarehouseRequest(
                request_id=new_id(), code=code, name=f"仓库 {code}", provinces=list(provinces)
            )
        )
        return reply.warehouse.warehouse_id

    async def receive(self, warehouse_id: str, sku: str, quantity: int) -> inventory_pb2.ReceiveStockResponse:
        return await self.client.ReceiveStock(
            inventory_pb2.ReceiveStockRequest(
                request_id=new_id(), warehouse_id=warehouse_id, sku=sku, quantity=quantity
            )
        )

    async def reserve(self, order_id: str, *lines: tuple[str, int], **fields: Any) -> inventory_pb2.ReserveResponse:
        request = inventory_pb2.ReserveRequest(
            request_id=fields.pop("request_id", new_id()),
            order_id=order_id,
            lines=[inventory_pb2.ReserveLine(sku=sku, quantity=quantity) for sku, quantity in lines],
            **fields,
        )
        return await self.client.Reserve(request, timeout=fields.get("timeout", 60))

    async def availability(self, sku: str) -> inventory_pb2.SkuAvailability:
        reply = await self.client.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[sku]))
        return reply.items[0]

    async def events(self, kind: type[message.Message]) -> list[message.Message]:
        """The events of ``kind`` published so far on the inventory stream."""
        found = []
        for _, fields in await self.redis.xrange(self.stream):
            envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
            if envelope.type == kind.DESCRIPTOR.full_name:
                event = kind()
                envelope.payload.Unpack(event)
                found.append(event)
        return found

    async def published(self, kind: type[message.Message], **match: str) -> list[message.Message]:
        """The events of ``kind`` whose fields equal ``match`` (poll it with ``eventually``)."""
        return [e for e in await self.events(kind) if all(getattr(e, k) == v for k, v in match.items())]


async def stock_row(inventory: Inventory, warehouse_id: str, item: str) -> tuple[int, int]:
    async with inventory.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT on_hand, reserved FROM stock_items WHERE sku = :s AND warehouse_id = :w"),
                {"s": item, "w": warehouse_id},
            )
        ).one()
    return row.on_hand, row.reserved


async def ledger(inventory: Inventory, item: str) -> list[tuple[str, int, int]]:
    async with inventory.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT type, on_hand_delta, reserved_delta FROM stock_movements WHERE sku = :s ORDER BY id"),
            {"s": item},
        )
        return [(row.type, row.on_hand_delta, row.reserved_delta) for row in rows]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 11, 11, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def sku(label: str = "SKU") -> str:
    """A SKU of this test only (tests share one database)."""
    return f"{label}-{new_id()[-12:]}"


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("inventory")


@pytest.fixture(scope="module")
async def inventory(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[Inventory]:
    settings = Settings(
        service_name="inventory",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        sweep_interval_seconds=0.2,
        # Tests reconcile by calling Reconcile; a periodic run would race with their assertions.
        gate_reconcile_interval_seconds=3600,
        db_pool_size=20,
    )
    engine = create_async_engine(database_url)
    redis = Redis.from_url(redis_url)
    async with running_service(settings, build) as channel:
        yield Inventory(
            # An admin may call every RPC (services/inventory/permissions.yaml); role tests pass their own.
            client=oms_client.ServiceClient.for_service(channel, "inventory", timeout=30, metadata=ADMIN),
            engine=engine,
            redis=redis,
            stream=settings.stream_name("inventory"),
            prefix=stream_prefix,
            channel=channel,
        )
    await redis.aclose()
    await engine.dispose()


@pytest.fixture
async def handlers(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on the module's database, for tests that call the handlers with their own clock."""
    settings = ServiceSettings(
        service_name="inventory", database_url=database_url, redis_url=redis_url, stream_prefix=stream_prefix
    )
    infrastructure = Infrastructure.connect(settings)
    yield infrastructure.unit_of_work(InventoryUnitOfWork)
    await infrastructure.close()

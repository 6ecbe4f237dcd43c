"""The running suite for end-to-end tests: every service as its own process, started like `oms up`."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.pricing.v1 import pricing_pb2

from shared.kernel.ids import new_id
from tools.oms.stack import Stack, StackConfig, drop_databases

# Short intervals so expiry and recovery happen within a test's patience; everything else is as shipped.
E2E_ENV = {
    "OMS_SWEEP_INTERVAL_SECONDS": "0.2",
    "OMS_SAGA_RECOVERY_INTERVAL_SECONDS": "1",
    "OMS_SAGA_LEASE_SECONDS": "3",
    "OMS_TRACE_EXPORT_DELAY_MS": "100",
}


@dataclass
class Suite:
    """A running stack and one client per service, for the tests to call."""

    stack: Stack
    channels: dict[str, object]

    def client(self, service: str, timeout: float = 30.0, role: str = "admin") -> oms_client.ServiceClient:
        """A client of ``service`` calling with a token of ``role`` (the services enforce roles)."""
        return oms_client.ServiceClient.for_service(
            self.channels[service], service, timeout=timeout, metadata=self.stack.credentials(role, f"e2e-{role}")
        )

    def reconnect(self, service: str) -> None:
        # A channel of its own subchannels: gRPC otherwise shares the old channel's connection to the killed
        # process, still backing off after the refused connects, and fails calls fast with its stale error.
        self.channels[service] = oms_client.connect(
            self.stack.services[service].grpc_address, options=(("grpc.use_local_subchannel_pool", 1),)
        )


@pytest.fixture(scope="session")
async def suite(test_servers, tmp_path_factory) -> AsyncIterator[Suite]:
    state_dir = tmp_path_factory.mktemp("stack")
    state_dir.chmod(0o755)
    prefix = f"oms_e2e_{secrets.token_hex(3)}_"
    config = StackConfig(
        state_dir=state_dir,
        database_url=test_servers.database_url,
        redis_url=test_servers.redis_url,
        database_prefix=prefix,
        stream_prefix=prefix.rstrip("_"),
        extra_env=E2E_ENV,
        owner_command="pytest",
    )
    stack = await Stack.start(config)
    channels = {
        name: oms_client.connect(service.grpc_address)
        for name, service in stack.services.items()
        if service.grpc_address
    }
    try:
        yield Suite(stack, channels)
    finally:
        for channel in channels.values():
            await channel.close()
        await stack.stop()
        await drop_databases(test_servers.database_url, [s.database for s in stack.services.values()])


def money(amount_minor: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency="CNY")


async def stock_sku(suite: Suite, *, units: int, price: int = 9_900, prefix: str = "E2E") -> str:
    """A new SKU with ``units`` on hand in a new warehouse and a price (cost and floor well below it)."""
    sku = f"{prefix}-{secrets.token_hex(4).upper()}"
    await suite.client("pricing").SetPrices(
        pricing_pb2.SetPricesRequest(
            request_id=new_id(),
            prices=[
                pricing_pb2.SkuPrice(sku=sku, unit_price=money(price), cost=money(price // 3), floor=money(price // 2))
            ],
        )
    )
    warehouse = await suite.client("inventory").UpsertWarehouse(
        inventory_pb2.UpsertWarehouseRequest(request_id=new_id(), code=f"W{secrets.token_hex(3)}", name="测试仓")
    )
    await suite.client("inventory").ReceiveStock(
        inventory_pb2.ReceiveStockRequest(
            request_id=new_id(), warehouse_id=warehouse.warehouse.warehouse_id, sku=sku, quantity=units, reference="e2e"
        )
    )
    return sku


async def availability(suite: Suite, sku: str) -> inventory_pb2.SkuAvailability:
    reply = await suite.client("inventory").GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[sku]))
    (item,) = reply.items
    return item

"""Fixtures of the gateway integration tests: the services it fronts, served in-process on the test servers,
and the gateway app over real channels to them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.pricing.v1 import pricing_pb2

from services.customers import bootstrap as customers
from services.gateway.adapters.app import HttpPolicy, create_app
from services.gateway.adapters.upstream import connect_channels, upstreams_over
from services.gateway.domain.rate_limit import BucketPolicy, RateLimiter
from services.inventory import bootstrap as inventory
from services.orders import bootstrap as orders
from services.payments import bootstrap as payments
from services.pricing import bootstrap as pricing
from services.refunds import bootstrap as refunds
from services.saga import bootstrap as saga
from shared.auth import Principal, TokenAuthority
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import free_ports

SECRET = "integration-secret-of-the-gateway-0123456789"
AUTHORITY = TokenAuthority(SECRET)
# Started in this order: the saga needs every other one.
PARTICIPANTS = {
    "customers": customers,
    "pricing": pricing,
    "inventory": inventory,
    "payments": payments,
    "orders": orders,
    "refunds": refunds,
}


def bearer(subject: str = "agent-7", role: str = "customer_service", **scope: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {AUTHORITY.issue(Principal(subject=subject, role=role, **scope))}"}


@dataclass
class Suite:
    """The running services: their addresses (what the gateway is given) and clients to set up data."""

    addresses: dict[str, str]
    clients: dict[str, Any]
    warehouse_id: str

    async def stock(self, sku: str, *, quantity: int, unit_price: int, currency: str = "CNY") -> None:
        """A SKU with a price (floor at half the price) and ``quantity`` units on hand."""

        def money(amount: int) -> common_pb2.Money:
            return common_pb2.Money(amount_minor=amount, currency=currency)

        await self.clients["pricing"].SetPrices(
            pricing_pb2.SetPricesRequest(
                request_id=new_id(),
                prices=[
                    pricing_pb2.SkuPrice(
                        sku=sku, unit_price=money(unit_price), cost=money(unit_price // 3), floor=money(unit_price // 2)
                    )
                ],
            )
        )
        if quantity:
            await self.clients["inventory"].ReceiveStock(
                inventory_pb2.ReceiveStockRequest(
                    request_id=new_id(), warehouse_id=self.warehouse_id, sku=sku, quantity=quantity
                )
            )


@contextlib.contextmanager
def environment(variables: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration (the saga reads its peers' addresses from OMS_<PEER>_ADDRESS)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
async def suite(service_database: Any, redis_url: str, stream_prefix: str) -> AsyncIterator[Suite]:
    names = [*PARTICIPANTS, "saga"]
    addresses = {name: f"127.0.0.1:{port}" for name, port in zip(names, free_ports(len(names)), strict=True)}
    async with contextlib.AsyncExitStack() as stack:
        clients: dict[str, Any] = {}

        async def start(name: str, module: Any, **extra: Any) -> None:
            settings = module.Settings(
                service_name=name,
                database_url=await service_database(name),
                redis_url=redis_url,
                stream_prefix=stream_prefix,
                grpc_address=addresses[name],
                auth_secret=SECRET,
                # Six services share the test server with the rest of the team's runs: keep few connections.
                db_pool_size=2,
                db_max_overflow=3,
                **extra,
            )
            channel = await stack.enter_async_context(running_service(settings, module.build))
            # Test data is set up the way an operator would: with an admin token (the matrices refuse the rest).
            clients[name] = oms_client.ServiceClient.for_service(
                channel, name, timeout=30.0, metadata=[("authorization", bearer("setup", "admin")["Authorization"])]
            )

        # Paid orders stay PAID here (no auto-review), so the routes' answers are predictable.
        extra = {"payments": {"payments_sandbox_callbacks": False}, "orders": {"auto_review": False}}
        for name, module in PARTICIPANTS.items():
            await start(name, module, **extra.get(name, {}))
        with environment({f"OMS_{name.upper()}_ADDRESS": addresses[name] for name in PARTICIPANTS}):
            await start("saga", saga)
        warehouse = await clients["inventory"].UpsertWarehouse(
            inventory_pb2.UpsertWarehouseRequest(
                request_id=new_id(), code="GW-" + new_id()[-8:], name="嘉兴仓", provinces=["浙江省"]
            )
        )
        yield Suite(addresses, clients, warehouse.warehouse.warehouse_id)


GATEWAY_UPSTREAMS = ("orders", "saga", "payments", "inventory", "pricing", "refunds")


def gateway_addresses(suite: Suite) -> dict[str, str]:
    return {name: suite.addresses[name] for name in GATEWAY_UPSTREAMS}


@contextlib.asynccontextmanager
async def gateway_client(
    suite: Suite, *, limiter: RateLimiter | None = None, max_body_bytes: int = 64 * 1024, with_refunds: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app over its own traced channels (as in production), called in-process."""
    addresses = gateway_addresses(suite)
    if not with_refunds:
        del addresses["refunds"]
    channels = connect_channels(addresses)
    app = create_app(
        upstreams_over(channels),
        AUTHORITY,
        limiter if limiter is not None else RateLimiter(BucketPolicy(rate_per_second=10_000.0, burst=10_000)),
        HttpPolicy(max_body_bytes=max_body_bytes),
    )
    try:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=60.0) as client:
            yield client
    finally:
        for channel in channels.values():
            await channel.close()


@pytest.fixture(scope="session")
async def gateway(suite: Suite) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway_client(suite) as client:
        yield client

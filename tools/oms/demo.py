"""What ``oms demo`` does with a running stack: check every service's health, seed a small catalogue, place a
few hundred orders through the saga (some refused on purpose: declined cards, a SKU that sells out), and print
a summary."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import oms_client
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.pricing.v1 import pricing_pb2
from oms.saga.v1 import saga_pb2
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.kernel.ids import new_id
from tools.oms.stack import SERVING, Stack

DEMO_ORDERS = 300
Credentials = tuple[tuple[str, str], ...]
ORDER_SERVICES = ("customers", "pricing", "inventory", "payments", "orders", "saga")

CURRENCY = "CNY"
LIMITED_SKU = "DEMO-LIMITED-EDITION"
CATALOGUE = {  # sku: (unit price, cost, floor) in fen
    "DEMO-TEA-500G": (12_800, 6_000, 8_000),
    "DEMO-MUG-CERAMIC": (4_900, 1_800, 2_500),
    "DEMO-SOFA-3SEAT": (120_000, 70_000, 80_000),
    "DEMO-LAMP-DESK": (25_900, 11_000, 15_000),
    LIMITED_SKU: (59_900, 30_000, 40_000),
}
LIMITED_STOCK = 40
AMPLE_STOCK = 1_000_000
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "𠮷野家", "赵磊", "周杰"]


def money(amount_minor: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency=CURRENCY)


@dataclass
class DemoSummary:
    placed: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def orders_per_second(self) -> float:
        return self.placed / self.elapsed if self.elapsed else 0.0

    def percentile(self, fraction: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(fraction * 100) - 1]


async def seed(addresses: Mapping[str, str], run_id: str, credentials: Credentials = ()) -> None:
    """One warehouse with stock of every demo SKU, and their prices; safe to run on every demo.

    ``credentials`` must carry a role that may set prices and receive stock (operations or admin)."""
    inventory_channel = oms_client.connect(addresses["inventory"])
    pricing_channel = oms_client.connect(addresses["pricing"])
    try:
        inventory = oms_client.ServiceClient.for_service(inventory_channel, "inventory", metadata=credentials)
        pricing = oms_client.ServiceClient.for_service(pricing_channel, "pricing", metadata=credentials)
        await pricing.SetPrices(
            pricing_pb2.SetPricesRequest(
                request_id=f"demo-prices-{run_id}",
                prices=[
                    pricing_pb2.SkuPrice(sku=sku, unit_price=money(price), cost=money(cost), floor=money(floor))
                    for sku, (price, cost, floor) in CATALOGUE.items()
                ],
            )
        )
        warehouse = await inventory.UpsertWarehouse(
            inventory_pb2.UpsertWarehouseRequest(
                request_id=f"demo-warehouse-{run_id}",
                code="JX",
                name="嘉兴仓 Jiaxing",
                provinces=["浙江省", "江苏省", "上海市"],
            )
        )
        availability = await inventory.GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=list(CATALOGUE)))
        on_hand = {item.sku: item.available for item in availability.items}
        for sku in CATALOGUE:
            wanted = LIMITED_STOCK if sku == LIMITED_SKU else AMPLE_STOCK
            if on_hand.get(sku, 0) < wanted:
                await inventory.ReceiveStock(
                    inventory_pb2.ReceiveStockRequest(
                        request_id=f"demo-stock-{sku}-{run_id}",
                        warehouse_id=warehouse.warehouse.warehouse_id,
                        sku=sku,
                        quantity=wanted - on_hand.get(sku, 0),
                        reference="demo seed",
                    )
                )
    finally:
        await inventory_channel.close()
        await pricing_channel.close()


def demo_order(number: int, rng: random.Random) -> saga_pb2.PlaceOrderRequest:
    """A plausible own-site order; about 5% pay with a card that the sandbox declines."""
    name = rng.choice(NAMES)
    address = common_pb2.Address(
        recipient=name,
        phone=f"138{rng.randrange(10**8):08d}",
        country="CN",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        detail=f"文三路 {number} 号",
    )
    skus = rng.sample(sorted(CATALOGUE), k=rng.randint(1, 2))
    return saga_pb2.PlaceOrderRequest(
        request_id=new_id(),
        customer=saga_pb2.CustomerDetails(name=name, phone=address.phone, address=address),
        lines=[saga_pb2.OrderLine(sku=sku, quantity=rng.randint(1, 2)) for sku in skus],
        shipping_address=address,
        payment_method=saga_pb2.PaymentMethod(
            provider="sandbox", token="tok_decline" if rng.random() < 0.05 else "tok_ok"
        ),
        channel="OWN_SITE",
        order_type=saga_pb2.ORDER_TYPE_REGULAR,
        currency=CURRENCY,
    )


async def place_orders(
    saga_address: str,
    count: int,
    *,
    credentials: Credentials = (),
    concurrency: int = 16,
    seed_value: int = 7,
    console: Console | None = None,
) -> DemoSummary:
    """Place ``count`` orders through the saga with at most ``concurrency`` in flight."""
    rng = random.Random(seed_value)
    requests = [demo_order(n, rng) for n in range(count)]
    summary = DemoSummary()
    channel = oms_client.connect(saga_address)
    saga = oms_client.ServiceClient.for_service(channel, "saga", timeout=30.0, metadata=credentials)
    gate = asyncio.Semaphore(concurrency)
    progress = Progress(
        TextColumn("placing orders"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )

    async def place(request: saga_pb2.PlaceOrderRequest, task: object) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                await saga.PlaceOrder(request)
                summary.placed += 1
            except oms_client.OmsRpcError as error:
                summary.refused[error.reason] += 1
            summary.latencies.append(time.perf_counter() - started)
            progress.advance(task)

    started = time.perf_counter()
    try:
        with progress:
            task = progress.add_task("orders", total=count)
            await asyncio.gather(*(place(r, task) for r in requests))
    finally:
        await channel.close()
    summary.elapsed = time.perf_counter() - started
    return summary


def print_summary(summary: DemoSummary, console: Console) -> None:
    table = Table(title="Demo: orders through the saga")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("placed (paid, stock reserved)", str(summary.placed))
    for reason, count in sorted(summary.refused.items()):
        table.add_row(f"refused: {reason}", str(count))
    table.add_row("orders/s (placed)", f"{summary.orders_per_second:.1f}")
    table.add_row("p50 latency", f"{summary.percentile(0.50) * 1000:.1f} ms")
    table.add_row("p99 latency", f"{summary.percentile(0.99) * 1000:.1f} ms")
    console.print(table)


async def check_health(stack: Stack, console: Console) -> bool:
    """Print every service's health; return whether all are SERVING."""
    health = await stack.health(timeout=2.0)
    table = Table(title="Service health", title_justify="left")
    table.add_column("service")
    table.add_column("address")
    table.add_column("health")
    for name, status in health.items():
        style = "green" if status == SERVING else "red"
        table.add_row(name, stack.services[name].address, f"[{style}]{status}[/{style}]")
    console.print(table)
    healthy = all(status == SERVING for status in health.values())
    if not health:
        console.print("[yellow]no services are present yet; only PostgreSQL and Redis ran[/yellow]")
    elif healthy:
        console.print(f"[green]all {len(health)} services are SERVING[/green]")
    else:
        unhealthy = sorted(name for name, status in health.items() if status != SERVING)
        console.print(f"[red]not serving: {', '.join(unhealthy)}[/red]")
    return healthy


async def run_demo(stack: Stack, console: Console | None = None) -> bool:
    """Exercise the running ``stack`` and print what happened; return whether everything went well."""
    console = console or Console()
    if not await check_health(stack, console):
        return False
    addresses = {name: service.grpc_address for name, service in stack.services.items() if service.grpc_address}
    missing = [name for name in ORDER_SERVICES if name not in addresses]
    if missing:
        console.print(f"[yellow]not placing orders: {', '.join(missing)} not present[/yellow]")
        return True
    await seed(addresses, run_id=new_id(), credentials=stack.credentials("operations", "demo-operator"))
    shopper = stack.credentials("service", "svc:demo-storefront")
    summary = await place_orders(addresses["saga"], DEMO_ORDERS, credentials=shopper, console=console)
    print_summary(summary, console)
    expected = {"INSUFFICIENT_STOCK", "PAYMENT_DECLINED"}
    return summary.placed > 0 and set(summary.refused) <= expected

"""Benchmark of ReserveMany against Reserve: the same orders over a few SKUs held one call each or in batches.

Runs against a fresh database made on the server of OMS_TEST_DATABASE_URL (dropped afterwards), calling the
handlers as the servicer does (no gRPC), and prints reserves/s and CPU per reserve of each way:

    OMS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m benchmarks.inventory_reserve_many --orders 5000 --batch 500 --concurrency 8 --skus 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.application.commands import (
    OrderToReserve,
    ReceiveStock,
    ReserveMany,
    ReserveStock,
    UpsertWarehouse,
)
from services.inventory.application.ports import Dependencies
from services.inventory.application.reservations import reserve_many, reserve_stock
from services.inventory.application.stock import receive_stock, upsert_warehouse
from services.inventory.domain.model import RequestedLine
from shared.db import create_engine, session_factory
from shared.kernel.ids import new_id
from shared.migrations import prepare_database
from shared.settings import ServiceSettings
from tools.oms.stack import drop_databases


async def _run(args: argparse.Namespace, admin_url: str) -> None:
    name = f"oms_bench_inventory_{secrets.token_hex(4)}"
    try:
        await _measure(args, await prepare_database(admin_url, name, "inventory"))
    finally:
        await drop_databases(admin_url, [name])


async def _measure(args: argparse.Namespace, url: str) -> None:
    settings = ServiceSettings(
        service_name="inventory",
        database_url=url,
        redis_url="redis://127.0.0.1:6379/0",  # never connected: the benchmark runs without the gate
        db_pool_size=args.concurrency,
        db_max_overflow=0,
    )
    engine = create_engine(settings)
    sessions = session_factory(engine)
    unit_of_work: Callable[[], InventoryUnitOfWork] = lambda: InventoryUnitOfWork(  # noqa: E731
        sessions, source="inventory", stream="bench.inventory"
    )
    deps = Dependencies(clock=lambda: datetime.now(UTC))
    try:
        warehouses = [
            (
                await upsert_warehouse(UpsertWarehouse(new_id(), f"B{i}", f"bench {i}", ()), unit_of_work(), deps)
            ).warehouse.warehouse_id
            for i in range(args.warehouses)
        ]
        skus = [f"BENCH-{i}-𠮷" for i in range(args.skus)]
        for warehouse_id in warehouses:
            for sku in skus:
                await receive_stock(ReceiveStock(new_id(), warehouse_id, sku, 10**9), unit_of_work(), deps)
        gate = asyncio.Semaphore(args.concurrency)

        def lines(i: int) -> tuple[RequestedLine, ...]:
            return tuple(RequestedLine(skus[(i + j) % len(skus)], 1) for j in range(args.lines))

        async def one(i: int) -> None:
            async with gate:
                await reserve_stock(ReserveStock(new_id(), new_id(), lines(i)), unit_of_work(), deps)

        async def batch(first: int) -> None:
            orders = tuple(OrderToReserve(new_id(), lines(i)) for i in range(first, first + args.batch))
            async with gate:
                result = await reserve_many(ReserveMany(new_id(), orders), unit_of_work(), deps)
            assert all(outcome.created for outcome in result.results)

        async def timed(calls: list) -> tuple[float, float]:
            started, cpu_started = time.perf_counter(), time.process_time()
            await asyncio.gather(*calls)
            return time.perf_counter() - started, time.process_time() - cpu_started

        await asyncio.gather(*(one(i) for i in range(args.concurrency)))  # warm the pool
        single = await timed([one(i) for i in range(args.orders)])
        batched = await timed([batch(first) for first in range(0, args.orders, args.batch)])
    finally:
        await engine.dispose()

    sys.stdout.write(
        f"orders={args.orders} batch={args.batch} concurrency={args.concurrency} skus={args.skus}"
        f" lines={args.lines} warehouses={args.warehouses}\n"
    )
    for label, (elapsed, cpu) in (("Reserve", single), ("ReserveMany", batched)):
        sys.stdout.write(
            f"{label:<12} throughput={args.orders / elapsed:.0f} reserves/s elapsed={elapsed:.2f}s"
            f" client cpu per reserve={cpu / args.orders * 1000:.3f}ms (this process; PostgreSQL's is apart)\n"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500, help="orders per ReserveMany (at most 1,000)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--skus", type=int, default=4)
    parser.add_argument("--lines", type=int, default=1, help="lines per order (distinct SKUs)")
    parser.add_argument("--warehouses", type=int, default=2)
    args = parser.parse_args()
    if args.lines > args.skus:
        parser.error("--lines must not exceed --skus")
    if not 1 <= args.batch <= 1000 or args.orders % args.batch:
        parser.error("--batch must be 1-1000 and divide --orders")
    admin_url = os.environ.get("OMS_TEST_DATABASE_URL")
    if not admin_url:
        parser.error("set OMS_TEST_DATABASE_URL to a PostgreSQL server the benchmark may create a database on")
    asyncio.run(_run(args, admin_url))


if __name__ == "__main__":
    main()

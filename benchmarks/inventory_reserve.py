"""Benchmark of the inventory Reserve handler: N concurrent reserves of distinct orders over a few SKUs.

Runs against a fresh database made on the server of OMS_TEST_DATABASE_URL (dropped afterwards) and prints
reserves/s, latency percentiles and the SQL statements one reserve sends:

    OMS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m benchmarks.inventory_reserve --orders 2000 --concurrency 32 --skus 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import event

from services.inventory.adapters.unit_of_work import InventoryUnitOfWork
from services.inventory.application.commands import ReceiveStock, ReserveStock, UpsertWarehouse
from services.inventory.application.ports import Dependencies
from services.inventory.application.reservations import reserve_stock
from services.inventory.application.stock import receive_stock, upsert_warehouse
from services.inventory.domain.model import RequestedLine
from shared.db import create_engine, session_factory
from shared.kernel.ids import new_id
from shared.migrations import prepare_database
from shared.settings import ServiceSettings
from tools.oms.stack import drop_databases


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


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

        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        # One reserve alone, to count its statements without the others' noise.
        event.listen(engine.sync_engine, "before_cursor_execute", count)
        await reserve_stock(ReserveStock(new_id(), new_id(), (RequestedLine(skus[0], 1),)), unit_of_work(), deps)
        event.remove(engine.sync_engine, "before_cursor_execute", count)

        gate = asyncio.Semaphore(args.concurrency)
        latencies: list[float] = []

        async def reserve(i: int) -> None:
            lines = tuple(RequestedLine(skus[(i + j) % len(skus)], 1) for j in range(args.lines))
            async with gate:
                started = time.perf_counter()
                await reserve_stock(ReserveStock(new_id(), new_id(), lines), unit_of_work(), deps)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(reserve(i) for i in range(min(args.concurrency, args.orders))))  # warm the pool
        latencies.clear()
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(reserve(i) for i in range(args.orders)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        await engine.dispose()

    sys.stdout.write(
        f"reserves={args.orders} concurrency={args.concurrency} skus={args.skus} lines={args.lines}"
        f" warehouses={args.warehouses}\n"
        f"throughput={args.orders / elapsed:.0f} reserves/s elapsed={elapsed:.2f}s\n"
        f"latency p50={_percentile(latencies, 0.5) * 1000:.1f}ms p99={_percentile(latencies, 0.99) * 1000:.1f}ms"
        f" mean={statistics.fmean(latencies) * 1000:.1f}ms\n"
        f"statements per reserve={statements}"
        f" client cpu per reserve={cpu / args.orders * 1000:.2f}ms (this process; PostgreSQL's is apart)\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--skus", type=int, default=4)
    parser.add_argument("--lines", type=int, default=1, help="lines per order (distinct SKUs)")
    parser.add_argument("--warehouses", type=int, default=2)
    args = parser.parse_args()
    if args.lines > args.skus:
        parser.error("--lines must not exceed --skus")
    admin_url = os.environ.get("OMS_TEST_DATABASE_URL")
    if not admin_url:
        parser.error("set OMS_TEST_DATABASE_URL to a PostgreSQL server the benchmark may create a database on")
    asyncio.run(_run(args, admin_url))


if __name__ == "__main__":
    main()

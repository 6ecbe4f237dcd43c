"""The machine's own limits, measured beside the suite's figures: the bare database order transaction and an
empty gRPC call. Closed loops at full speed on purpose: these are ceilings, not latency under a given load.

    OMS_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m benchmarks.baseline
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from shared.embedded import admin_database_url, free_ports
from shared.migrations import ensure_database
from tools.load.stats import LatencySummary
from tools.oms.stack import drop_databases

SKUS = 8
SCHEMA = """
CREATE TABLE stock (sku text PRIMARY KEY, on_hand bigint NOT NULL, reserved bigint NOT NULL DEFAULT 0,
                    CHECK (reserved >= 0 AND reserved <= on_hand));
CREATE TABLE orders (order_id uuid PRIMARY KEY, customer_name text NOT NULL, status text NOT NULL,
                     total_minor bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE order_lines (order_id uuid NOT NULL REFERENCES orders, line_no int NOT NULL, sku text NOT NULL,
                          quantity int NOT NULL, unit_price_minor bigint NOT NULL, PRIMARY KEY (order_id, line_no));
CREATE TABLE outbox (id bigserial PRIMARY KEY, aggregate_id uuid NOT NULL, event_type text NOT NULL,
                     payload bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
"""


async def closed_loop(
    action: Callable[[int], Awaitable[None]], *, seconds: float, concurrency: int, warmup: float = 1.0
) -> dict[str, Any]:
    """Run ``action`` back to back in ``concurrency`` workers; count what completes after the warm-up."""
    latencies: list[float] = []
    stop_at = time.perf_counter() + warmup + seconds
    measure_from = time.perf_counter() + warmup
    counter = 0

    async def worker(worker_id: int) -> None:
        nonlocal counter
        while (started := time.perf_counter()) < stop_at:
            counter += 1
            await action(counter)
            if started >= measure_from:
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return {
        "per_s": round(len(latencies) / seconds, 1),
        "concurrency": concurrency,
        "seconds": seconds,
        "latency": LatencySummary.of(latencies).to_json(),
    }


async def bare_order_transactions(admin_url: str, *, seconds: float, concurrency: int) -> dict[str, Any]:
    """One order as the suite's hot path writes it, minus everything else: insert the order and its two
    lines, reserve each line's stock with a conditional update, write an outbox row; one transaction."""
    name = f"oms_bench_bare_{secrets.token_hex(4)}"
    url = admin_database_url(await ensure_database(admin_url, name))
    try:
        pool = await asyncpg.create_pool(url, min_size=concurrency, max_size=concurrency)
        try:
            async with pool.acquire() as connection:
                await connection.execute(SCHEMA)
                await connection.executemany(
                    "INSERT INTO stock (sku, on_hand) VALUES ($1, $2)", [(f"SKU-{i}", 10**12) for i in range(SKUS)]
                )

            async def order(number: int) -> None:
                order_id = uuid.uuid4()
                skus = sorted({f"SKU-{number % SKUS}", f"SKU-{(number * 7 + 3) % SKUS}"})
                async with pool.acquire() as connection, connection.transaction():
                    await connection.execute(
                        "INSERT INTO orders (order_id, customer_name, status, total_minor) VALUES ($1, $2, $3, $4)",
                        order_id,
                        "𠮷野家",
                        "PENDING_PAYMENT",
                        19_800,
                    )
                    await connection.executemany(
                        "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price_minor)"
                        " VALUES ($1, $2, $3, 1, 9900)",
                        [(order_id, i + 1, sku) for i, sku in enumerate(skus)],
                    )
                    for sku in skus:  # in SKU order, as the inventory service locks rows, so no deadlocks
                        done = await connection.execute(
                            "UPDATE stock SET reserved = reserved + 1 WHERE sku = $1 AND on_hand - reserved >= 1", sku
                        )
                        if done != "UPDATE 1":
                            raise RuntimeError(f"no stock of {sku}")
                    await connection.execute(
                        "INSERT INTO outbox (aggregate_id, event_type, payload) VALUES ($1, $2, $3)",
                        order_id,
                        "oms.orders.v1.OrderPlaced",
                        order_id.bytes * 8,
                    )

            return await closed_loop(order, seconds=seconds, concurrency=concurrency)
        finally:
            await pool.close()
    finally:
        await drop_databases(admin_url, [name])


async def serve_health(port: int) -> None:
    """A gRPC server with only the health service, as every suite service has (for the empty call)."""
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    sys.stdout.write("serving\n")
    sys.stdout.flush()
    await server.wait_for_termination()


async def empty_grpc_calls(*, seconds: float, concurrency: int) -> dict[str, Any]:
    """Health Check calls to a server in another process (so client and server do not share one core)."""
    (port,) = free_ports(1)
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.baseline", "serve-health", "--port", str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        await asyncio.wait_for(server.stdout.readline(), timeout=30)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            request = health_pb2.HealthCheckRequest(service="")

            async def call(_: int) -> None:
                await stub.Check(request, timeout=5)

            return await closed_loop(call, seconds=seconds, concurrency=concurrency)
    finally:
        server.terminate()
        with contextlib.suppress(ProcessLookupError):
            await server.wait()


async def measure(admin_url: str, *, seconds: float, concurrency: int) -> dict[str, Any]:
    return {
        "bare_order_transaction": await bare_order_transactions(admin_url, seconds=seconds, concurrency=concurrency),
        "empty_grpc_call": await empty_grpc_calls(seconds=seconds, concurrency=concurrency),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="measure", choices=("measure", "serve-health"))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "serve-health":
        asyncio.run(serve_health(args.port))
        return
    admin_url = os.environ.get("OMS_TEST_DATABASE_URL")
    if not admin_url:
        parser.error("set OMS_TEST_DATABASE_URL to a PostgreSQL server the benchmark may create a database on")
    result = asyncio.run(measure(admin_url, seconds=args.seconds, concurrency=args.concurrency))
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

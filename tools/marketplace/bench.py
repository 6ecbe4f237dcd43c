"""Benchmark of channel ingest: IngestChannelOrders over real gRPC into a fresh orders database.

Serves the orders service in this process (the same runtime as production, outbox relay included), or with
``--processes N`` runs it as ``python -m services.orders`` with OMS_PROCESSES=N (N processes on one port), makes
``--orders`` realistic platform payloads with the marketplace's factory, and sends them in batches of
``--batch`` with ``--concurrency`` calls in flight; prints orders/s for new orders and for a re-delivery of
the same orders (all UNCHANGED):

    .venv/bin/python -m tools.marketplace.bench --orders 20000 --batch 1000 --concurrency 2 [--processes 2]

on the embedded servers of ``.oms/`` (as ``oms up`` runs them), or on the servers that OMS_TEST_DATABASE_URL
(a database it may create databases with) and OMS_TEST_REDIS_URL name.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator

import oms_client
from oms.orders.v1 import orders_pb2

from services.orders.bootstrap import Settings, build
from services.orders.domain.channels import PLATFORMS
from services.orders.domain.values import Channel
from shared.embedded import LocalServers, admin_database_url, free_ports
from shared.kernel.ids import new_id
from shared.migrations import prepare_database
from shared.runtime import serve, tune_garbage_collector
from tools.load.cpu import CpuMeter, cpu_used
from tools.marketplace.payloads import OrderFactory, encode
from tools.oms.stack import drop_databases, wait_serving


async def _send(
    clients: list[oms_client.ServiceClient],
    channel: int,
    batches: list[list[bytes]],
    concurrency: int,
    meter: CpuMeter,
) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int, records: list[bytes]) -> None:
        async with gate:
            reply = await clients[index % len(clients)].IngestChannelOrders(
                orders_pb2.IngestChannelOrdersRequest(request_id=new_id(), channel=channel, records=records),
                timeout=120,
            )
            if reply.failed:
                raise SystemExit(f"{reply.failed} records failed: {reply.results[0]}")

    started, before = time.perf_counter(), meter.reading()
    await asyncio.gather(*(one(index, batch) for index, batch in enumerate(batches)))
    elapsed = time.perf_counter() - started
    used = cpu_used(before, meter.reading())
    count = sum(map(len, batches))
    shares = ", ".join(f"{group} {seconds / count * 1e6:.0f}" for group, seconds in sorted(used.items()))
    print(f"  CPU per order (us): {shares}")
    return elapsed


def _service_environment(args: argparse.Namespace, url: str, redis_url: str) -> dict[str, str]:
    """The orders service's settings for the run (as OMS_* variables: a spawned service reads them too)."""
    return {
        "OMS_DATABASE_URL": url,
        "OMS_REDIS_URL": redis_url,
        "OMS_STREAM_PREFIX": f"bench{secrets.token_hex(3)}",
        "OMS_SURGE_FLOOR_ORDERS": str(10**9),
        "OMS_GRPC_MAX_MESSAGE_BYTES": str(64 * 1024 * 1024),
        "OMS_STOCK_SYNC_INTERVAL_SECONDS": "3600",
        "OMS_RELAY_ENABLED": "false" if args.without_relay else "true",
        "OMS_PROCESSES": str(max(args.processes, 1)),
    }


@contextlib.asynccontextmanager
async def _in_this_process(environment: dict[str, str]) -> AsyncIterator[tuple[str, dict[str, int]]]:
    """Serve orders inside the bench process (its CPU then shows as the load generator's)."""
    os.environ.update(environment)
    settings = Settings(service_name="orders")
    stop = asyncio.Event()
    port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    service = asyncio.create_task(serve(settings, build, stop=stop, ready=port.set_result))
    await asyncio.wait([service, port], return_when=asyncio.FIRST_COMPLETED)
    tune_garbage_collector(settings.gc_threshold)  # as `python -m services.orders` does once serving
    try:
        yield f"127.0.0.1:{port.result()}", {}
    finally:
        stop.set()
        await service


@contextlib.asynccontextmanager
async def _as_processes(environment: dict[str, str]) -> AsyncIterator[tuple[str, dict[str, int]]]:
    """Run ``python -m services.orders`` (OMS_PROCESSES of them on one port), as in production."""
    address = f"127.0.0.1:{free_ports(1)[0]}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.orders",
        env={**os.environ, **environment, "OMS_GRPC_ADDRESS": address, "OMS_LOG_LEVEL": "WARNING"},
    )
    try:
        exited = asyncio.ensure_future(process.wait())
        serving = asyncio.ensure_future(wait_serving(address, timeout=60))
        await asyncio.wait([exited, serving], return_when=asyncio.FIRST_COMPLETED)
        if not serving.done() or serving.exception() is not None:
            serving.cancel()
            raise SystemExit(f"the orders service did not start (exit code {process.returncode})")
        exited.cancel()
        yield address, {"orders service": process.pid}
    finally:
        process.terminate()
        await process.wait()


async def _measure(args: argparse.Namespace, url: str, redis_url: str) -> None:
    channel = Channel[args.channel]
    platform = PLATFORMS[channel]
    factory = OrderFactory(prefix=secrets.token_hex(2))
    made = time.perf_counter()
    records = [encode(platform, factory.make()) for _ in range(args.orders)]
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    print(
        f"made {len(records)} {platform} payloads ({sum(map(len, records)) // len(records)} bytes each) "
        f"in {time.perf_counter() - made:.1f}s"
    )
    environment = _service_environment(args, url, redis_url)
    served = _as_processes(environment) if args.processes else _in_this_process(environment)
    async with served as (address, service_pids):
        meter = CpuMeter(service_pids)
        # Several connections, each its own subchannel, and calls dealt round them: with several processes on the
        # port the kernel spreads connections (by a hash), not calls, so a few connections could all land on one.
        connections = [
            oms_client.connect(
                address,
                tracing=False,
                options=[("grpc.max_send_message_length", 64 * 1024 * 1024), ("grpc.use_local_subchannel_pool", 1)],
            )
            for _ in range(max(args.concurrency, 8 * args.processes))
        ]
        try:
            clients = [oms_client.ServiceClient.for_service(c, "orders") for c in connections]
            number = orders_pb2.Channel.Value(f"CHANNEL_{channel.value}")
            where = f"{args.processes} service processes" if args.processes else "served in this process"
            created = await _send(clients, number, batches, args.concurrency, meter)
            print(
                f"created   {args.orders} orders in {created:.2f}s: {args.orders / created:,.0f} orders/s "
                f"(batches of {args.batch}, {args.concurrency} in flight, {where})"
            )
            again = await _send(clients, number, batches, args.concurrency, meter)
            print(f"unchanged {args.orders} orders in {again:.2f}s: {args.orders / again:,.0f} orders/s (re-delivery)")
        finally:
            for connection in connections:
                await connection.close()


async def _run(args: argparse.Namespace, admin_url: str, redis_url: str) -> None:
    name = f"oms_bench_orders_{secrets.token_hex(4)}"
    try:
        await _measure(args, await prepare_database(admin_url, name, "orders"), redis_url)
    finally:
        await drop_databases(admin_url, [name])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--channel", default="TMALL", choices=[c.value for c in Channel])
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="run the orders service as its own OMS_PROCESSES processes (0: serve it inside the bench process)",
    )
    parser.add_argument(
        "--without-relay", action="store_true", help="leave the events in the outbox (measures ingest alone)"
    )
    args = parser.parse_args()
    admin_url = os.environ.get("OMS_TEST_DATABASE_URL")
    redis_url = os.environ.get("OMS_TEST_REDIS_URL")
    if admin_url and redis_url:
        asyncio.run(_run(args, admin_url, redis_url))
        return
    # No servers named: the embedded ones of the state dir (.oms/ by default), as `oms up` starts them.
    with LocalServers() as servers:
        asyncio.run(_run(args, admin_database_url(servers.database_url), servers.redis_url))


if __name__ == "__main__":
    main()

"""Pull mode against the simulated marketplace: paging by cursor, back-off on 429 and 5xx, slow pages,
duplicates, out-of-order updates and malformed records, with every order ingested exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import oms_client
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from oms.orders.v1 import orders_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.orders.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually
from tools.marketplace.payloads import Consignee, OrderFactory
from tools.marketplace.server import MarketplaceServer
from tools.marketplace.store import Marketplace

pb = orders_pb2
ST = orders_pb2.OrderStatus


@pytest.fixture(scope="module")
def marketplace() -> Iterator[MarketplaceServer]:
    with MarketplaceServer(Marketplace()) as server:
        yield server


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def channel(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[grpc.aio.Channel]:
    settings = Settings(
        service_name="orders",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        channel_pull_tick_seconds=0.05,
        channel_backoff_base_seconds=0.01,
        channel_backoff_cap_seconds=0.1,
        channel_page_attempts=8,
        surge_floor_orders=1_000_000,
        auto_review=False,  # these tests follow ingest; review has its own
    )
    async with running_service(settings, build) as channel:
        yield channel


@pytest.fixture(scope="module")
def ops(channel: grpc.aio.Channel) -> Any:
    return oms_client.ServiceClient.for_service(
        channel, "orders", metadata=(("x-oms-role", "operations"), ("x-oms-subject", "ops-lin"))
    )


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


def since(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


async def status_of(ops: Any, channel: int) -> orders_pb2.ChannelStatus:
    return (await ops.GetChannelStatus(pb.GetChannelStatusRequest(channel=channel))).status


async def pull_now(ops: Any, channel: int) -> datetime:
    """Ask for a round at once; returns when it was asked (a round is over when last_attempt_at passes it)."""
    asked = datetime.now(UTC)
    await ops.ConfigureChannel(pb.ConfigureChannelRequest(request_id=new_id(), channel=channel, pull_now=True))
    return asked


async def round_after(ops: Any, channel: int, asked: datetime) -> orders_pb2.ChannelStatus:
    async def finished() -> orders_pb2.ChannelStatus | None:
        status = await status_of(ops, channel)
        done = status.HasField("last_attempt_at") and status.last_attempt_at.ToDatetime(tzinfo=UTC) >= asked
        return status if done else None

    return await eventually(finished, timeout=20, message="a pull round finished")


async def channel_orders(engine: AsyncEngine, channel: str, prefix: str) -> dict[str, tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT channel_order_id, status, ship_detail FROM orders"
                " WHERE channel = :channel AND channel_order_id LIKE :prefix"
            ),
            {"channel": channel, "prefix": prefix + "%"},
        )
        return {row[0]: (row[1], row[2]) for row in rows}


async def test_a_misbehaving_marketplace_still_yields_every_order_exactly_once(
    ops: Any, marketplace: MarketplaceServer, engine: AsyncEngine
) -> None:
    factory = OrderFactory(prefix="81")
    orders = [factory.make() for _ in range(120)]
    market = marketplace.marketplace
    market.put("taobao", *orders)
    broken = {orders[10].order_id, orders[57].order_id, orders[99].order_id}
    market.set_faults(
        rate_limited=3, server_errors=2, slow_seconds=0.01, duplicates=True, junk_records=1, malformed=broken
    )
    asked = datetime.now(UTC)
    await ops.ConfigureChannel(
        pb.ConfigureChannelRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_TMALL,
            pull_enabled=True,
            endpoint_url=marketplace.url,
            interval_seconds=3600,
            page_size=25,
            pull_since=since(datetime(2026, 1, 1, tzinfo=UTC)),
        )
    )
    status = await round_after(ops, pb.CHANNEL_TMALL, asked)
    assert status.last_error == ""
    ingested = await channel_orders(engine, "TMALL", "81")
    assert set(ingested) == {o.order_id for o in orders} - broken
    assert all(order_status == "PAID" for order_status, _ in ingested.values())
    statuses = [code for platform, code in market.requests if platform == "taobao"]
    assert statuses.count(429) == 3 and statuses.count(500) == 2
    assert status.cursor
    hour = status.recent_hours[0]
    assert hour.attempts >= 1 and hour.successes >= 1 and hour.orders_created == 117
    failed = await ops.ListFailedIngests(pb.ListFailedIngestsRequest(channel=pb.CHANNEL_TMALL))
    reasons = sorted((f.channel_order_id, f.reason) for f in failed.failed_ingests)
    assert reasons == sorted([("", "MALFORMED_PAYLOAD"), *((i, "UNKNOWN_STATUS") for i in broken)])
    # The malformed records come back repaired: a re-pull cursor reset ingests them, the rest is unchanged.
    market.set_faults(malformed=set(), duplicates=False)
    await ops.ConfigureChannel(
        pb.ConfigureChannelRequest(request_id=new_id(), channel=pb.CHANNEL_TMALL, reset_cursor=True)
    )
    await round_after(ops, pb.CHANNEL_TMALL, await pull_now(ops, pb.CHANNEL_TMALL))
    assert set(await channel_orders(engine, "TMALL", "81")) == {o.order_id for o in orders}


async def test_updates_pulled_out_of_order_never_regress(
    ops: Any, marketplace: MarketplaceServer, engine: AsyncEngine
) -> None:
    factory = OrderFactory(prefix="82")
    orders = [factory.make() for _ in range(30)]
    market = marketplace.marketplace
    market.put("douyin", *orders)
    asked = datetime.now(UTC)
    await ops.ConfigureChannel(
        pb.ConfigureChannelRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_DOUYIN,
            pull_enabled=True,
            endpoint_url=marketplace.url,
            interval_seconds=3600,
            page_size=7,
            pull_since=since(datetime(2026, 1, 1, tzinfo=UTC)),
        )
    )
    await round_after(ops, pb.CHANNEL_DOUYIN, asked)
    later = datetime.now(UTC) + timedelta(minutes=1)
    cancelled = {o.order_id for o in orders[:10]}
    moved = {o.order_id for o in orders[10:20]}
    for order in orders[:10]:
        market.put("douyin", order.changed(later, status="CANCELLED"))
    for order in orders[10:20]:
        market.put(
            "douyin",
            order.changed(
                later, consignee=Consignee("新收件人", "13000000000", "浙江省", "嘉兴市", "南湖区", "新址 1 号")
            ),
        )
    # Every updated order is followed by its previous snapshot, and every record comes twice.
    market.set_faults(out_of_order=True, duplicates=True)
    await round_after(ops, pb.CHANNEL_DOUYIN, await pull_now(ops, pb.CHANNEL_DOUYIN))
    market.set_faults(out_of_order=False, duplicates=False)
    ingested = await channel_orders(engine, "DOUYIN", "82")
    assert len(ingested) == 30
    for order_id, (order_status, detail) in ingested.items():
        if order_id in cancelled:
            assert order_status == "CANCELLED"
        elif order_id in moved:
            assert (order_status, detail) == ("PAID", "新址 1 号")
        else:
            assert order_status == "PAID"


async def test_an_outage_fails_the_round_keeps_the_cursor_and_counts_against_the_success_rate(
    ops: Any, marketplace: MarketplaceServer
) -> None:
    factory = OrderFactory(prefix="83")
    market = marketplace.marketplace
    market.put("jd", *(factory.make() for _ in range(5)))
    asked = datetime.now(UTC)
    await ops.ConfigureChannel(
        pb.ConfigureChannelRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_JD,
            pull_enabled=True,
            endpoint_url=marketplace.url,
            interval_seconds=3600,
            pull_since=since(datetime(2026, 1, 1, tzinfo=UTC)),
        )
    )
    healthy = await round_after(ops, pb.CHANNEL_JD, asked)
    assert healthy.last_error == "" and healthy.cursor
    market.set_faults(server_errors=1000)
    try:
        failed = await round_after(ops, pb.CHANNEL_JD, await pull_now(ops, pb.CHANNEL_JD))
    finally:
        market.set_faults(server_errors=0)
    assert "HTTP 500" in failed.last_error
    assert failed.cursor == healthy.cursor
    assert failed.last_sync_at == healthy.last_sync_at
    hour = failed.recent_hours[0]
    assert hour.successes < hour.attempts and hour.success_rate < 1.0
    recovered = await round_after(ops, pb.CHANNEL_JD, await pull_now(ops, pb.CHANNEL_JD))
    assert recovered.last_error == ""
    assert recovered.last_sync_at.ToDatetime() > healthy.last_sync_at.ToDatetime()

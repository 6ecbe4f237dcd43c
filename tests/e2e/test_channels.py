"""Channel ingest end to end: six misbehaving platforms pulled by the running service; a race for stock."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from oms.orders.v1 import orders_pb2

from shared.kernel.ids import new_id
from tests.e2e.conftest import Suite, availability, stock_sku
from tests.support import eventually
from tools.marketplace.payloads import Buyer, Line, MarketOrder, OrderFactory, encode
from tools.marketplace.server import MarketplaceServer
from tools.marketplace.store import Marketplace

pb = orders_pb2

# Every channel of the hub and the platform format it speaks (the own site takes mini-program orders).
PLATFORMS = {
    pb.CHANNEL_TMALL: "taobao",
    pb.CHANNEL_JD: "jd",
    pb.CHANNEL_DOUYIN: "douyin",
    pb.CHANNEL_PINDUODUO: "pinduoduo",
    pb.CHANNEL_SHOPIFY: "shopify",
    pb.CHANNEL_OWN_SITE: "mini_program",
}
# The stack runs with auto-review on (as shipped) and active review rules: an order arriving paid is reviewed in
# the same transaction, and these small orders pass.
UNIFIED = {
    "PAID": pb.ORDER_STATUS_APPROVED,
    "UNPAID": pb.ORDER_STATUS_PENDING_PAYMENT,
    "CANCELLED": pb.ORDER_STATUS_CANCELLED,
}
ORDERS_PER_CHANNEL = 8
# Platforms whose buyer nickname the hub maps (a JD "pin" is an account, not a name); the others: the recipient.
NAMES_THE_BUYER = {"taobao", "douyin", "mini_program"}
# JD and Pinduoduo list paid orders only; the others also serve orders still awaiting payment.
LISTS_UNPAID = {"taobao", "douyin", "shopify", "mini_program"}
# The pull loop of the stack looks for due channels every 5 s (OMS_CHANNEL_PULL_TICK_SECONDS as shipped) and
# backs off 1 s, 2 s, ... on a failed page: a round with a few faults takes seconds, not milliseconds.
ROUND_SECONDS = 60


@pytest.fixture(scope="module")
def marketplace() -> Iterator[MarketplaceServer]:
    with MarketplaceServer(Marketplace()) as server:
        yield server


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment)
    return value


async def channel_status(orders: Any, channel: int) -> pb.ChannelStatus:
    return (await orders.GetChannelStatus(pb.GetChannelStatusRequest(channel=channel))).status


async def rounds_after(orders: Any, asked: datetime) -> dict[int, pb.ChannelStatus]:
    """Every channel's status once a pull round that started after ``asked`` has ended on it."""

    async def finished() -> dict[int, pb.ChannelStatus] | None:
        statuses = {channel: await channel_status(orders, channel) for channel in PLATFORMS}
        done = all(
            s.HasField("last_attempt_at") and s.last_attempt_at.ToDatetime(tzinfo=UTC) >= asked
            for s in statuses.values()
        )
        return statuses if done else None

    return await eventually(finished, timeout=ROUND_SECONDS, interval=0.2, message="a pull round on every channel")


async def channel_orders(orders: Any, channel: int, prefix: str) -> list[pb.Order]:
    """The channel's orders whose channel order id starts with ``prefix`` (every page of ListOrders)."""
    found: list[pb.Order] = []
    token = ""
    while True:
        reply = await orders.ListOrders(
            pb.ListOrdersRequest(channel=channel, page={"page_size": 500, "page_token": token})
        )
        found += [o for o in reply.orders if o.channel_order_id.startswith(prefix)]
        token = reply.page.next_page_token
        if not token:
            return found


async def test_six_misbehaving_channels_pulled_by_the_running_service_yield_every_order_once(
    suite: Suite, marketplace: MarketplaceServer
) -> None:
    orders = suite.client("orders")
    market = marketplace.marketplace
    sku = await stock_sku(suite, units=1_000, prefix="E2E-CH")
    run = f"{secrets.randbelow(9_000) + 1_000}"
    made: dict[int, list[MarketOrder]] = {}
    for index, (channel, platform) in enumerate(PLATFORMS.items()):
        factory = OrderFactory(prefix=f"{run}{index}")
        batch = [
            factory.make(
                status="UNPAID" if n == ORDERS_PER_CHANNEL - 1 and platform in LISTS_UNPAID else "PAID",
                lines=(Line(sku, 1 + n % 3, 2_990),),
                buyer=Buyer(f"buyer-{n}", f"𠮷田{n}号🛒"),
            )
            for n in range(ORDERS_PER_CHANNEL)
        ]
        made[channel] = batch
        market.put(platform, *batch)
    broken = made[pb.CHANNEL_TMALL][2].order_id
    market.set_faults(
        rate_limited=2, server_errors=2, duplicates=True, junk_records=1, malformed={broken}, retry_after_seconds=0.05
    )
    asked = datetime.now(UTC)
    for channel in PLATFORMS:
        configured = await orders.ConfigureChannel(
            pb.ConfigureChannelRequest(
                request_id=new_id(),
                channel=channel,
                pull_enabled=True,
                endpoint_url=marketplace.url,
                interval_seconds=3600,
                page_size=3,
                pull_since=stamp(datetime(2026, 1, 1, tzinfo=UTC)),
                pull_now=True,
            )
        )
        assert configured.status.pull_enabled and configured.status.platform == PLATFORMS[channel]
    first = await rounds_after(orders, asked)
    assert {c: s.last_error for c, s in first.items()} == dict.fromkeys(PLATFORMS, "")
    codes = [code for _, code in market.requests]
    assert codes.count(429) == 2 and codes.count(500) == 2

    # The buyers move on: one order per channel is cancelled, the unpaid one is paid, one gets a new address.
    # (On JD and Pinduoduo the last order was paid from the start: its new snapshot changes nothing.)
    later = datetime.now(UTC) + timedelta(minutes=1)
    latest: dict[int, dict[str, MarketOrder]] = {}
    for channel, batch in made.items():
        moved = [
            batch[0].changed(later, status="CANCELLED"),
            batch[1].changed(later, consignee=batch[3].consignee),
            batch[-1].changed(later, status="PAID"),
        ]
        market.put(PLATFORMS[channel], *moved)
        latest[channel] = {o.order_id: o for o in (*batch, *moved)}
    # Each updated order is followed by its previous snapshot, and every record comes twice.
    market.set_faults(out_of_order=True, duplicates=True, server_errors=1)
    asked = datetime.now(UTC)
    for channel in PLATFORMS:
        await orders.ConfigureChannel(pb.ConfigureChannelRequest(request_id=new_id(), channel=channel, pull_now=True))
    second = await rounds_after(orders, asked)
    assert {c: s.last_error for c, s in second.items()} == dict.fromkeys(PLATFORMS, "")
    # The orders came by pull: the service itself listed every platform and moved every cursor.
    assert {platform for platform, code in market.requests if code == 200} == set(PLATFORMS.values())
    assert all(s.cursor and s.cursor != first[c].cursor for c, s in second.items())

    expected = {
        channel: {oid: o for oid, o in snapshots.items() if oid != broken} for channel, snapshots in latest.items()
    }

    async def all_in() -> dict[int, list[pb.Order]]:
        found = {c: await channel_orders(orders, c, f"{run}{i}") for i, c in enumerate(PLATFORMS)}
        for c in PLATFORMS:
            listed = sorted((o.channel_order_id, pb.OrderStatus.Name(o.status)) for o in found[c])
            wanted = sorted((oid, pb.OrderStatus.Name(UNIFIED[o.status])) for oid, o in expected[c].items())
            # Raised, not returned: eventually tries again and, at the deadline, tells what differed.
            assert listed == wanted, f"{pb.Channel.Name(c)}: listed {listed}, expected {wanted}"
        return found

    found = await eventually(all_in, timeout=30, interval=0.2, message="every pulled order listed once, as last seen")
    created = {channel: {o.order_id: o for o in batch} for channel, batch in made.items()}
    for channel, listed in found.items():
        assert len({o.channel_order_id for o in listed}) == len(listed) == len(expected[channel])
        for order in listed:
            source = expected[channel][order.channel_order_id]
            # The customer is named when the order is created; a later change of address keeps that name.
            first_seen = created[channel][order.channel_order_id]
            named = first_seen.buyer.nickname if PLATFORMS[channel] in NAMES_THE_BUYER else first_seen.consignee.name
            assert order.customer_name == named, PLATFORMS[channel]
            assert order.shipping_address.recipient == source.consignee.name
            assert order.shipping_address.detail == source.consignee.detail
            assert order.total.amount_minor == source.total_fen
    # The factory's consignees include names outside the BMP; they must have come through unchanged.
    recipients = {o.shipping_address.recipient for listed in found.values() for o in listed}
    assert {"吉𠮷", "𠮷野家"} <= recipients

    failed = await orders.ListFailedIngests(pb.ListFailedIngestsRequest(page={"page_size": 500}))
    mine = [f for f in failed.failed_ingests if f.received_at.ToDatetime(tzinfo=UTC) >= asked - timedelta(minutes=5)]
    corrupted = [f for f in mine if f.channel_order_id == broken]
    assert len(corrupted) == 1
    assert corrupted[0].channel == pb.CHANNEL_TMALL and corrupted[0].reason == "UNKNOWN_STATUS"
    assert corrupted[0].state == pb.FAILED_INGEST_STATE_PENDING
    assert b"CORRUPTED" in corrupted[0].raw_payload
    junk = [f for f in mine if f.reason == "MALFORMED_PAYLOAD"]
    assert len(junk) == 1 and junk[0].channel_order_id == "" and junk[0].channel in PLATFORMS
    pending = await channel_status(orders, pb.CHANNEL_TMALL)
    assert pending.pending_failed_ingests == 1 + (junk[0].channel == pb.CHANNEL_TMALL)

    # Paid orders hold their units; the cancelled ones gave theirs back.
    held = sum(
        line.quantity
        for snapshots in expected.values()
        for order in snapshots.values()
        if order.status == "PAID"
        for line in order.lines
    )

    async def stock_settled() -> bool:
        level = await availability(suite, sku)
        return (level.on_hand, level.reserved) == (1_000, held)

    await eventually(stock_settled, timeout=30, interval=0.2, message="paid channel orders hold exactly their units")


async def test_two_channels_racing_for_the_last_units_sell_exactly_the_stock(suite: Suite) -> None:
    orders = suite.client("orders")
    sku = await stock_sku(suite, units=10, prefix="E2E-RACE")
    run = f"{secrets.randbelow(9_000) + 1_000}"
    tmall = OrderFactory(prefix=f"{run}1").make(lines=(Line(sku, 8, 990),))
    jd = OrderFactory(prefix=f"{run}2").make(lines=(Line(sku, 8, 990),))

    async def ingest(channel: int, platform: str, order: MarketOrder) -> str:
        reply = await orders.IngestChannelOrders(
            pb.IngestChannelOrdersRequest(request_id=new_id(), channel=channel, records=[encode(platform, order)])
        )
        assert reply.created == 1, reply
        return reply.results[0].order_id

    tmall_id, jd_id = await asyncio.gather(ingest(pb.CHANNEL_TMALL, "taobao", tmall), ingest(pb.CHANNEL_JD, "jd", jd))

    async def decided() -> dict[str, pb.Order]:
        found = {oid: (await orders.GetOrder(pb.GetOrderRequest(order_id=oid))).order for oid in (tmall_id, jd_id)}
        statuses = sorted(pb.OrderStatus.Name(o.status) for o in found.values())
        assert statuses == sorted(pb.OrderStatus.Name(s) for s in (UNIFIED["PAID"], pb.ORDER_STATUS_EXCEPTION)), [
            (o.status, o.hold_reason) for o in found.values()
        ]
        return found

    found = await eventually(decided, timeout=30, interval=0.2, message="one order held, the other refused")
    (loser,) = [o for o in found.values() if o.status == pb.ORDER_STATUS_EXCEPTION]
    assert loser.resume_status == UNIFIED["PAID"]
    assert loser.hold_reason.startswith("OUT_OF_STOCK")
    level = await availability(suite, sku)
    assert (level.on_hand, level.reserved, level.available) == (10, 8, 2)

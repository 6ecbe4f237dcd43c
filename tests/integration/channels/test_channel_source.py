"""The HTTP source of pull mode against the simulated marketplace over loopback: pages, cursors, exact
decimals, and each misbehaviour turned into the error the pull loop backs off on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import pytest

from services.orders.adapters.channel_source import HttpChannelSource
from services.orders.application.channel_ports import PullTarget
from services.orders.application.channel_pull import RateLimited, SourceUnavailable
from services.orders.domain.values import Channel
from tools.marketplace.payloads import Line, OrderFactory
from tools.marketplace.server import MarketplaceServer
from tools.marketplace.store import Marketplace


@pytest.fixture
def server() -> Iterator[MarketplaceServer]:
    with MarketplaceServer(Marketplace()) as running:
        yield running


def target(server: MarketplaceServer, platform: str = "pinduoduo") -> PullTarget:
    return PullTarget(Channel.PINDUODUO, platform, server.url + "/", 2, "", None, 300)


async def test_pages_come_with_their_cursor_and_exact_amounts(server: MarketplaceServer) -> None:
    factory = OrderFactory()
    orders = [factory.make(lines=(Line("SKU-BAG", 1, 9990),)) for _ in range(3)]
    server.marketplace.put("pinduoduo", *orders)
    source = HttpChannelSource(timeout_seconds=5)
    first = await source.fetch(target(server), "", 2)
    assert first.has_next and first.next_cursor
    assert [json.loads(r)["order_sn"] for r in first.records] == [o.order_id for o in orders[:2]]
    # The yuan number 99.90 travels on as its exact decimal text, never through a float.
    assert json.loads(first.records[0], parse_float=Decimal)["item_list"][0]["goods_price"] == "99.90"
    second = await source.fetch(target(server), first.next_cursor, 2)
    assert not second.has_next
    assert [json.loads(r)["order_sn"] for r in second.records] == [orders[2].order_id]


async def test_misbehaviour_becomes_the_errors_the_pull_loop_backs_off_on(server: MarketplaceServer) -> None:
    source = HttpChannelSource(timeout_seconds=0.3)
    server.marketplace.set_faults(rate_limited=1, retry_after_seconds=7, server_errors=1, garbage_pages=1)
    with pytest.raises(RateLimited) as limited:
        await source.fetch(target(server), "", 2)
    assert limited.value.retry_after == 7
    with pytest.raises(SourceUnavailable, match="HTTP 500"):
        await source.fetch(target(server), "", 2)
    with pytest.raises(SourceUnavailable, match="not an order listing"):
        await source.fetch(target(server), "", 2)
    server.marketplace.set_faults(slow_seconds=1.0)
    with pytest.raises(SourceUnavailable, match="unreachable"):
        await source.fetch(target(server), "", 2)
    server.marketplace.set_faults(slow_seconds=0.0)
    with pytest.raises(SourceUnavailable, match="HTTP 404"):
        await source.fetch(target(server, "aliexpress"), "", 2)


async def test_an_unreachable_channel_is_unavailable() -> None:
    dead = PullTarget(Channel.JD, "jd", "http://127.0.0.1:9", 10, "", None, 300)
    with pytest.raises(SourceUnavailable, match="unreachable"):
        await HttpChannelSource(timeout_seconds=1).fetch(dead, "", 10)

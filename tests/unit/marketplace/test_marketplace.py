"""Unit tests of the simulated marketplace: every platform's format maps back to the order it was made from,
listings page by cursor, and each kind of misbehaviour happens when asked (over real loopback HTTP)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest

from services.orders.adapters.channel_defaults import default_tables
from services.orders.domain.channel_mapping import build_profile, map_record, parse_payload
from tools.marketplace.payloads import LIST_KEYS, PLATFORMS, STATUSES, Line, OrderFactory, dumps, encode, render
from tools.marketplace.server import MarketplaceServer
from tools.marketplace.signing import sign_base64, sign_hex
from tools.marketplace.store import Marketplace

PROFILES = {t.platform: build_profile(t.channel, t.entries) for t in default_tables()}
# Statuses a platform does not list (JD and Pinduoduo only hand out paid orders).
UNLISTED = {("jd", "UNPAID"), ("pinduoduo", "UNPAID")}
# Shopify's financial status does not tell shipment apart from payment.
SEEN_AS = {("shopify", "SHIPPED"): "PAID"}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("status", STATUSES)
def test_each_format_maps_back_through_the_default_tables(platform: str, status: str) -> None:
    factory = OrderFactory(prefix="5")
    order = factory.make(status=status, lines=(Line("SKU-A", 2, 1234), Line("SKU-B", 1, 99)), discount_fen=100)
    if (platform, status) in UNLISTED:
        with pytest.raises(ValueError):
            render(platform, order)
        return
    snapshot = map_record(PROFILES[platform], parse_payload(encode(platform, order)))
    assert snapshot.channel_order_id == order.order_id
    assert snapshot.state.value == SEEN_AS.get((platform, status), status)
    assert snapshot.draft.total.amount_minor == order.total_fen == 2467
    assert [(line.sku, line.quantity, line.unit_price.amount_minor) for line in snapshot.draft.lines] == [
        ("SKU-A", 2, 1234),
        ("SKU-B", 1, 99),
    ]
    assert snapshot.created_at == order.created_at
    assert snapshot.modified_at == order.modified_at
    assert snapshot.draft.shipping_address.city == order.consignee.city


def test_pinduoduo_amounts_are_bare_json_numbers_with_their_decimals() -> None:
    text = encode("pinduoduo", OrderFactory().make(lines=(Line("SKU-A", 1, 9990),))).decode()
    assert '"goods_price": 99.90' in text
    assert json.loads(text, parse_float=Decimal)["item_list"][0]["goods_price"] == Decimal("99.90")
    assert dumps({"a": "吉𠮷"}) == '{"a": "吉𠮷"}'


def test_later_snapshots_carry_a_higher_version_and_modified_time() -> None:
    order = OrderFactory().make(status="UNPAID")
    paid = order.changed(order.modified_at + timedelta(minutes=1), status="PAID")
    assert (paid.version, paid.status) == (2, "PAID")
    assert paid.modified_at > order.modified_at and paid.created_at == order.created_at


def test_webhook_signatures_match_in_both_encodings() -> None:
    assert base64.b64decode(sign_base64("k" * 20, b"body")).hex() == sign_hex("k" * 20, b"body")


@pytest.fixture
def server() -> Iterator[MarketplaceServer]:
    with MarketplaceServer(Marketplace()) as running:
        yield running


def get(server: MarketplaceServer, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urlopen(Request(server.url + path), timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def listing(server: MarketplaceServer, platform: str, cursor: str = "", size: int = 10) -> dict:
    query = f"?page_size={size}" + (f"&cursor={cursor}" if cursor else "&modified_since=2026-01-01T00:00:00%2B00:00")
    status, _, body = get(server, f"/{platform}/orders{query}")
    assert status == 200, body
    return json.loads(body)


def test_listings_page_through_every_order_once(server: MarketplaceServer) -> None:
    factory = OrderFactory()
    orders = [factory.make() for _ in range(23)]
    server.marketplace.put("jd", *orders)
    seen, cursor = [], ""
    while True:
        page = listing(server, "jd", cursor, size=10)
        seen.extend(record["orderId"] for record in page[LIST_KEYS["jd"]])
        cursor = page["next_cursor"]
        if not page["has_next"]:
            break
    assert seen == [o.order_id for o in orders]
    # A later change puts the order after the cursor: the next round gets exactly it.
    changed = orders[3].changed(orders[-1].modified_at + timedelta(seconds=1), status="CANCELLED")
    server.marketplace.put("jd", changed)
    page = listing(server, "jd", cursor)
    assert [(r["orderId"], r["orderState"]) for r in page["orderInfoList"]] == [(changed.order_id, "TRADE_CANCELED")]
    assert not page["has_next"]


def test_rate_limits_server_errors_and_garbage_on_request(server: MarketplaceServer) -> None:
    server.marketplace.put("douyin", OrderFactory().make())
    server.marketplace.set_faults(rate_limited=1, retry_after_seconds=2, server_errors=1, garbage_pages=1)
    status, headers, _ = get(server, "/douyin/orders?page_size=5")
    assert status == 429 and headers["Retry-After"] == "2"
    assert get(server, "/douyin/orders?page_size=5")[0] == 500
    status, _, body = get(server, "/douyin/orders?page_size=5")
    assert status == 200 and body.startswith(b"<html>")
    assert len(listing(server, "douyin")["shop_order_list"]) == 1
    assert [s for _, s in server.marketplace.requests] == [429, 500, 200, 200]


def test_duplicates_out_of_order_snapshots_malformed_and_junk_records(server: MarketplaceServer) -> None:
    factory = OrderFactory()
    first, second = factory.make(status="UNPAID"), factory.make()
    paid = first.changed(first.modified_at + timedelta(seconds=5), status="PAID")
    server.marketplace.put("taobao", first, second, paid)
    server.marketplace.set_faults(out_of_order=True, duplicates=True, malformed=[second.order_id], junk_records=1)
    records = listing(server, "taobao")["trades"]
    assert records[0] == "not an order"
    statuses = [(str(r["tid"]), r["status"]) for r in records[1:]]
    assert statuses == [
        (second.order_id, "CORRUPTED"),
        (second.order_id, "CORRUPTED"),
        (first.order_id, "WAIT_SELLER_SEND_GOODS"),
        (first.order_id, "WAIT_SELLER_SEND_GOODS"),
        (first.order_id, "WAIT_BUYER_PAY"),
        (first.order_id, "WAIT_BUYER_PAY"),
    ]
    # Junk comes once; the rest stays until the faults are lifted.
    assert "not an order" not in listing(server, "taobao")["trades"]


def test_bad_requests_are_refused(server: MarketplaceServer) -> None:
    assert get(server, "/nowhere/orders")[0] == 404
    assert get(server, "/jd/orders?page_size=0")[0] == 400
    assert get(server, "/jd/orders?page_size=x")[0] == 400
    assert get(server, "/jd/orders?cursor=%%%")[0] == 400

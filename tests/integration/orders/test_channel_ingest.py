"""Channel ingest over real gRPC, PostgreSQL and Redis: every platform's payload, idempotency, updates in
order and never backwards, the failed-ingest queue, mapping tables as data, webhooks, events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import oms_client
import pytest
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.orders.v1 import events_pb2, orders_pb2
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.orders.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually
from tools.marketplace.payloads import Consignee, OrderFactory, encode
from tools.marketplace.signing import sign_base64, sign_hex

pb = orders_pb2
ST = orders_pb2.OrderStatus
OUT = orders_pb2.IngestOutcome
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"
CHANNEL_OF = {
    "taobao": pb.CHANNEL_TMALL,
    "jd": pb.CHANNEL_JD,
    "douyin": pb.CHANNEL_DOUYIN,
    "pinduoduo": pb.CHANNEL_PINDUODUO,
    "shopify": pb.CHANNEL_SHOPIFY,
    "mini_program": pb.CHANNEL_OWN_SITE,
}
SECRET = "s3cret-of-the-douyin-shop-0001"


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
        # The surge guard has its own test module; here it must not get in the way.
        surge_floor_orders=1_000_000,
        # Paid orders stay PAID, as mapped; auto-review of ingested orders is tested in test_fulfilment.py.
        auto_review=False,
    )
    async with running_service(settings, build) as channel:
        yield channel


@pytest.fixture(scope="module")
def client(channel: grpc.aio.Channel) -> Any:
    """The service account (the role channel connectors and the saga call with)."""
    return oms_client.ServiceClient.for_service(channel, "orders")


@pytest.fixture(scope="module")
def ops(channel: grpc.aio.Channel) -> Any:
    """An operator: configures channels and edits their mapping tables."""
    return oms_client.ServiceClient.for_service(
        channel, "orders", metadata=(("x-oms-role", "operations"), ("x-oms-subject", "ops-lin"))
    )


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


async def ingest(client: Any, channel: int, *records: bytes, request_id: str | None = None) -> Any:
    return await client.IngestChannelOrders(
        pb.IngestChannelOrdersRequest(request_id=request_id or new_id(), channel=channel, records=list(records))
    )


async def order_of(client: Any, order_id: str) -> orders_pb2.Order:
    return (await client.GetOrder(pb.GetOrderRequest(order_id=order_id))).order


def fixture(platform: str) -> bytes:
    return (FIXTURES / f"{platform}.json").read_bytes()


EXPECTED = {
    # platform: (channel order id, total minor, currency, customer name, recipient, province, sku, qty, created UTC)
    "taobao": ("4012345678901234567", 12800, "CNY", "t**小吉", "吉𠮷", "浙江省", "SKU-TEE-M", 2, "2026-11-10T16:00:05"),
    "jd": ("230000012345", 28700, "CNY", "李雷", "李雷", "江苏", "SKU-MUG", 3, "2026-11-10T16:01:00"),
    "douyin": ("6921234567890123456", 5900, "CNY", "抖音用户𠮷", "王芳", "广东省", "SKU-CAP", 1, "2026-11-10T16:02:00"),
    "pinduoduo": ("261111-080123456789012", 9490, "CNY", "赵敏", "赵敏", "四川省", "SKU-BAG", 1, "2026-11-10T16:02:00"),
    "shopify": (
        "450789469",
        1200,
        "USD",
        "Bob Norman",
        "Bob Norman",
        "Kentucky",
        "SKU-TEE-M",
        1,
        "2026-11-10T16:00:05",
    ),
    "mini_program": (
        "MP202611110000123",
        17900,
        "CNY",
        "小𠮷",
        "𠮷野家",
        "上海市",
        "SKU-LAMP",
        1,
        "2026-11-10T16:03:00",
    ),
}


@pytest.mark.parametrize("platform", sorted(EXPECTED))
async def test_each_platform_sample_becomes_a_paid_unified_order(client: Any, platform: str) -> None:
    reply = await ingest(client, CHANNEL_OF[platform], fixture(platform))
    assert reply.created == 1 and reply.failed == 0, reply
    result = reply.results[0]
    channel_order_id, total, currency, customer, recipient, province, sku, quantity, created = EXPECTED[platform]
    assert result.outcome == OUT.INGEST_OUTCOME_CREATED
    assert result.channel_order_id == channel_order_id
    order = await order_of(client, result.order_id)
    assert order.channel == CHANNEL_OF[platform]
    assert order.status == ST.ORDER_STATUS_PAID
    assert (order.total.amount_minor, order.total.currency) == (total, currency)
    assert order.customer_name == customer
    assert order.shipping_address.recipient == recipient
    assert order.shipping_address.province == province
    assert [(line.sku, line.quantity) for line in order.lines] == [(sku, quantity)]
    assert order.created_at.ToDatetime().isoformat() == created
    assert [h.to_status for h in order.history] == [ST.ORDER_STATUS_PENDING_PAYMENT, ST.ORDER_STATUS_PAID]
    assert order.payment_id.endswith(channel_order_id)


async def test_a_batch_is_idempotent_on_request_id_and_on_the_channel_order(client: Any) -> None:
    factory = OrderFactory(prefix="71")
    records = [encode("taobao", factory.make()) for _ in range(3)]
    request_id = new_id()
    first = await ingest(client, pb.CHANNEL_TMALL, *records, request_id=request_id)
    again = await ingest(client, pb.CHANNEL_TMALL, *records, request_id=request_id)
    assert first == again
    assert first.created == 3
    # The same orders re-pulled under another request id are the same orders, unchanged.
    repulled = await ingest(client, pb.CHANNEL_TMALL, *reversed(records))
    assert repulled.unchanged == 3 and repulled.created == 0
    assert [r.order_id for r in reversed(repulled.results)] == [r.order_id for r in first.results]
    with pytest.raises(oms_client.OmsRpcError) as reused:
        await ingest(client, pb.CHANNEL_TMALL, records[0], request_id=request_id)
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_duplicates_inside_one_batch_make_one_order(client: Any) -> None:
    record = encode("jd", OrderFactory(prefix="72").make())
    reply = await ingest(client, pb.CHANNEL_JD, record, record, record)
    outcomes = [r.outcome for r in reply.results]
    assert outcomes.count(OUT.INGEST_OUTCOME_CREATED) == 1
    assert outcomes.count(OUT.INGEST_OUTCOME_UNCHANGED) == 2
    assert len({r.order_id for r in reply.results}) == 1


async def test_concurrent_batches_of_the_same_orders_create_each_once(client: Any, engine: AsyncEngine) -> None:
    factory = OrderFactory(prefix="73")
    records = [encode("douyin", factory.make()) for _ in range(20)]
    replies = await asyncio.gather(*(ingest(client, pb.CHANNEL_DOUYIN, *records[i:] + records[:i]) for i in range(4)))
    assert sum(r.created for r in replies) == 20
    ids = {r.channel_order_id: r.order_id for reply in replies for r in reply.results}
    assert len(set(ids.values())) == 20
    async with engine.connect() as connection:
        count = await connection.scalar(
            text("SELECT count(*) FROM orders WHERE channel = 'DOUYIN' AND channel_order_id LIKE '73%'")
        )
    assert count == 20


async def test_updates_apply_in_platform_order_whatever_the_arrival_order(client: Any) -> None:
    factory = OrderFactory(prefix="74")
    base = factory.make(status="UNPAID")
    t = base.modified_at
    paid = base.changed(t + timedelta(minutes=1), status="PAID")
    moved = paid.changed(
        t + timedelta(minutes=2),
        consignee=Consignee("吉𠮷", "13900000000", "江苏省", "苏州市", "姑苏区", "新地址 8 号", "215000"),
    )
    cancelled = moved.changed(t + timedelta(minutes=3), status="CANCELLED")
    snapshots = [encode("mini_program", s) for s in (base, paid, moved, cancelled)]
    # Out of order: the address change first, then the oldest, the cancellation, the payment.
    outcomes = []
    for index in (2, 0, 3, 1):
        reply = await ingest(client, pb.CHANNEL_OWN_SITE, snapshots[index])
        outcomes.append(reply.results[0].outcome)
    assert outcomes == [
        OUT.INGEST_OUTCOME_CREATED,
        OUT.INGEST_OUTCOME_UNCHANGED,
        OUT.INGEST_OUTCOME_UPDATED,
        OUT.INGEST_OUTCOME_UNCHANGED,
    ]
    order = await order_of(client, reply.results[0].order_id)
    assert order.status == ST.ORDER_STATUS_CANCELLED
    assert order.shipping_address.province == "江苏省"
    assert [h.to_status for h in order.history] == [
        ST.ORDER_STATUS_PENDING_PAYMENT,
        ST.ORDER_STATUS_PAID,
        ST.ORDER_STATUS_CANCELLED,
    ]


async def test_in_order_updates_pay_move_and_cancel(client: Any) -> None:
    factory = OrderFactory(prefix="75")
    base = factory.make(status="UNPAID")
    t = base.modified_at
    first = await ingest(client, pb.CHANNEL_TMALL, encode("taobao", base))
    order_id = first.results[0].order_id
    assert (await order_of(client, order_id)).status == ST.ORDER_STATUS_PENDING_PAYMENT
    paid = base.changed(t + timedelta(minutes=1), status="PAID")
    assert (await ingest(client, pb.CHANNEL_TMALL, encode("taobao", paid))).updated == 1
    assert (await order_of(client, order_id)).status == ST.ORDER_STATUS_PAID
    moved = paid.changed(
        t + timedelta(minutes=2), consignee=Consignee("𠮷", "13700000000", "上海市", "上海市", "黄浦区", "外滩 1 号")
    )
    assert (await ingest(client, pb.CHANNEL_TMALL, encode("taobao", moved))).updated == 1
    order = await order_of(client, order_id)
    assert (order.shipping_address.recipient, order.shipping_address.detail) == ("𠮷", "外滩 1 号")
    assert order.status == ST.ORDER_STATUS_PAID
    # The older unpaid snapshot arriving late changes nothing.
    assert (await ingest(client, pb.CHANNEL_TMALL, encode("taobao", base))).unchanged == 1
    cancelled = moved.changed(t + timedelta(minutes=3), status="CANCELLED")
    assert (await ingest(client, pb.CHANNEL_TMALL, encode("taobao", cancelled))).updated == 1
    assert (await order_of(client, order_id)).status == ST.ORDER_STATUS_CANCELLED


async def test_a_channel_order_created_by_create_order_is_the_one_ingest_updates(client: Any) -> None:
    market = OrderFactory(prefix="70").make(status="UNPAID")
    created = await client.CreateOrder(
        pb.CreateOrderRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_OWN_SITE,
            channel_order_id=market.order_id,
            customer_id=new_id(),
            lines=[
                pb.OrderLineInput(
                    sku=line.sku, quantity=line.quantity, unit_price={"amount_minor": line.unit_fen, "currency": "CNY"}
                )
                for line in market.lines
            ],
            shipping_fee={"amount_minor": market.shipping_fen, "currency": "CNY"},
            discount_total={"amount_minor": market.discount_fen, "currency": "CNY"},
            total={"amount_minor": market.total_fen, "currency": "CNY"},
        )
    )
    first = await ingest(client, pb.CHANNEL_OWN_SITE, encode("mini_program", market))
    # The same order, now with the consignee the channel knows.
    assert first.results[0].outcome == OUT.INGEST_OUTCOME_UPDATED
    assert first.results[0].order_id == created.order.order_id
    order = await order_of(client, created.order.order_id)
    assert (order.status, order.shipping_address.recipient) == (ST.ORDER_STATUS_PENDING_PAYMENT, market.consignee.name)
    assert (await ingest(client, pb.CHANNEL_OWN_SITE, encode("mini_program", market))).unchanged == 1
    paid = market.changed(market.modified_at + timedelta(minutes=1), status="PAID")
    second = await ingest(client, pb.CHANNEL_OWN_SITE, encode("mini_program", paid))
    assert second.results[0].outcome == OUT.INGEST_OUTCOME_UPDATED
    assert (await order_of(client, created.order.order_id)).status == ST.ORDER_STATUS_PAID
    # First seen already paid, the snapshot pays the order CreateOrder made.
    other = OrderFactory(prefix="69").make(status="PAID")
    made = await client.CreateOrder(
        pb.CreateOrderRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_OWN_SITE,
            channel_order_id=other.order_id,
            customer_id=new_id(),
            lines=[
                pb.OrderLineInput(
                    sku=line.sku, quantity=line.quantity, unit_price={"amount_minor": line.unit_fen, "currency": "CNY"}
                )
                for line in other.lines
            ],
            shipping_fee={"amount_minor": other.shipping_fen, "currency": "CNY"},
            discount_total={"amount_minor": other.discount_fen, "currency": "CNY"},
            total={"amount_minor": other.total_fen, "currency": "CNY"},
        )
    )
    linked = await ingest(client, pb.CHANNEL_OWN_SITE, encode("mini_program", other))
    assert linked.results[0].outcome == OUT.INGEST_OUTCOME_UPDATED
    assert linked.results[0].order_id == made.order.order_id
    assert (await order_of(client, made.order.order_id)).status == ST.ORDER_STATUS_PAID


async def test_cancellation_after_shipment_flags_the_order(client: Any) -> None:
    factory = OrderFactory(prefix="76")
    base = factory.make(status="PAID")
    order_id = (await ingest(client, pb.CHANNEL_JD, encode("jd", base))).results[0].order_id
    for target in ("UNDER_REVIEW", "APPROVED", "ALLOCATED", "PICKING", "SHIPPED"):
        await client.TransitionOrder(
            pb.TransitionOrderRequest(
                request_id=new_id(),
                order_id=order_id,
                target_status=ST.Value(f"ORDER_STATUS_{target}"),
                tracking_number="SF1234567890",
            )
        )
    later = base.changed(base.modified_at + timedelta(hours=2), status="CANCELLED")
    reply = await ingest(client, pb.CHANNEL_JD, encode("jd", later))
    assert reply.updated == 1
    order = await order_of(client, order_id)
    assert order.status == ST.ORDER_STATUS_EXCEPTION
    assert order.resume_status == ST.ORDER_STATUS_SHIPPED
    assert order.hold_reason == "CHANNEL_CANCELLED_AFTER_SHIPMENT"


async def test_unmappable_records_go_to_the_failed_queue_and_the_rest_is_ingested(client: Any) -> None:
    factory = OrderFactory(prefix="77")
    good = encode("taobao", factory.make())
    unknown_status = json.loads(encode("taobao", factory.make()))
    unknown_status["status"] = "WAIT_SOMETHING_NEW"
    bad_amount = json.loads(encode("taobao", factory.make()))
    bad_amount["payment"] = "12.3.4"
    gbk = "吉先生".encode("gbk")
    records = [
        good,
        json.dumps(unknown_status, ensure_ascii=False).encode(),
        json.dumps(bad_amount, ensure_ascii=False).encode(),
        b'{"receiver_name": "' + gbk + b'"}',
        b"[1, 2, 3]",
        b'{"tid": 1',
    ]
    reply = await ingest(client, pb.CHANNEL_TMALL, *records)
    assert (reply.created, reply.failed) == (1, 5)
    reasons = [(r.reason, r.field) for r in reply.results[1:]]
    assert reasons == [
        ("UNKNOWN_STATUS", "status"),
        ("BAD_AMOUNT", "total"),
        ("MALFORMED_PAYLOAD", "payload"),
        ("MALFORMED_PAYLOAD", "payload"),
        ("MALFORMED_PAYLOAD", "payload"),
    ]
    assert reply.results[1].channel_order_id == str(unknown_status["tid"])
    listed = await client.ListFailedIngests(
        pb.ListFailedIngestsRequest(channel=pb.CHANNEL_TMALL, state=pb.FAILED_INGEST_STATE_PENDING)
    )
    by_id = {f.failed_ingest_id: f for f in listed.failed_ingests}
    for result, raw in zip(reply.results[1:], records[1:], strict=True):
        entry = by_id[result.failed_ingest_id]
        assert entry.raw_payload == raw
        assert entry.reason == result.reason and entry.attempts == 1
        assert entry.HasField("next_retry_at")
    # The same broken payload again is the same entry, seen twice.
    again = await ingest(client, pb.CHANNEL_TMALL, records[3])
    assert again.results[0].failed_ingest_id == reply.results[3].failed_ingest_id
    listed = await client.ListFailedIngests(pb.ListFailedIngestsRequest(channel=pb.CHANNEL_TMALL))
    entry = next(f for f in listed.failed_ingests if f.failed_ingest_id == reply.results[3].failed_ingest_id)
    assert entry.occurrences == 2


async def test_failed_ingest_events_are_published(client: Any, redis_url: str, stream_prefix: str) -> None:
    reply = await ingest(client, pb.CHANNEL_JD, b'{"orderId": "J-1", "orderState": "NOPE"}')
    failed_id = reply.results[0].failed_ingest_id
    redis = Redis.from_url(redis_url)
    try:

        async def alert() -> events_pb2.ChannelIngestFailed | None:
            for _, fields in await redis.xrange(f"{stream_prefix}.orders"):
                envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
                if envelope.type == "oms.orders.v1.ChannelIngestFailed":
                    event = events_pb2.ChannelIngestFailed()
                    envelope.payload.Unpack(event)
                    if event.failed_ingest_id == failed_id:
                        assert envelope.aggregate_type == "channel" and envelope.aggregate_id == "JD"
                        return event
            return None

        event = await eventually(alert, message="ChannelIngestFailed on the stream")
        assert (event.reason, event.field, event.channel_order_id) == ("UNKNOWN_STATUS", "status", "J-1")
    finally:
        await redis.aclose()


async def test_a_missing_sku_mapping_is_fixed_as_data_and_the_record_retried(client: Any, ops: Any) -> None:
    payload = json.loads(fixture("pinduoduo"))
    payload["order_sn"] = "261111-SKU-MAPPING-1"
    payload["item_list"][0]["outer_id"] = "PDD-BAG-CANVAS"
    raw = json.dumps(payload, ensure_ascii=False).encode()
    await ops.SetChannelMappings(
        pb.SetChannelMappingsRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_PINDUODUO,
            changes=[pb.ChannelMappingChange(kind=pb.CHANNEL_MAPPING_KIND_FORMAT, key="sku_mapping", value="required")],
        )
    )
    try:
        failed = (await ingest(client, pb.CHANNEL_PINDUODUO, raw)).results[0]
        assert (failed.reason, failed.field) == ("SKU_NOT_MAPPED", "lines[0].sku")
        version = await ops.SetChannelMappings(
            pb.SetChannelMappingsRequest(
                request_id=new_id(),
                channel=pb.CHANNEL_PINDUODUO,
                changes=[
                    pb.ChannelMappingChange(kind=pb.CHANNEL_MAPPING_KIND_SKU, key="PDD-BAG-CANVAS", value="SKU-BAG")
                ],
            )
        )
        assert version.mapping_version >= 3
        retried = await client.RetryFailedIngest(
            pb.RetryFailedIngestRequest(request_id=new_id(), failed_ingest_id=failed.failed_ingest_id)
        )
        assert retried.result.outcome == OUT.INGEST_OUTCOME_CREATED
        assert retried.failed_ingest.state == pb.FAILED_INGEST_STATE_RESOLVED
        assert retried.failed_ingest.order_id == retried.result.order_id
        order = await order_of(client, retried.result.order_id)
        assert [line.sku for line in order.lines] == ["SKU-BAG"]
        # Retrying a resolved entry does nothing more.
        again = await client.RetryFailedIngest(
            pb.RetryFailedIngestRequest(request_id=new_id(), failed_ingest_id=failed.failed_ingest_id)
        )
        assert again.result.outcome == OUT.INGEST_OUTCOME_UNSPECIFIED
    finally:
        await ops.SetChannelMappings(
            pb.SetChannelMappingsRequest(
                request_id=new_id(),
                channel=pb.CHANNEL_PINDUODUO,
                changes=[
                    pb.ChannelMappingChange(kind=pb.CHANNEL_MAPPING_KIND_FORMAT, key="sku_mapping", value="optional")
                ],
            )
        )


async def test_field_mapping_is_data_with_defaults_for_empty_fields(client: Any, ops: Any) -> None:
    payload = json.loads(fixture("jd"))
    payload["orderId"] = "230000099999"
    payload["consigneeInfo"]["fullname"] = ""
    payload["jd_province_name"] = "浙江省"
    raw = json.dumps(payload, ensure_ascii=False).encode()
    await ops.SetChannelMappings(
        pb.SetChannelMappingsRequest(
            request_id=new_id(),
            channel=pb.CHANNEL_JD,
            changes=[
                pb.ChannelMappingChange(
                    kind=pb.CHANNEL_MAPPING_KIND_FIELD, key="shipping_address.province", value="jd_province_name"
                ),
                pb.ChannelMappingChange(
                    kind=pb.CHANNEL_MAPPING_KIND_DEFAULT, key="shipping_address.recipient", value="京东顾客"
                ),
            ],
        )
    )
    order = await order_of(client, (await ingest(client, pb.CHANNEL_JD, raw)).results[0].order_id)
    assert order.shipping_address.province == "浙江省"
    assert order.shipping_address.recipient == "京东顾客"
    assert order.customer_name == "京东买家"
    listed = await ops.ListChannelMappings(
        pb.ListChannelMappingsRequest(channel=pb.CHANNEL_JD, kind=pb.CHANNEL_MAPPING_KIND_DEFAULT)
    )
    assert ("shipping_address.recipient", "京东顾客") in [(m.key, m.value) for m in listed.mappings]


async def test_mapping_changes_are_validated(client: Any, ops: Any) -> None:
    cases = [
        (pb.CHANNEL_MAPPING_KIND_FIELD, "no_such_field", "x", "changes[0].key"),
        (pb.CHANNEL_MAPPING_KIND_STATUS, "WAIT", "MAYBE", "changes[0].value"),
        (pb.CHANNEL_MAPPING_KIND_FORMAT, "time", "yesterday", "changes[0].value"),
        (pb.CHANNEL_MAPPING_KIND_FORMAT, "time_zone", "Mars/Olympus", "changes[0].value"),
        (pb.CHANNEL_MAPPING_KIND_UNSPECIFIED, "x", "y", "changes[0].kind"),
    ]
    for kind, key, value, field in cases:
        with pytest.raises(oms_client.OmsRpcError) as refused:
            await ops.SetChannelMappings(
                pb.SetChannelMappingsRequest(
                    request_id=new_id(),
                    channel=pb.CHANNEL_JD,
                    changes=[pb.ChannelMappingChange(kind=kind, key=key, value=value)],
                )
            )
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in refused.value.violations] == [field]


async def test_list_mappings_pages_through_the_defaults(client: Any, ops: Any) -> None:
    seen: list[tuple[int, str]] = []
    token = ""
    while True:
        page = await ops.ListChannelMappings(
            pb.ListChannelMappingsRequest(channel=pb.CHANNEL_TMALL, page={"page_size": 7, "page_token": token})
        )
        seen.extend((m.kind, m.key) for m in page.mappings)
        token = page.page.next_page_token
        if not token:
            break
    assert len(seen) == len(set(seen)) and len(seen) > 30
    assert (pb.CHANNEL_MAPPING_KIND_STATUS, "WAIT_SELLER_SEND_GOODS") in seen


async def test_webhooks_are_checked_against_the_channel_secret(client: Any, ops: Any) -> None:
    order = OrderFactory(prefix="78").make()
    payload = encode("douyin", order)
    with pytest.raises(oms_client.OmsRpcError) as unconfigured:
        await client.ReceiveChannelWebhook(
            pb.ReceiveChannelWebhookRequest(
                request_id=new_id(), channel=pb.CHANNEL_DOUYIN, payload=payload, signature=sign_hex(SECRET, payload)
            )
        )
    assert unconfigured.value.reason == "WEBHOOK_NOT_CONFIGURED"
    status = await ops.ConfigureChannel(
        pb.ConfigureChannelRequest(request_id=new_id(), channel=pb.CHANNEL_DOUYIN, webhook_secret=SECRET)
    )
    assert status.status.webhook_secret_set
    with pytest.raises(oms_client.OmsRpcError) as forged:
        await client.ReceiveChannelWebhook(
            pb.ReceiveChannelWebhookRequest(
                request_id=new_id(),
                channel=pb.CHANNEL_DOUYIN,
                payload=payload,
                signature=sign_hex("another-secret-entirely", payload),
            )
        )
    assert forged.value.code == grpc.StatusCode.UNAUTHENTICATED
    assert forged.value.reason == "WEBHOOK_SIGNATURE_INVALID"
    delivery = new_id()
    received = await client.ReceiveChannelWebhook(
        pb.ReceiveChannelWebhookRequest(
            request_id=delivery, channel=pb.CHANNEL_DOUYIN, payload=payload, signature=sign_base64(SECRET, payload)
        )
    )
    assert received.result.outcome == OUT.INGEST_OUTCOME_CREATED
    redelivered = await client.ReceiveChannelWebhook(
        pb.ReceiveChannelWebhookRequest(
            request_id=delivery, channel=pb.CHANNEL_DOUYIN, payload=payload, signature=sign_hex(SECRET, payload)
        )
    )
    assert redelivered.result == received.result
    tampered = payload.replace(b'"pay_amount": ', b'"pay_amount": 1')
    with pytest.raises(oms_client.OmsRpcError) as altered:
        await client.ReceiveChannelWebhook(
            pb.ReceiveChannelWebhookRequest(
                request_id=new_id(), channel=pb.CHANNEL_DOUYIN, payload=tampered, signature=sign_hex(SECRET, payload)
            )
        )
    assert altered.value.reason == "WEBHOOK_SIGNATURE_INVALID"


async def test_status_reports_heartbeat_counts_and_backlog(client: Any) -> None:
    before = datetime.now(UTC)
    await ingest(client, pb.CHANNEL_SHOPIFY, encode("shopify", OrderFactory(prefix="79").make()), b"not json")
    status = (await client.GetChannelStatus(pb.GetChannelStatusRequest(channel=pb.CHANNEL_SHOPIFY))).status
    assert status.platform == "shopify"
    assert status.state == pb.CHANNEL_SYNC_STATE_ACTIVE
    assert status.last_sync_at.ToDatetime(tzinfo=UTC) >= before - timedelta(seconds=1)
    assert status.pending_failed_ingests >= 1
    hour = status.recent_hours[0]
    assert hour.attempts >= 1 and hour.successes == hour.attempts and hour.success_rate == 1.0
    assert hour.orders_created >= 1 and hour.failures >= 1
    statuses = (await client.ListChannelStatuses(pb.ListChannelStatusesRequest())).statuses
    assert [s.channel for s in statuses] == sorted(CHANNEL_OF.values())


async def test_bad_requests_name_their_field(client: Any, ops: Any) -> None:
    cases = [
        (pb.IngestChannelOrdersRequest(request_id=new_id(), channel=pb.CHANNEL_JD), "records"),
        (pb.IngestChannelOrdersRequest(request_id=new_id(), records=[b"{}"]), "channel"),
        (pb.IngestChannelOrdersRequest(channel=pb.CHANNEL_JD, records=[b"{}"]), "request_id"),
    ]
    for request, field in cases:
        with pytest.raises(oms_client.OmsRpcError) as refused:
            await client.IngestChannelOrders(request)
        assert [v.field for v in refused.value.violations] == [field]
    for request, field in [
        (
            pb.ConfigureChannelRequest(request_id=new_id(), channel=pb.CHANNEL_JD, interval_seconds=1),
            "interval_seconds",
        ),
        (
            pb.ConfigureChannelRequest(request_id=new_id(), channel=pb.CHANNEL_JD, endpoint_url="ftp://x"),
            "endpoint_url",
        ),
        (
            pb.ConfigureChannelRequest(request_id=new_id(), channel=pb.CHANNEL_JD, webhook_secret="short"),
            "webhook_secret",
        ),
        (pb.ConfigureChannelRequest(request_id=new_id(), channel=pb.CHANNEL_JD, pull_enabled=True), "endpoint_url"),
    ]:
        with pytest.raises(oms_client.OmsRpcError) as refused:
            await ops.ConfigureChannel(request)
        assert [v.field for v in refused.value.violations] == [field]
    with pytest.raises(oms_client.OmsRpcError) as missing:
        await client.RetryFailedIngest(pb.RetryFailedIngestRequest(request_id=new_id(), failed_ingest_id=new_id()))
    assert missing.value.reason == "FAILED_INGEST_NOT_FOUND"
    with pytest.raises(oms_client.OmsRpcError) as token:
        await client.ListFailedIngests(pb.ListFailedIngestsRequest(page={"page_token": "bogus"}))
    assert [v.field for v in token.value.violations] == ["page.page_token"]

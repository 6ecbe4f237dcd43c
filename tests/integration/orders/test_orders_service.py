"""The orders service over real gRPC, PostgreSQL and Redis: contract, bad input, idempotency, concurrency, events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.orders.v1 import events_pb2, orders_pb2
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.orders.bootstrap import Settings, build
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually

pb = orders_pb2
ST = orders_pb2.OrderStatus


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("orders")


@pytest.fixture(scope="module")
async def client(database_url: str, redis_url: str, stream_prefix: str) -> AsyncIterator[Any]:
    settings = Settings(
        service_name="orders",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        # The state machine is driven by hand here; auto-review has its own module (test_fulfilment.py).
        auto_review=False,
    )
    async with running_service(settings, build) as channel:
        yield oms_client.ServiceClient.for_service(channel, "orders")


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


def create_request(**overrides: Any) -> orders_pb2.CreateOrderRequest:
    """2 x 100.00 with 10.00 off, 1 x 50.00, shipping 8.00: total 248.00."""
    fields: dict[str, Any] = {
        "request_id": new_id(),
        "channel": pb.CHANNEL_TMALL,
        "channel_order_id": f"TM-{new_id()}",
        "customer_id": new_id(),
        "customer_tier": "VIP",
        "customer_name": "张伟",
        "order_type": pb.ORDER_TYPE_RUSH,
        "lines": [
            pb.OrderLineInput(sku="SKU-SOFA", quantity=2, unit_price=cny(10_000), discount=cny(1_000)),
            pb.OrderLineInput(sku="SKU-LAMP", quantity=1, unit_price=cny(5_000)),
        ],
        "shipping_fee": cny(800),
        "discount_total": cny(1_000),
        "total": cny(24_800),
        "shipping_address": common_pb2.Address(
            recipient="张伟", phone="13800000000", country="CN", province="浙江省", city="嘉兴", detail="1 号"
        ),
        "quote_id": "q-1",
    }
    fields.update(overrides)
    return orders_pb2.CreateOrderRequest(**fields)


async def create(client: Any, **overrides: Any) -> orders_pb2.Order:
    return (await client.CreateOrder(create_request(**overrides))).order


async def pay(client: Any, order: orders_pb2.Order, request_id: str | None = None) -> orders_pb2.Order:
    request = pb.MarkOrderPaidRequest(
        request_id=request_id or new_id(), order_id=order.order_id, payment_id="pay-1", paid_amount=order.total
    )
    return (await client.MarkOrderPaid(request)).order


async def move(client: Any, order_id: str, target: int, tracking: str = "") -> orders_pb2.Order:
    request = pb.TransitionOrderRequest(
        request_id=new_id(), order_id=order_id, target_status=target, reason="step", tracking_number=tracking
    )
    return (await client.TransitionOrder(request)).order


async def refused(call: Any) -> oms_client.OmsRpcError:
    with pytest.raises(oms_client.OmsRpcError) as caught:
        await call
    return caught.value


async def count(engine: AsyncEngine, sql: str, **params: Any) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text(sql), params)


# --- create and read -----------------------------------------------------------------------------------


async def test_create_then_get_round_trips_every_field(client) -> None:
    request = create_request(buyer_remark="请周末送达 🚚", seller_remark="gift wrap")
    created = await client.CreateOrder(request)
    order = created.order
    assert created.created
    assert order.status == ST.ORDER_STATUS_PENDING_PAYMENT
    assert order.order_type == pb.ORDER_TYPE_RUSH and order.channel == pb.CHANNEL_TMALL
    assert order.subtotal == cny(25_000) and order.total == cny(24_800)
    assert [line.line_total for line in order.lines] == [cny(19_000), cny(5_000)]
    assert order.shipping_address == request.shipping_address
    assert order.buyer_remark == "请周末送达 🚚"
    assert [(h.from_status, h.to_status) for h in order.history] == [(0, ST.ORDER_STATUS_PENDING_PAYMENT)]
    fetched = (await client.GetOrder(pb.GetOrderRequest(order_id=order.order_id))).order
    assert fetched == order


async def test_text_outside_the_bmp_round_trips_unchanged(client) -> None:
    name = "𠮷野 𩸽"
    address = common_pb2.Address(recipient=name, country="CN", province="𠮷省", detail="𠮷野家 𩸽 路 8 号")
    order = await create(client, customer_name=name, shipping_address=address, buyer_remark="𠮷")
    fetched = (await client.GetOrder(pb.GetOrderRequest(order_id=order.order_id))).order
    assert fetched.customer_name == name
    assert fetched.shipping_address == address
    assert fetched.buyer_remark == "𠮷"


async def test_get_unknown_and_malformed_ids(client) -> None:
    missing = await refused(client.GetOrder(pb.GetOrderRequest(order_id=new_id())))
    assert (missing.code, missing.reason) == (grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    malformed = await refused(client.GetOrder(pb.GetOrderRequest(order_id="not-an-id")))
    assert malformed.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in malformed.violations] == ["order_id"]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"channel": pb.CHANNEL_UNSPECIFIED}, "channel", "INVALID_ARGUMENT"),
        ({"channel": 99}, "channel", "INVALID_ARGUMENT"),
        ({"customer_id": "bob"}, "customer_id", "INVALID_ARGUMENT"),
        ({"lines": []}, "lines", "INVALID_ARGUMENT"),
        ({"lines": [pb.OrderLineInput(sku="A", quantity=-3, unit_price=cny(1))]}, "lines[0].quantity", None),
        ({"lines": [pb.OrderLineInput(sku="A", quantity=1, unit_price=cny(-1))]}, "lines[0].unit_price", None),
        ({"lines": [pb.OrderLineInput(sku="", quantity=1, unit_price=cny(1))]}, "lines[0].sku", None),
        (
            {"lines": [pb.OrderLineInput(sku="A", quantity=1, unit_price=common_pb2.Money(amount_minor=1))]},
            "lines[0].unit_price.currency",
            None,
        ),
        (
            {"shipping_fee": common_pb2.Money(amount_minor=800, currency="USD")},
            "shipping_fee.currency",
            "CURRENCY_MISMATCH",
        ),
        ({"total": cny(-1)}, "total", None),
        ({"shipping_fee": cny(-800)}, "shipping_fee", None),
        ({"customer_name": "bad\x00name"}, "customer_name", None),
        ({"shipping_address": common_pb2.Address(country="China")}, "shipping_address.country", None),
        ({"request_id": ""}, "request_id", None),
    ],
)
async def test_bad_create_input_names_the_field_and_writes_nothing(client, engine, overrides, field, reason) -> None:
    before = await count(engine, "SELECT count(*) FROM orders")
    error = await refused(client.CreateOrder(create_request(**overrides)))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in [v.field for v in error.violations]
    if reason:
        assert error.reason == reason
    assert await count(engine, "SELECT count(*) FROM orders") == before


async def test_amounts_that_do_not_add_up_create_a_flagged_order(client) -> None:
    order = await create(client, total=cny(20_000))
    assert order.status == ST.ORDER_STATUS_EXCEPTION
    assert order.resume_status == ST.ORDER_STATUS_PENDING_PAYMENT
    assert order.hold_reason == "AMOUNT_MISMATCH"
    not_payable = await refused(pay(client, order))
    assert (not_payable.code, not_payable.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")


# --- idempotency -----------------------------------------------------------------------------------------


async def test_create_replay_returns_the_first_answer(client, engine) -> None:
    request = create_request()
    first, again = await client.CreateOrder(request), await client.CreateOrder(request)
    assert again == first
    reused = create_request(request_id=request.request_id, channel_order_id="TM-other")
    error = await refused(client.CreateOrder(reused))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT and error.reason == "IDEMPOTENCY_KEY_REUSED"
    assert [v.field for v in error.violations] == ["request_id"]
    assert await count(engine, "SELECT count(*) FROM orders WHERE channel_order_id = 'TM-other'") == 0


async def test_concurrent_creates_of_one_channel_order_make_one_order(client, engine) -> None:
    channel_order_id = f"DY-{new_id()}"
    requests = [create_request(channel=pb.CHANNEL_DOUYIN, channel_order_id=channel_order_id) for _ in range(8)]
    replies = await asyncio.gather(*(client.CreateOrder(r) for r in requests))
    assert len({reply.order.order_id for reply in replies}) == 1
    assert sum(reply.created for reply in replies) == 1
    rows = await count(engine, "SELECT count(*) FROM orders WHERE channel_order_id = :c", c=channel_order_id)
    assert rows == 1
    lines = await count(
        engine,
        "SELECT count(*) FROM order_lines l JOIN orders o USING (order_id) WHERE o.channel_order_id = :c",
        c=channel_order_id,
    )
    assert lines == 2


async def test_concurrent_duplicates_of_one_request_get_one_answer(client) -> None:
    request = create_request()
    replies = await asyncio.gather(*(client.CreateOrder(request) for _ in range(6)))
    assert all(reply == replies[0] for reply in replies)


# --- state machine -----------------------------------------------------------------------------------------


async def test_the_whole_lifecycle(client) -> None:
    order = await create(client)
    paid = await pay(client, order)
    assert paid.status == ST.ORDER_STATUS_PAID and paid.payment_id == "pay-1"
    steps = ["UNDER_REVIEW", "APPROVED", "ALLOCATED", "PICKING"]
    for step in steps:
        await move(client, order.order_id, ST.Value(f"ORDER_STATUS_{step}"))
    no_tracking = await refused(move(client, order.order_id, ST.ORDER_STATUS_SHIPPED))
    assert [v.field for v in no_tracking.violations] == ["tracking_number"]
    shipped = await move(client, order.order_id, ST.ORDER_STATUS_SHIPPED, tracking="SF1234567890")
    assert shipped.tracking_number == "SF1234567890"
    too_late = await refused(
        client.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order.order_id, reason="buyer"))
    )
    assert too_late.reason == "INVALID_TRANSITION"
    assert too_late.metadata["from"] == "SHIPPED" and too_late.metadata["to"] == "CANCELLED"
    await move(client, order.order_id, ST.ORDER_STATUS_DELIVERED)
    done = await move(client, order.order_id, ST.ORDER_STATUS_COMPLETED)
    assert [ST.Name(h.to_status) for h in done.history] == [
        f"ORDER_STATUS_{s}" for s in ["PENDING_PAYMENT", "PAID", *steps, "SHIPPED", "DELIVERED", "COMPLETED"]
    ]
    assert all(h.actor.subject for h in done.history)


async def test_invalid_transition_is_failed_precondition_with_from_and_to(client) -> None:
    order = await create(client)
    error = await refused(move(client, order.order_id, ST.ORDER_STATUS_APPROVED))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "INVALID_TRANSITION")
    assert error.metadata["from"] == "PENDING_PAYMENT" and error.metadata["to"] == "APPROVED"


async def test_hold_and_resume(client) -> None:
    order = await pay(client, await create(client))
    request = pb.TransitionOrderRequest(
        request_id=new_id(), order_id=order.order_id, target_status=ST.ORDER_STATUS_ON_HOLD, reason="address?"
    )
    held = (await client.TransitionOrder(request)).order
    assert held.status == ST.ORDER_STATUS_ON_HOLD and held.resume_status == ST.ORDER_STATUS_PAID
    wrong = await refused(move(client, order.order_id, ST.ORDER_STATUS_UNDER_REVIEW))
    assert wrong.reason == "INVALID_TRANSITION"
    resumed = await move(client, order.order_id, ST.ORDER_STATUS_PAID)
    assert resumed.status == ST.ORDER_STATUS_PAID and resumed.resume_status == 0 and resumed.hold_reason == ""


async def test_mark_paid_rules(client) -> None:
    order = await create(client)
    short = pb.MarkOrderPaidRequest(request_id=new_id(), order_id=order.order_id, payment_id="p", paid_amount=cny(1))
    error = await refused(client.MarkOrderPaid(short))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "PAID_AMOUNT_MISMATCH")
    missing = pb.MarkOrderPaidRequest(request_id=new_id(), order_id=order.order_id, payment_id="p")
    assert [v.field for v in (await refused(client.MarkOrderPaid(missing))).violations] == ["paid_amount"]
    first = await pay(client, order, request_id="pay-step")
    assert await pay(client, order, request_id="pay-step") == first  # a resumed saga repeats the step
    second = await refused(pay(client, order))
    assert second.reason == "INVALID_TRANSITION"


async def test_cancel_is_repeatable_for_compensation(client, engine) -> None:
    order = await create(client)
    cancel = pb.CancelOrderRequest(request_id=new_id(), order_id=order.order_id, reason="PAYMENT_DECLINED")
    first = (await client.CancelOrder(cancel)).order
    again = await client.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order.order_id, reason="x"))
    assert first.status == ST.ORDER_STATUS_CANCELLED and again.order == first
    history = await count(engine, "SELECT count(*) FROM order_status_history WHERE order_id = :o", o=order.order_id)
    assert history == 2


# --- concurrency --------------------------------------------------------------------------------------------


async def test_concurrent_payments_of_one_order_pay_it_once(client, engine) -> None:
    order = await create(client)
    outcomes = await asyncio.gather(*(pay(client, order) for _ in range(8)), return_exceptions=True)
    paid = [o for o in outcomes if isinstance(o, orders_pb2.Order)]
    errors = [o for o in outcomes if not isinstance(o, orders_pb2.Order)]
    assert len(paid) == 1
    assert all(isinstance(e, oms_client.OmsRpcError) and e.reason == "INVALID_TRANSITION" for e in errors)
    entries = await count(
        engine,
        "SELECT count(*) FROM order_status_history WHERE order_id = :o AND to_status = 'PAID'",
        o=order.order_id,
    )
    assert entries == 1


async def test_cancel_racing_shipment_has_exactly_one_winner(client) -> None:
    for _ in range(5):
        order = await pay(client, await create(client))
        for step in (ST.ORDER_STATUS_UNDER_REVIEW, ST.ORDER_STATUS_APPROVED, ST.ORDER_STATUS_ALLOCATED):
            await move(client, order.order_id, step)
        await move(client, order.order_id, ST.ORDER_STATUS_PICKING)
        cancel = client.CancelOrder(pb.CancelOrderRequest(request_id=new_id(), order_id=order.order_id, reason="r"))
        ship = move(client, order.order_id, ST.ORDER_STATUS_SHIPPED, tracking="SF1")
        cancelled, shipped = await asyncio.gather(cancel, ship, return_exceptions=True)
        final = (await client.GetOrder(pb.GetOrderRequest(order_id=order.order_id))).order
        if isinstance(cancelled, Exception):
            assert isinstance(shipped, orders_pb2.Order) and final.status == ST.ORDER_STATUS_SHIPPED
            assert isinstance(cancelled, oms_client.OmsRpcError) and cancelled.reason == "INVALID_TRANSITION"
        else:
            assert isinstance(shipped, oms_client.OmsRpcError) and shipped.reason == "INVALID_TRANSITION"
            assert final.status == ST.ORDER_STATUS_CANCELLED
        assert len(final.history) == 7


# --- listing --------------------------------------------------------------------------------------------------


async def _list_all(client: Any, page_size: int, during: Any = None, **filters: Any) -> list[str]:
    seen: list[str] = []
    token = ""
    while True:
        request = pb.ListOrdersRequest(page=common_pb2.PageRequest(page_size=page_size, page_token=token), **filters)
        reply = await client.ListOrders(request)
        assert len(reply.orders) <= page_size
        seen += [o.order_id for o in reply.orders]
        if during is not None:
            await during()
        if not (token := reply.page.next_page_token):
            return seen


async def test_pagination_over_many_orders_returns_each_once_under_inserts(client) -> None:
    customer = new_id()
    created: list[str] = []
    for _ in range(6):
        orders = await asyncio.gather(*(create(client, customer_id=customer) for _i in range(20)))
        created += [o.order_id for o in orders]
    extra: list[str] = []

    async def insert_more() -> None:
        extra.append((await create(client, customer_id=customer)).order_id)

    for oldest_first in (False, True):
        seen = await _list_all(client, 7, insert_more, customer_id=customer, oldest_first=oldest_first)
        assert len(seen) == len(set(seen)), "an order came twice"
        assert set(created) <= set(seen), "an order that existed before the listing was missed"
        assert set(seen) <= set(created) | set(extra)


async def test_list_filters_and_lines(client) -> None:
    customer = new_id()
    tmall = await create(client, customer_id=customer)
    jd = await pay(client, await create(client, customer_id=customer, channel=pb.CHANNEL_JD))
    by_channel = await client.ListOrders(pb.ListOrdersRequest(customer_id=customer, channel=pb.CHANNEL_JD))
    assert [o.order_id for o in by_channel.orders] == [jd.order_id]
    assert len(by_channel.orders[0].lines) == 2 and not by_channel.orders[0].history
    by_status = await client.ListOrders(
        pb.ListOrdersRequest(customer_id=customer, statuses=[ST.ORDER_STATUS_PENDING_PAYMENT])
    )
    assert [o.order_id for o in by_status.orders] == [tmall.order_id]
    window = await client.ListOrders(
        pb.ListOrdersRequest(customer_id=customer, created_after=jd.created_at, oldest_first=True)
    )
    assert [o.order_id for o in window.orders] == [jd.order_id]
    newest_first = await client.ListOrders(pb.ListOrdersRequest(customer_id=customer))
    assert [o.order_id for o in newest_first.orders] == [jd.order_id, tmall.order_id]


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"page": common_pb2.PageRequest(page_token="nope")}, "page.page_token"),
        ({"page": common_pb2.PageRequest(page_size=-1)}, "page.page_size"),
        ({"customer_id": "x"}, "customer_id"),
        ({"statuses": [0]}, "statuses[0]"),
    ],
)
async def test_bad_list_requests(client, request_fields, field) -> None:
    error = await refused(client.ListOrders(pb.ListOrdersRequest(**request_fields)))
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]


# --- events ----------------------------------------------------------------------------------------------------


async def test_changes_reach_the_stream_as_integration_events(client, redis_url, stream_prefix) -> None:
    order = await create(client, total=cny(1))  # flagged at creation
    released = await move(client, order.order_id, ST.ORDER_STATUS_PENDING_PAYMENT)
    await pay(client, released)
    redis = Redis.from_url(redis_url)

    async def events_of_order() -> list[envelope_pb2.EventEnvelope]:
        found = []
        for _, fields in await redis.xrange(f"{stream_prefix}.orders"):
            envelope = envelope_pb2.EventEnvelope.FromString(fields[b"envelope"])
            if envelope.aggregate_id == order.order_id:
                found.append(envelope)
        return found if len(found) >= 6 else []

    try:
        envelopes = await eventually(events_of_order, timeout=15)
    finally:
        await redis.aclose()
    names = [e.type.rsplit(".", 1)[1] for e in envelopes]
    # Transactions publish in commit order; within one transaction the shared outbox orders rows by
    # (created_at, random-tailed UUIDv7 id), so only each transaction's set of events is fixed.
    assert sorted(names[:3]) == ["OrderCreated", "OrderFlagged", "OrderStatusChanged"]
    assert names[3] == "OrderStatusChanged"
    assert sorted(names[4:]) == ["OrderPaid", "OrderStatusChanged"]
    assert {(e.source, e.aggregate_type) for e in envelopes} == {("orders", "order")}
    by_name = {name: e for name, e in zip(names, envelopes, strict=True)}
    flagged = events_pb2.OrderFlagged()
    assert by_name["OrderFlagged"].payload.Unpack(flagged)
    assert flagged.reason == "AMOUNT_MISMATCH" and flagged.expected_total == cny(24_800) and flagged.total == cny(1)
    created = events_pb2.OrderCreated()
    assert by_name["OrderCreated"].payload.Unpack(created)
    assert created.order.order_id == order.order_id and created.order.status == ST.ORDER_STATUS_EXCEPTION
    paid = events_pb2.OrderPaid()
    assert by_name["OrderPaid"].payload.Unpack(paid)
    assert paid.paid_amount == cny(1) and paid.payment_id == "pay-1" and paid.channel == pb.CHANNEL_TMALL

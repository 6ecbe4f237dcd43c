"""The gateway's use cases over in-memory upstreams: access checks, the panorama, listings, refunds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from services.gateway.application import use_cases
from services.gateway.application.ports import Caller
from shared.kernel import errors
from shared.kernel.ids import new_id
from tests.support import eventually
from tests.unit.gateway.gateway_fakes import World, a_payment, cny, fake_upstreams

AGENT = Caller(subject="agent-7", role="customer_service", token="t")
SUPERVISOR = Caller(subject="lead-2", role="cs_supervisor", token="t")
TMALL_ONLY = Caller(subject="shop-tmall", role="customer_service", token="t", channels=("tmall",))


@pytest.fixture
def world() -> World:
    return World()


async def test_placing_uses_the_idempotency_key_as_the_request_id(world: World) -> None:
    key = new_id()

    placed = await use_cases.place_order(
        saga_pb2.PlaceOrderRequest(channel="tmall"), key, AGENT, fake_upstreams(world).saga
    )

    assert placed.saga.request_id == key
    [sent] = world.called("place_order")
    assert sent.request_id == key  # type: ignore[attr-defined]


async def test_placing_without_a_key_never_reaches_the_saga(world: World) -> None:
    with pytest.raises(errors.InvalidArgument) as refused:
        await use_cases.place_order(
            saga_pb2.PlaceOrderRequest(channel="tmall"), None, AGENT, fake_upstreams(world).saga
        )

    assert refused.value.reason == "IDEMPOTENCY_KEY_REQUIRED"
    assert world.calls == []


async def test_a_channel_scoped_token_places_only_on_its_channels(world: World) -> None:
    with pytest.raises(errors.PermissionDenied) as refused:
        await use_cases.place_order(
            saga_pb2.PlaceOrderRequest(channel="jd"), new_id(), TMALL_ONLY, fake_upstreams(world).saga
        )

    assert refused.value.reason == "CHANNEL_NOT_ALLOWED"
    assert world.calls == []


async def test_reading_an_order_of_another_channel_is_refused(world: World) -> None:
    order = world.add_order(channel=orders_pb2.CHANNEL_JD)

    with pytest.raises(errors.PermissionDenied):
        await use_cases.get_order(order.order_id, TMALL_ONLY, fake_upstreams(world).orders)


async def test_an_order_id_that_is_not_a_uuid_is_refused_before_any_call(world: World) -> None:
    with pytest.raises(errors.InvalidArgument) as refused:
        await use_cases.order_panorama("42", AGENT, fake_upstreams(world))

    assert [v.field for v in refused.value.violations] == ["order_id"]
    assert world.calls == []


async def test_the_panorama_gathers_every_part_concurrently(world: World) -> None:
    order = world.add_order()
    world.payments[order.order_id] = [a_payment(order.order_id)]
    world.sagas[order.order_id] = saga_pb2.Saga(saga_id=new_id(), order_id=order.order_id)
    world.gates["payments_of_order"] = gate = asyncio.Event()
    upstreams = fake_upstreams(world)

    picture = asyncio.ensure_future(use_cases.order_panorama(order.order_id, AGENT, upstreams))
    # Every part is asked for while payments is still held back: the calls overlap.
    await eventually(
        lambda: (
            {"get_order", "reservations_of_order", "saga_of_order", "refunds_of_order"}
            <= {name for name, _, _ in world.calls}
        )
    )
    assert not picture.done()
    gate.set()
    view = await picture

    assert view.order == order
    assert [p.order_id for p in view.payments] == [order.order_id]
    assert view.saga is not None and view.saga.order_id == order.order_id
    assert view.incomplete == []
    assert [change.to_status for change in view.order.history][-1] == orders_pb2.ORDER_STATUS_PAID


async def test_a_part_whose_service_fails_is_listed_as_incomplete(world: World) -> None:
    order = world.add_order()
    world.failures["reservations_of_order"] = errors.Unavailable("inventory is down")

    view = await use_cases.order_panorama(order.order_id, AGENT, fake_upstreams(world))

    assert view.order == order
    assert [(m.section, m.reason) for m in view.incomplete] == [("reservations", "UNAVAILABLE")]
    assert view.reservations == []


async def test_without_a_refunds_service_the_panorama_says_refunds_are_unknown(world: World) -> None:
    order = world.add_order()

    view = await use_cases.order_panorama(order.order_id, AGENT, fake_upstreams(world, refunds=False))

    assert [(m.section, m.reason) for m in view.incomplete] == [("refunds", "NOT_CONFIGURED")]


async def test_an_unknown_order_fails_the_panorama_and_stops_the_other_calls(world: World) -> None:
    world.gates["payments_of_order"] = asyncio.Event()  # never set: only cancellation ends it
    world.gates["get_order"] = order_answers = asyncio.Event()
    picture = asyncio.ensure_future(use_cases.order_panorama(new_id(), AGENT, fake_upstreams(world)))
    await eventually(lambda: world.called("payments_of_order"))

    order_answers.set()
    with pytest.raises(errors.NotFound) as refused:
        await picture

    assert refused.value.reason == "ORDER_NOT_FOUND"
    assert world.cancelled == ["payments_of_order"]


async def test_a_listing_pages_with_cursors_bound_to_its_filters(world: World) -> None:
    for _ in range(3):
        world.add_order()
    orders = fake_upstreams(world).orders
    query = use_cases.OrderQuery(channel=orders_pb2.CHANNEL_TMALL, limit=2)

    first = await use_cases.list_orders(query, AGENT, orders)
    second = await use_cases.list_orders(
        use_cases.OrderQuery(channel=orders_pb2.CHANNEL_TMALL, limit=2, cursor=first.next_cursor), AGENT, orders
    )

    assert len(first.orders) == 2 and first.next_cursor
    assert len(second.orders) == 1 and second.next_cursor is None
    assert {o.order_id for o in first.orders + second.orders} == set(world.orders)
    with pytest.raises(errors.InvalidArgument) as refused:
        await use_cases.list_orders(
            use_cases.OrderQuery(channel=orders_pb2.CHANNEL_JD, cursor=first.next_cursor), AGENT, orders
        )
    assert refused.value.reason == "INVALID_CURSOR"


async def test_a_listing_passes_every_filter_upstream(world: World) -> None:
    customer = new_id()
    after = datetime(2026, 1, 1, tzinfo=UTC)
    query = use_cases.OrderQuery(
        statuses=(orders_pb2.ORDER_STATUS_PAID, orders_pb2.ORDER_STATUS_SHIPPED),
        channel=orders_pb2.CHANNEL_JD,
        customer_id=customer,
        created_after=after,
        oldest_first=True,
        limit=7,
    )

    await use_cases.list_orders(query, AGENT, fake_upstreams(world).orders)

    [sent] = world.called("list_orders")
    assert isinstance(sent, orders_pb2.ListOrdersRequest)
    assert list(sent.statuses) == [orders_pb2.ORDER_STATUS_PAID, orders_pb2.ORDER_STATUS_SHIPPED]
    assert (sent.channel, sent.customer_id, sent.oldest_first, sent.page.page_size) == (
        orders_pb2.CHANNEL_JD,
        customer,
        True,
        7,
    )
    assert sent.created_after.ToDatetime(tzinfo=UTC) == after
    assert not sent.HasField("created_before")


async def test_a_token_limited_to_one_channel_lists_only_that_channel(world: World) -> None:
    world.add_order(channel=orders_pb2.CHANNEL_TMALL)
    world.add_order(channel=orders_pb2.CHANNEL_JD)

    page = await use_cases.list_orders(use_cases.OrderQuery(), TMALL_ONLY, fake_upstreams(world).orders)

    assert [o.channel for o in page.orders] == [orders_pb2.CHANNEL_TMALL]


async def test_a_token_limited_to_several_channels_must_choose_one(world: World) -> None:
    caller = Caller(subject="s", role="operations", token="t", channels=("tmall", "jd"))

    with pytest.raises(errors.PermissionDenied):
        await use_cases.list_orders(use_cases.OrderQuery(), caller, fake_upstreams(world).orders)


async def test_cancelling_runs_the_cancellation_saga_under_the_key(world: World) -> None:
    order = world.add_order()
    key = new_id()

    saga = await use_cases.cancel_order(order.order_id, "buyer changed mind", key, SUPERVISOR, fake_upstreams(world))

    assert saga.kind == saga_pb2.SAGA_KIND_CANCEL_ORDER
    [sent] = world.called("cancel_order")
    assert sent == saga_pb2.CancelOrderRequest(request_id=key, order_id=order.order_id, reason="buyer changed mind")


async def test_warehouse_staff_cannot_cancel(world: World) -> None:
    order = world.add_order()

    with pytest.raises(errors.PermissionDenied):
        await use_cases.cancel_order(
            order.order_id, "r", new_id(), Caller("w", "warehouse", "t"), fake_upstreams(world)
        )
    assert world.calls == []


def refund_draft(**overrides: object) -> refunds_pb2.RequestRefundRequest:
    fields: dict[str, object] = {
        "kind": refunds_pb2.REFUND_KIND_PARTIAL,
        "reason": refunds_pb2.REFUND_REASON_DAMAGED,
        "amount": cny(5_000),
    }
    fields.update(overrides)
    return refunds_pb2.RequestRefundRequest(**fields)  # type: ignore[arg-type]


async def test_a_refund_takes_the_order_and_payment_facts_from_the_services(world: World) -> None:
    order = world.add_order(order_type=orders_pb2.ORDER_TYPE_SAMPLE)
    payment = a_payment(order.order_id, refunded=cny(1_000), status=payments_pb2.PAYMENT_STATUS_PARTIALLY_REFUNDED)
    world.payments[order.order_id] = [
        a_payment(order.order_id, status=payments_pb2.PAYMENT_STATUS_DECLINED, captured=cny(0)),
        payment,
    ]
    key = new_id()

    refund = await use_cases.request_refund(order.order_id, refund_draft(), key, AGENT, fake_upstreams(world))

    [sent] = world.called("request_refund")
    assert isinstance(sent, refunds_pb2.RequestRefundRequest)
    assert (sent.request_id, sent.order_id, sent.payment_id) == (key, order.order_id, payment.payment_id)
    assert sent.order_type == refunds_pb2.ORDER_TYPE_SAMPLE
    assert (sent.captured, sent.already_refunded, sent.shipping_fee) == (cny(20_800), cny(1_000), cny(800))
    assert refund.status == refunds_pb2.REFUND_STATUS_PENDING_APPROVAL


async def test_a_refund_of_an_order_without_a_captured_payment_is_refused(world: World) -> None:
    order = world.add_order()

    with pytest.raises(errors.FailedPrecondition) as refused:
        await use_cases.request_refund(order.order_id, refund_draft(), new_id(), AGENT, fake_upstreams(world))

    assert refused.value.reason == "NOTHING_CAPTURED"
    assert world.called("request_refund") == []


async def test_a_refund_naming_a_payment_of_another_order_is_refused_on_payment_id(world: World) -> None:
    order = world.add_order()
    world.payments[order.order_id] = [a_payment(order.order_id)]

    with pytest.raises(errors.InvalidArgument) as refused:
        await use_cases.request_refund(
            order.order_id, refund_draft(payment_id=new_id()), new_id(), AGENT, fake_upstreams(world)
        )

    assert [v.field for v in refused.value.violations] == ["payment_id"]


async def test_without_a_refunds_service_a_refund_is_unavailable(world: World) -> None:
    order = world.add_order()

    with pytest.raises(errors.Unavailable) as refused:
        await use_cases.request_refund(
            order.order_id, refund_draft(), new_id(), AGENT, fake_upstreams(world, refunds=False)
        )

    assert refused.value.reason == "REFUNDS_NOT_CONFIGURED"

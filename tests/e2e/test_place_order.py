"""Placing and cancelling orders through the saga, across real service processes over loopback gRPC."""

from __future__ import annotations

import asyncio
from collections import Counter

import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.saga.v1 import saga_pb2

from shared.kernel.ids import new_id
from tests.e2e.conftest import Suite, availability, stock_sku
from tests.support import eventually

pytestmark = pytest.mark.e2e

LIVE_PAYMENT = {payments_pb2.PAYMENT_STATUS_AUTHORIZED, payments_pb2.PAYMENT_STATUS_CAPTURED}
# A paid order goes straight on to auto-review: approved, or held for a person's queue.
PAID_OR_REVIEWED = {
    orders_pb2.ORDER_STATUS_PAID,
    orders_pb2.ORDER_STATUS_UNDER_REVIEW,
    orders_pb2.ORDER_STATUS_APPROVED,
    orders_pb2.ORDER_STATUS_ON_HOLD,
}
TERMINAL = {saga_pb2.SAGA_STATE_SUCCEEDED, saga_pb2.SAGA_STATE_FAILED, saga_pb2.SAGA_STATE_COMPENSATION_FAILED}


def order_request(
    sku: str, *, quantity: int = 1, token: str = "tok_ok", name: str = "张伟", phone: str = ""
) -> saga_pb2.PlaceOrderRequest:
    phone = phone or f"139{abs(hash(new_id())) % 10**8:08d}"
    address = common_pb2.Address(
        recipient=name, phone=phone, country="CN", province="浙江省", city="杭州市", detail="文三路 1 号"
    )
    return saga_pb2.PlaceOrderRequest(
        request_id=new_id(),
        customer=saga_pb2.CustomerDetails(name=name, phone=phone, address=address),
        lines=[saga_pb2.OrderLine(sku=sku, quantity=quantity)],
        shipping_address=address,
        payment_method=saga_pb2.PaymentMethod(provider="sandbox", token=token),
        channel="OWN_SITE",
        order_type=saga_pb2.ORDER_TYPE_REGULAR,
        currency="CNY",
    )


async def place(
    suite: Suite, request: saga_pb2.PlaceOrderRequest
) -> saga_pb2.PlaceOrderResponse | oms_client.OmsRpcError:
    try:
        return await suite.client("saga").PlaceOrder(request)
    except oms_client.OmsRpcError as refused:
        return refused


async def saga_of(suite: Suite, request_id: str) -> saga_pb2.Saga:
    return (await suite.client("saga").GetSaga(saga_pb2.GetSagaRequest(request_id=request_id))).saga


async def payments_of(suite: Suite, order_id: str) -> list[payments_pb2.Payment]:
    reply = await suite.client("payments").ListPaymentsByOrder(
        payments_pb2.ListPaymentsByOrderRequest(order_id=order_id)
    )
    return list(reply.payments)


async def order_of(suite: Suite, order_id: str) -> orders_pb2.Order:
    return (await suite.client("orders").GetOrder(orders_pb2.GetOrderRequest(order_id=order_id))).order


async def test_200_buyers_for_50_units_sell_exactly_the_stock(suite: Suite):
    sku = await stock_sku(suite, units=50)
    requests = [order_request(sku) for _ in range(200)]

    outcomes = await asyncio.gather(*(place(suite, r) for r in requests))

    placed = [o for o in outcomes if isinstance(o, saga_pb2.PlaceOrderResponse)]
    refused = Counter(o.reason for o in outcomes if isinstance(o, oms_client.OmsRpcError))
    assert len(placed) == 50
    assert refused == {"INSUFFICIENT_STOCK": 150}
    stock = await availability(suite, sku)
    assert (stock.on_hand, stock.reserved) == (50, 50)
    for response in placed:
        order = await order_of(suite, response.order_id)
        assert order.status in PAID_OR_REVIEWED
        (payment,) = await payments_of(suite, response.order_id)
        assert payment.status == payments_pb2.PAYMENT_STATUS_CAPTURED
        assert payment.captured.amount_minor == order.total.amount_minor
    for request, outcome in zip(requests, outcomes, strict=True):
        if isinstance(outcome, oms_client.OmsRpcError):
            saga = await saga_of(suite, request.request_id)
            assert saga.state == saga_pb2.SAGA_STATE_FAILED
            if saga.order_id:
                assert (await order_of(suite, saga.order_id)).status == orders_pb2.ORDER_STATUS_CANCELLED
                assert not [p for p in await payments_of(suite, saga.order_id) if p.status in LIVE_PAYMENT]


async def test_the_same_request_id_ten_times_at_once_makes_one_order(suite: Suite):
    sku = await stock_sku(suite, units=20)
    request = order_request(sku, quantity=2)

    outcomes = await asyncio.gather(*(place(suite, request) for _ in range(10)))

    assert all(isinstance(o, saga_pb2.PlaceOrderResponse) for o in outcomes), outcomes
    assert len({o.order_id for o in outcomes}) == 1
    assert len({o.saga.saga_id for o in outcomes}) == 1
    stock = await availability(suite, sku)
    assert stock.reserved == 2
    assert len(await payments_of(suite, outcomes[0].order_id)) == 1


async def test_a_declined_card_is_undone_cleanly(suite: Suite):
    sku = await stock_sku(suite, units=5)

    outcome = await place(suite, order_request(sku, token="tok_decline"))

    assert isinstance(outcome, oms_client.OmsRpcError)
    assert outcome.reason == "PAYMENT_DECLINED"
    stock = await availability(suite, sku)
    assert stock.reserved == 0
    assert stock.available == 5


async def test_cancel_returns_stock_and_money(suite: Suite):
    sku = await stock_sku(suite, units=5)
    placed = await suite.client("saga").PlaceOrder(order_request(sku, quantity=3))
    assert (await availability(suite, sku)).reserved == 3

    await suite.client("saga").CancelOrder(
        saga_pb2.CancelOrderRequest(request_id=new_id(), order_id=placed.order_id, reason="buyer changed mind")
    )

    assert (await order_of(suite, placed.order_id)).status == orders_pb2.ORDER_STATUS_CANCELLED
    stock = await availability(suite, sku)
    assert (stock.reserved, stock.available) == (0, 5)
    (payment,) = await payments_of(suite, placed.order_id)
    assert payment.status in {payments_pb2.PAYMENT_STATUS_REFUNDED, payments_pb2.PAYMENT_STATUS_VOIDED}


async def test_text_outside_the_basic_multilingual_plane_round_trips(suite: Suite):
    sku = await stock_sku(suite, units=3)
    name = "𠮷野 𩸽子"
    request = order_request(sku, name=name)
    request.shipping_address.detail = "𠀋𡈽𡌛 路 8 号 🏠"

    placed = await suite.client("saga").PlaceOrder(request)

    order = await order_of(suite, placed.order_id)
    assert order.shipping_address.recipient == name
    assert order.shipping_address.detail == "𠀋𡈽𡌛 路 8 号 🏠"
    customer = await suite.client("customers").GetCustomer(
        customers_pb2.GetCustomerRequest(customer_id=placed.saga.customer_id),
        metadata=(("x-oms-role", "admin"),),
    )
    assert customer.customer.name == name


async def test_reservations_expire_and_stock_comes_back(suite: Suite):
    sku = await stock_sku(suite, units=4)
    await suite.client("inventory").Reserve(
        inventory_pb2.ReserveRequest(
            request_id=new_id(),
            order_id=new_id(),
            lines=[inventory_pb2.ReserveLine(sku=sku, quantity=3)],
            ttl_seconds=1,
        )
    )
    assert (await availability(suite, sku)).available == 1

    async def returned() -> bool:
        stock = await availability(suite, sku)
        return stock.available == 4 and stock.reserved == 0

    await eventually(returned, timeout=15, message="the expired reservation's stock is available again")


async def test_a_killed_coordinator_resumes_every_saga(suite: Suite):
    """SIGKILL the saga process with 100 orders in flight; after a restart every order ends consistent."""
    sku = await stock_sku(suite, units=60)
    requests = [order_request(sku) for _ in range(100)]
    in_flight = [asyncio.ensure_future(place(suite, r)) for r in requests]

    async def some_sagas_started() -> bool:
        reply = await suite.client("saga").ListSagas(saga_pb2.ListSagasRequest())
        return len(reply.sagas) >= 10 and not all(f.done() for f in in_flight)

    await eventually(some_sagas_started, timeout=30, interval=0.01)
    suite.stack.kill("saga")
    await asyncio.gather(*in_flight)
    await suite.stack.restart("saga")
    suite.reconnect("saga")

    # Clients whose call was cut off retry with the same request id, as a careful client does.
    outcomes = await asyncio.gather(*(place(suite, r) for r in requests))
    sagas = [await saga_of(suite, r.request_id) for r in requests]
    assert all(s.state in TERMINAL for s in sagas), Counter(s.state for s in sagas)

    paid = 0
    for request, saga, outcome in zip(requests, sagas, outcomes, strict=True):
        payments = await payments_of(suite, saga.order_id) if saga.order_id else []
        if saga.state == saga_pb2.SAGA_STATE_SUCCEEDED:
            paid += 1
            assert isinstance(outcome, saga_pb2.PlaceOrderResponse)
            assert (await order_of(suite, saga.order_id)).status in PAID_OR_REVIEWED
            assert [p.status for p in payments] == [payments_pb2.PAYMENT_STATUS_CAPTURED]
        else:
            assert isinstance(outcome, oms_client.OmsRpcError), request.request_id
            assert not [p for p in payments if p.status in LIVE_PAYMENT]
            if saga.order_id:
                assert (await order_of(suite, saga.order_id)).status == orders_pb2.ORDER_STATUS_CANCELLED
    stock = await availability(suite, sku)
    assert paid == 60
    assert (stock.on_hand, stock.reserved) == (60, paid)

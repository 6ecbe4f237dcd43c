"""The refund execution saga against the real refunds, payments, inventory and orders services, each served
in-process on its own database: the RefundReadyForExecution event starts it, and ExecuteRefund answers operators."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from services.inventory import bootstrap as inventory_service
from services.orders import bootstrap as orders_service
from services.payments import bootstrap as payments_service
from services.refunds import bootstrap as refunds_service
from services.saga import bootstrap as saga_service
from services.saga.adapters.participants import grpc_participants
from shared.kernel.ids import new_id
from tests.harness import running_service
from tests.support import eventually

# The saga calls its peers as a service account; the people of the refund flow call with their duties.
SAGA = (("x-oms-subject", "svc:saga"), ("x-oms-role", "service"))
SHOP = (("x-oms-subject", "svc:shop"), ("x-oms-role", "service"))
OPERATOR = (("x-oms-subject", "ops-1"), ("x-oms-role", "operations"))
AGENT = (("x-oms-subject", "agent-1"), ("x-oms-role", "customer_service"))
CLERK = (("x-oms-subject", "clerk-1"), ("x-oms-role", "warehouse"))
UNIT_PRICE = 4_000
SHIPPING = 600


def money(amount_minor: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount_minor, currency="CNY")


def role(name: str) -> tuple[tuple[str, str], ...]:
    return (("x-oms-subject", f"{name}-1"), ("x-oms-role", name))


@dataclass
class Suite:
    channels: dict[str, Any]

    def client(self, service: str, metadata: tuple[tuple[str, str], ...] = SHOP) -> Any:
        return oms_client.ServiceClient.for_service(self.channels[service], service, timeout=10.0, metadata=metadata)


@pytest.fixture(scope="module")
async def suite(service_database, redis_url: str, stream_prefix: str) -> AsyncIterator[Suite]:
    # A prefix of this module's own: the saga consumes the refunds stream it shares with nobody else.
    prefix = f"{stream_prefix}r{secrets.token_hex(2)}"
    common = {"redis_url": redis_url, "stream_prefix": prefix}
    channels: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name, module, extra in [
            ("inventory", inventory_service, {}),
            ("payments", payments_service, {"payments_sandbox_latency_ms": 0, "payments_sandbox_callbacks": False}),
            # The stock loop reconciles channel orders with inventory; none are ingested here.
            ("orders", orders_service, {"stock_sync_interval_seconds": 3600.0, "auto_review": False}),
            ("refunds", refunds_service, {}),
        ]:
            settings = module.Settings(service_name=name, database_url=await service_database(name), **common, **extra)
            channels[name] = await stack.enter_async_context(running_service(settings, module.build))

        def client(peer: str) -> Any:
            # The refund saga calls refunds, payments, inventory and orders only; the placement's other
            # peers are not served here.
            channel = channels.get(peer, channels["orders"])
            return oms_client.ServiceClient.for_service(channel, peer, timeout=5.0, metadata=SAGA)

        settings = saga_service.Settings(
            service_name="saga",
            database_url=await service_database("saga"),
            saga_step_backoff_seconds=0.0,
            **common,
        )
        participants = grpc_participants(client)
        channels["saga"] = await stack.enter_async_context(
            running_service(settings, lambda s, infra: saga_service.build_service(s, infra, participants))
        )
        yield Suite(channels)


@dataclass
class PaidOrder:
    order_id: str
    payment_id: str
    sku: str
    quantity: int
    warehouse_id: str

    @property
    def total(self) -> int:
        return UNIT_PRICE * self.quantity + SHIPPING


async def paid_order(suite: Suite, *, quantity: int = 2, stock: int = 10) -> PaidOrder:
    """What a placement leaves behind: a PAID order, its committed reservation and its captured payment."""
    sku = f"SKU-𠮷-{secrets.token_hex(3)}"
    inventory = suite.client("inventory", OPERATOR)
    warehouse = (
        await inventory.UpsertWarehouse(
            inventory_pb2.UpsertWarehouseRequest(request_id=new_id(), code=f"W{secrets.token_hex(3)}", name="嘉兴仓")
        )
    ).warehouse
    await inventory.ReceiveStock(
        inventory_pb2.ReceiveStockRequest(
            request_id=new_id(), warehouse_id=warehouse.warehouse_id, sku=sku, quantity=stock, reference="seed"
        )
    )
    total = UNIT_PRICE * quantity + SHIPPING
    order = (
        await suite.client("orders").CreateOrder(
            orders_pb2.CreateOrderRequest(
                request_id=new_id(),
                channel=orders_pb2.CHANNEL_OWN_SITE,
                customer_id=new_id(),
                customer_name="张伟",
                order_type=orders_pb2.ORDER_TYPE_REGULAR,
                lines=[
                    orders_pb2.OrderLineInput(
                        sku=sku, quantity=quantity, unit_price=money(UNIT_PRICE), discount=money(0)
                    )
                ],
                shipping_fee=money(SHIPPING),
                discount_total=money(0),
                subtotal=money(UNIT_PRICE * quantity),
                total=money(total),
                shipping_address=common_pb2.Address(recipient="张伟", province="浙江省", detail="文三路 1 号"),
            )
        )
    ).order
    await suite.client("inventory").Reserve(
        inventory_pb2.ReserveRequest(
            request_id=new_id(), order_id=order.order_id, lines=[inventory_pb2.ReserveLine(sku=sku, quantity=quantity)]
        )
    )
    payments = suite.client("payments")
    payment = (
        await payments.Authorize(
            payments_pb2.AuthorizeRequest(
                request_id=new_id(),
                order_id=order.order_id,
                amount=money(total),
                payment_method=payments_pb2.PaymentMethod(provider="sandbox", token="tok_ok"),
            )
        )
    ).payment
    await payments.Capture(
        payments_pb2.CaptureRequest(request_id=new_id(), payment_id=payment.payment_id, amount=money(total))
    )
    await suite.client("inventory").Commit(inventory_pb2.CommitRequest(request_id=new_id(), order_id=order.order_id))
    await suite.client("orders").MarkOrderPaid(
        orders_pb2.MarkOrderPaidRequest(
            request_id=new_id(), order_id=order.order_id, payment_id=payment.payment_id, paid_amount=money(total)
        )
    )
    return PaidOrder(order.order_id, payment.payment_id, sku, quantity, warehouse.warehouse_id)


async def request_refund(suite: Suite, order: PaidOrder, kind: int) -> refunds_pb2.Refund:
    request = refunds_pb2.RequestRefundRequest(
        request_id=new_id(),
        order_id=order.order_id,
        payment_id=order.payment_id,
        kind=kind,
        reason=refunds_pb2.REFUND_REASON_QUALITY_PROBLEM,
        order_type=refunds_pb2.ORDER_TYPE_REGULAR,
        captured=money(order.total),
        already_refunded=money(0),
        items=[refunds_pb2.Item(sku=order.sku, quantity=order.quantity)],
        amount=money(UNIT_PRICE * order.quantity),
        shipping_fee=money(SHIPPING),
    )
    return (await suite.client("refunds", AGENT).RequestRefund(request)).refund


async def approve(suite: Suite, refund: refunds_pb2.Refund) -> None:
    for signer in refund.required_roles:
        await suite.client("refunds", role(signer)).ApproveRefund(
            refunds_pb2.ApproveRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
        )


async def settled(suite: Suite, refund_id: str) -> refunds_pb2.Refund:
    """The refund once execution ended (COMPLETED or FAILED)."""
    ended = {refunds_pb2.REFUND_STATUS_COMPLETED, refunds_pb2.REFUND_STATUS_FAILED}
    found: list[refunds_pb2.Refund] = []

    async def done() -> bool:
        refund = (await suite.client("refunds").GetRefund(refunds_pb2.GetRefundRequest(refund_id=refund_id))).refund
        found[:] = [refund]
        return refund.status in ended

    await eventually(done, timeout=20, message=f"refund {refund_id} executed")
    return found[0]


async def stock_of(suite: Suite, sku: str) -> inventory_pb2.SkuAvailability:
    reply = await suite.client("inventory").GetAvailability(inventory_pb2.GetAvailabilityRequest(skus=[sku]))
    return reply.items[0]


async def test_a_ready_refund_before_shipment_is_paid_back_released_and_its_order_cancelled(suite: Suite) -> None:
    order = await paid_order(suite)
    refund = await request_refund(suite, order, refunds_pb2.REFUND_KIND_FULL_BEFORE_SHIPMENT)
    assert (await stock_of(suite, order.sku)).reserved == order.quantity

    await approve(suite, refund)  # RefundReadyForExecution: the saga starts by itself
    done = await settled(suite, refund.refund_id)

    assert done.status == refunds_pb2.REFUND_STATUS_COMPLETED
    saga = (
        await suite.client("saga").GetSaga(saga_pb2.GetSagaRequest(request_id=f"refund-ready:{refund.refund_id}"))
    ).saga
    assert saga.state == saga_pb2.SAGA_STATE_SUCCEEDED and saga.saga_id == done.saga_id
    assert saga.payment_refund_id == done.payment_refund_id != ""
    payment = (
        await suite.client("payments").GetPayment(payments_pb2.GetPaymentRequest(payment_id=order.payment_id))
    ).payment
    assert payment.status == payments_pb2.PAYMENT_STATUS_REFUNDED
    assert payment.refunded.amount_minor == done.total.amount_minor == order.total
    stock = await stock_of(suite, order.sku)
    assert (stock.reserved, stock.available) == (0, 10)
    placed = (await suite.client("orders").GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
    assert placed.status == orders_pb2.ORDER_STATUS_CANCELLED

    # An operator asking again is told where the refund stands; nothing moves twice.
    with pytest.raises(oms_client.OmsRpcError) as again:
        await suite.client("saga").ExecuteRefund(
            saga_pb2.ExecuteRefundRequest(request_id=new_id(), refund_id=refund.refund_id)
        )
    assert again.value.reason == "INVALID_TRANSITION"
    assert again.value.metadata["step"] == "mark_refund_executing"
    payment = (
        await suite.client("payments").GetPayment(payments_pb2.GetPaymentRequest(payment_id=order.payment_id))
    ).payment
    assert len(payment.refunds) == 1


async def test_a_returned_order_is_paid_back_and_its_goods_restocked_where_they_shipped_from(suite: Suite) -> None:
    order = await paid_order(suite, quantity=3)
    await suite.client("inventory").Confirm(inventory_pb2.ConfirmRequest(request_id=new_id(), order_id=order.order_id))
    refund = await request_refund(suite, order, refunds_pb2.REFUND_KIND_FULL_AFTER_SHIPMENT)
    clerk = suite.client("refunds", CLERK)
    await clerk.ReceiveReturn(refunds_pb2.ReceiveReturnRequest(request_id=new_id(), refund_id=refund.refund_id))
    await approve(suite, refund)
    await clerk.RecordQc(
        refunds_pb2.RecordQcRequest(
            request_id=new_id(), refund_id=refund.refund_id, result=refunds_pb2.QC_RESULT_PASSED
        )
    )

    done = await settled(suite, refund.refund_id)

    assert done.status == refunds_pb2.REFUND_STATUS_COMPLETED
    stock = await stock_of(suite, order.sku)
    assert (stock.on_hand, stock.reserved) == (10, 0)  # 3 shipped, 3 back on the shelf
    (level,) = stock.warehouses
    assert level.warehouse_id == order.warehouse_id
    placed = (await suite.client("orders").GetOrder(orders_pb2.GetOrderRequest(order_id=order.order_id))).order
    assert placed.status == orders_pb2.ORDER_STATUS_PAID  # the orders service has no refunded state


async def test_a_refund_payments_refuses_is_marked_failed_and_moves_no_stock(suite: Suite) -> None:
    order = await paid_order(suite)
    # The requester claims more was captured than was: refunds lets it through, payments does not.
    refund = (
        await suite.client("refunds", AGENT).RequestRefund(
            refunds_pb2.RequestRefundRequest(
                request_id=new_id(),
                order_id=order.order_id,
                payment_id=order.payment_id,
                kind=refunds_pb2.REFUND_KIND_COMPENSATION,
                reason=refunds_pb2.REFUND_REASON_QUALITY_PROBLEM,
                order_type=refunds_pb2.ORDER_TYPE_REGULAR,
                captured=money(order.total * 3),
                already_refunded=money(0),
                amount=money(order.total * 2),
                shipping_fee=money(0),
            )
        )
    ).refund

    await approve(suite, refund)
    done = await settled(suite, refund.refund_id)

    assert done.status == refunds_pb2.REFUND_STATUS_FAILED
    assert done.failure_reason == "refund_payment: REFUND_EXCEEDS_CAPTURED"
    payment = (
        await suite.client("payments").GetPayment(payments_pb2.GetPaymentRequest(payment_id=order.payment_id))
    ).payment
    assert payment.status == payments_pb2.PAYMENT_STATUS_CAPTURED and payment.refunded.amount_minor == 0
    assert (await stock_of(suite, order.sku)).reserved == order.quantity

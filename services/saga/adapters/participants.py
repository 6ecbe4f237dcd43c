"""The participants' gRPC contracts behind the saga's ports, through the thin clients of ``oms_client``.

One channel per peer, shared by every saga. Every failure becomes a ParticipantError carrying the participant's
code, reason, domain and metadata, which the engine classifies (retry or compensate) and the saga
passes through to its own caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc
from oms.common.v1 import common_pb2
from oms.customers.v1 import customers_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms_client import OmsRpcError

from services.saga.adapters.protos import address_out
from services.saga.application.ports import (
    CustomerRef,
    ParticipantError,
    Participants,
    PaymentView,
    Quote,
    QuotedLine,
    RefundReceipt,
    RefundRecord,
)
from services.saga.domain.model import StepError
from services.saga.domain.placement import Buyer, Line, PaymentMethod, Placement
from services.saga.domain.refund import RefundExecution, RefundItem, ReservedLine
from shared.grpc.convert import money_out
from shared.kernel.money import Money

T = TypeVar("T")

PEERS = ("customers", "pricing", "orders", "inventory", "payments", "refunds")
CHANNELS = {
    "own_site": orders_pb2.CHANNEL_OWN_SITE,
    "tmall": orders_pb2.CHANNEL_TMALL,
    "jd": orders_pb2.CHANNEL_JD,
    "douyin": orders_pb2.CHANNEL_DOUYIN,
    "pinduoduo": orders_pb2.CHANNEL_PINDUODUO,
    "shopify": orders_pb2.CHANNEL_SHOPIFY,
}
ORDER_TYPES = {
    "regular": orders_pb2.ORDER_TYPE_REGULAR,
    "rush": orders_pb2.ORDER_TYPE_RUSH,
    "sample": orders_pb2.ORDER_TYPE_SAMPLE,
}


async def call(rpc: Callable[[], Awaitable[T]]) -> T:
    """Run one call, turning any failure into a ParticipantError."""
    try:
        return await rpc()
    except OmsRpcError as failure:
        raise ParticipantError(
            StepError(failure.code.name, failure.reason, failure.message, failure.domain, dict(failure.metadata))
        ) from None
    except grpc.aio.AioRpcError as failure:  # a client built without oms_client's decoding
        raise ParticipantError(StepError(failure.code().name, failure.code().name, failure.details() or "")) from None


def _enum_name(enum: Any, value: int, prefix: str) -> str:
    """The enum value's name without its prefix, or its number when this build does not know it."""
    try:
        return str(enum.Name(value)).removeprefix(prefix)
    except ValueError:
        return str(value)


def money_in(money: common_pb2.Money) -> Money:
    return Money(money.amount_minor, money.currency or "CNY")


def payment_in(payment: payments_pb2.Payment) -> PaymentView:
    currency = payment.amount.currency or "CNY"

    def amount(value: common_pb2.Money) -> Money:
        return Money(value.amount_minor, value.currency or currency)

    return PaymentView(
        payment_id=payment.payment_id,
        status=payments_pb2.PaymentStatus.Name(payment.status).removeprefix("PAYMENT_STATUS_"),
        authorized=amount(payment.authorized),
        captured=amount(payment.captured),
        refunded=amount(payment.refunded),
        refund_pending=amount(payment.refund_pending),
    )


class GrpcCustomers:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def upsert_customer(self, request_id: str, buyer: Buyer, channel: str) -> CustomerRef:
        request = customers_pb2.UpsertCustomerRequest(
            request_id=request_id,
            name=buyer.name,
            phone=buyer.phone,
            email=buyer.email,
            tax_id=buyer.tax_id,
            address=address_out(buyer.address) if buyer.address else None,
            channel=channel,
        )
        response = await call(lambda: self._client.UpsertCustomer(request))
        customer = response.customer
        tier = customers_pb2.CustomerTier.Name(customer.tier).removeprefix("CUSTOMER_TIER_")
        return CustomerRef(customer.customer_id, "" if tier == "UNSPECIFIED" else tier)


class GrpcPricing:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def quote(self, request_id: str, placement: Placement, customer_tier: str) -> Quote:
        request = pricing_pb2.QuoteRequest(
            request_id=request_id,
            lines=[pricing_pb2.QuoteLineRequest(sku=line.sku, quantity=line.quantity) for line in placement.lines],
            customer_tier=customer_tier,
            coupon_codes=list(placement.coupon_codes),
            shipping_address=address_out(placement.shipping_address),
            currency=placement.currency,
        )
        quote = (await call(lambda: self._client.Quote(request))).quote
        return Quote(
            quote_id=quote.quote_id,
            lines=tuple(
                QuotedLine(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=money_in(line.unit_price),
                    discount=money_in(line.discount),
                    line_total=money_in(line.line_total),
                )
                for line in quote.lines
            ),
            subtotal=money_in(quote.subtotal),
            discount_total=money_in(quote.discount_total),
            shipping_fee=money_in(quote.shipping_fee),
            total=money_in(quote.total),
        )


class GrpcOrders:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def create_order(self, request_id: str, placement: Placement, customer: CustomerRef, quote: Quote) -> str:
        request = orders_pb2.CreateOrderRequest(
            request_id=request_id,
            channel=CHANNELS[placement.channel],
            channel_order_id=placement.channel_order_id,
            customer_id=customer.customer_id,
            customer_tier=customer.tier,
            customer_name=placement.customer.name,
            order_type=ORDER_TYPES[placement.order_type],
            lines=[
                orders_pb2.OrderLineInput(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=money_out(line.unit_price),
                    discount=money_out(line.discount),
                )
                for line in quote.lines
            ],
            shipping_fee=money_out(quote.shipping_fee),
            discount_total=money_out(quote.discount_total),
            total=money_out(quote.total),
            subtotal=money_out(quote.subtotal),
            shipping_address=address_out(placement.shipping_address),
            buyer_remark=placement.buyer_remark,
            quote_id=quote.quote_id,
        )
        response = await call(lambda: self._client.CreateOrder(request))
        return str(response.order.order_id)

    async def mark_paid(self, request_id: str, order_id: str, payment_id: str, amount: Money) -> None:
        request = orders_pb2.MarkOrderPaidRequest(
            request_id=request_id, order_id=order_id, payment_id=payment_id, paid_amount=money_out(amount)
        )
        await call(lambda: self._client.MarkOrderPaid(request))

    async def cancel_order(self, request_id: str, order_id: str, reason: str) -> None:
        request = orders_pb2.CancelOrderRequest(request_id=request_id, order_id=order_id, reason=reason)
        await call(lambda: self._client.CancelOrder(request))


class GrpcInventory:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def reserve(
        self, request_id: str, order_id: str, lines: Sequence[Line], *, shipping_province: str, ttl_seconds: int
    ) -> str:
        request = inventory_pb2.ReserveRequest(
            request_id=request_id,
            order_id=order_id,
            lines=[inventory_pb2.ReserveLine(sku=line.sku, quantity=line.quantity) for line in lines],
            ttl_seconds=ttl_seconds,
            shipping_province=shipping_province,
        )
        response = await call(lambda: self._client.Reserve(request))
        return str(response.reservation.reservation_id)

    async def commit(self, request_id: str, order_id: str) -> None:
        request = inventory_pb2.CommitRequest(request_id=request_id, order_id=order_id)
        await call(lambda: self._client.Commit(request))

    async def release(self, request_id: str, order_id: str, reason: str) -> None:
        # The inventory service keeps at most 500 characters of reason.
        request = inventory_pb2.ReleaseRequest(request_id=request_id, order_id=order_id, reason=reason[:500])
        await call(lambda: self._client.Release(request))

    async def reserved_lines(self, order_id: str) -> list[ReservedLine]:
        found: list[ReservedLine] = []
        token = ""
        while True:
            request = inventory_pb2.ListReservationsRequest(
                order_id=order_id, page=common_pb2.PageRequest(page_size=100, page_token=token)
            )
            response = await call(lambda: self._client.ListReservations(request))  # noqa: B023
            for reservation in response.reservations:
                found.extend(ReservedLine(line.sku, line.warehouse_id, line.quantity) for line in reservation.lines)
            token = response.page.next_page_token
            if not token:
                return found

    async def restock_return(
        self, request_id: str, order_id: str, warehouse_id: str, sku: str, quantity: int, reference: str
    ) -> None:
        request = inventory_pb2.RestockReturnRequest(
            request_id=request_id,
            warehouse_id=warehouse_id,
            sku=sku,
            quantity=quantity,
            order_id=order_id,
            reference=reference[:200],
        )
        await call(lambda: self._client.RestockReturn(request))


class GrpcPayments:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def authorize(self, request_id: str, order_id: str, amount: Money, method: PaymentMethod) -> PaymentView:
        request = payments_pb2.AuthorizeRequest(
            request_id=request_id,
            order_id=order_id,
            amount=money_out(amount),
            payment_method=payments_pb2.PaymentMethod(provider=method.provider, token=method.token),
        )
        return payment_in((await call(lambda: self._client.Authorize(request))).payment)

    async def capture(self, request_id: str, payment_id: str, amount: Money) -> PaymentView:
        request = payments_pb2.CaptureRequest(request_id=request_id, payment_id=payment_id, amount=money_out(amount))
        return payment_in((await call(lambda: self._client.Capture(request))).payment)

    async def void(self, request_id: str, payment_id: str) -> PaymentView:
        request = payments_pb2.VoidRequest(request_id=request_id, payment_id=payment_id)
        return payment_in((await call(lambda: self._client.Void(request))).payment)

    async def refund(self, request_id: str, payment_id: str, amount: Money, reason: str) -> RefundReceipt:
        request = payments_pb2.RefundRequest(
            request_id=request_id, payment_id=payment_id, amount=money_out(amount), reason=reason[:500]
        )
        response = await call(lambda: self._client.Refund(request))
        return RefundReceipt(
            payment=payment_in(response.payment),
            refund_id=response.refund.refund_id,
            status=payments_pb2.RefundStatus.Name(response.refund.status).removeprefix("REFUND_STATUS_"),
        )

    async def payments_of_order(self, order_id: str) -> list[PaymentView]:
        found: list[PaymentView] = []
        token = ""
        while True:
            request = payments_pb2.ListPaymentsByOrderRequest(
                order_id=order_id, page=common_pb2.PageRequest(page_size=100, page_token=token)
            )
            response = await call(lambda: self._client.ListPaymentsByOrder(request))  # noqa: B023
            found.extend(payment_in(p) for p in response.payments)
            token = response.page.next_page_token
            if not token:
                return found


class GrpcRefunds:
    def __init__(self, client: Any) -> None:
        self._client = client

    async def mark_executing(self, request_id: str, refund_id: str, saga_id: str) -> RefundExecution:
        request = refunds_pb2.MarkRefundExecutingRequest(request_id=request_id, refund_id=refund_id, saga_id=saga_id)
        refund = (await call(lambda: self._client.MarkRefundExecuting(request))).refund
        return RefundExecution(
            refund_id=refund.refund_id,
            order_id=refund.order_id,
            payment_id=refund.payment_id,
            kind=refunds_pb2.RefundKind.Name(refund.kind).removeprefix("REFUND_KIND_"),
            total=money_in(refund.total),
            items=tuple(RefundItem(item.sku, item.quantity) for item in refund.items),
            # A number this build has no name for is kept as such; the saga refuses it before any money moves.
            stock_action=_enum_name(refunds_pb2.StockAction, refund.stock_action, "STOCK_ACTION_"),
        )

    async def mark_completed(self, request_id: str, refund_id: str, payment_refund_id: str) -> None:
        request = refunds_pb2.MarkRefundCompletedRequest(
            request_id=request_id, refund_id=refund_id, payment_refund_id=payment_refund_id
        )
        await call(lambda: self._client.MarkRefundCompleted(request))

    async def mark_failed(self, request_id: str, refund_id: str, reason: str) -> None:
        request = refunds_pb2.MarkRefundFailedRequest(request_id=request_id, refund_id=refund_id, reason=reason)
        await call(lambda: self._client.MarkRefundFailed(request))

    async def get_refund(self, refund_id: str) -> RefundRecord:
        refund = (await call(lambda: self._client.GetRefund(refunds_pb2.GetRefundRequest(refund_id=refund_id)))).refund
        status = refunds_pb2.RefundStatus.Name(refund.status).removeprefix("REFUND_STATUS_")
        return RefundRecord(refund.refund_id, status, refund.saga_id)


def grpc_participants(client: Callable[[str], Any]) -> Participants:
    """The participants over ``client(peer)``, a ServiceClient of each peer (``Infrastructure.peer_client``
    gives one with the saga's credentials on a channel it closes at shutdown)."""
    return Participants(
        customers=GrpcCustomers(client("customers")),
        pricing=GrpcPricing(client("pricing")),
        orders=GrpcOrders(client("orders")),
        inventory=GrpcInventory(client("inventory")),
        payments=GrpcPayments(client("payments")),
        refunds=GrpcRefunds(client("refunds")),
    )

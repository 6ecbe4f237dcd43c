"""In-memory upstreams for the gateway's unit tests: orders, payments, reservations, sagas, quotes, refunds."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from google.protobuf import timestamp_pb2
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2
from opentelemetry import trace

from services.gateway.application.ports import Caller, Upstreams
from shared.kernel import errors
from shared.kernel.ids import new_id


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


def stamp(seconds: int = 1_760_000_000) -> timestamp_pb2.Timestamp:
    return timestamp_pb2.Timestamp(seconds=seconds)


def an_order(**overrides: object) -> orders_pb2.Order:
    fields: dict[str, object] = {
        "order_id": new_id(),
        "channel": orders_pb2.CHANNEL_TMALL,
        "customer_id": new_id(),
        "customer_name": "张伟𠮷",
        "order_type": orders_pb2.ORDER_TYPE_RUSH,
        "status": orders_pb2.ORDER_STATUS_PAID,
        "lines": [
            orders_pb2.OrderLine(
                line_no=1, sku="SKU-1", quantity=2, unit_price=cny(10_000), discount=cny(0), line_total=cny(20_000)
            )
        ],
        "subtotal": cny(20_000),
        "discount_total": cny(0),
        "shipping_fee": cny(800),
        "total": cny(20_800),
        "created_at": stamp(),
        "updated_at": stamp(),
        "history": [
            orders_pb2.StatusChange(
                to_status=orders_pb2.ORDER_STATUS_PENDING_PAYMENT,
                changed_at=stamp(),
                actor=common_pb2.Actor(subject="saga", role="service"),
            ),
            orders_pb2.StatusChange(
                from_status=orders_pb2.ORDER_STATUS_PENDING_PAYMENT,
                to_status=orders_pb2.ORDER_STATUS_PAID,
                changed_at=stamp(),
            ),
        ],
    }
    fields.update(overrides)
    return orders_pb2.Order(**fields)  # type: ignore[arg-type]


def a_payment(order_id: str, **overrides: object) -> payments_pb2.Payment:
    fields: dict[str, object] = {
        "payment_id": new_id(),
        "order_id": order_id,
        "status": payments_pb2.PAYMENT_STATUS_CAPTURED,
        "amount": cny(20_800),
        "authorized": cny(20_800),
        "captured": cny(20_800),
        "refunded": cny(0),
        "refund_pending": cny(0),
        "provider": "sandbox",
    }
    fields.update(overrides)
    return payments_pb2.Payment(**fields)  # type: ignore[arg-type]


@dataclass
class World:
    """What the fake services know, what they were asked, and the failures scripted per operation."""

    orders: dict[str, orders_pb2.Order] = field(default_factory=dict)
    payments: dict[str, list[payments_pb2.Payment]] = field(default_factory=dict)
    reservations: dict[str, list[inventory_pb2.Reservation]] = field(default_factory=dict)
    sagas: dict[str, saga_pb2.Saga] = field(default_factory=dict)
    refunds: dict[str, list[refunds_pb2.Refund]] = field(default_factory=dict)
    failures: dict[str, errors.OmsError] = field(default_factory=dict)
    calls: list[tuple[str, object, Caller]] = field(default_factory=list)
    # An operation named here waits for its event before answering (to observe concurrency).
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    cancelled: list[str] = field(default_factory=list)
    readiness: dict[str, str] = field(default_factory=lambda: {"orders": "SERVING", "saga": "SERVING"})
    # The span current when each call came in: the HTTP request's span, if tracing wraps the routes.
    spans: list[trace.SpanContext] = field(default_factory=list)

    def add_order(self, **overrides: object) -> orders_pb2.Order:
        order = an_order(**overrides)
        self.orders[order.order_id] = order
        return order

    async def enter(self, operation: str, argument: object, caller: Caller) -> None:
        self.calls.append((operation, argument, caller))
        self.spans.append(trace.get_current_span().get_span_context())
        if (gate := self.gates.get(operation)) is not None:
            try:
                await gate.wait()
            except asyncio.CancelledError:
                self.cancelled.append(operation)
                raise
        if (failure := self.failures.get(operation)) is not None:
            raise failure

    def called(self, operation: str) -> list[object]:
        return [argument for name, argument, _ in self.calls if name == operation]


class FakeOrders:
    def __init__(self, world: World) -> None:
        self.world = world

    async def get_order(self, order_id: str, caller: Caller) -> orders_pb2.Order:
        await self.world.enter("get_order", order_id, caller)
        if order_id not in self.world.orders:
            raise errors.NotFound(f"order {order_id} not found", reason="ORDER_NOT_FOUND")
        return self.world.orders[order_id]

    async def list_orders(self, request: orders_pb2.ListOrdersRequest, caller: Caller) -> orders_pb2.ListOrdersResponse:
        await self.world.enter("list_orders", request, caller)
        matching = [o for o in self.world.orders.values() if not request.channel or o.channel == request.channel]
        start = int(request.page.page_token or 0)
        page = matching[start : start + request.page.page_size]
        more = start + request.page.page_size < len(matching)
        return orders_pb2.ListOrdersResponse(
            orders=page,
            page=common_pb2.PageResponse(next_page_token=str(start + request.page.page_size) if more else ""),
        )


class FakeSaga:
    def __init__(self, world: World) -> None:
        self.world = world

    async def place_order(self, request: saga_pb2.PlaceOrderRequest, caller: Caller) -> saga_pb2.PlaceOrderResponse:
        await self.world.enter("place_order", request, caller)
        order = self.world.add_order(status=orders_pb2.ORDER_STATUS_PAID)
        saga = saga_pb2.Saga(
            saga_id=new_id(),
            request_id=request.request_id,
            kind=saga_pb2.SAGA_KIND_PLACE_ORDER,
            state=saga_pb2.SAGA_STATE_SUCCEEDED,
            order_id=order.order_id,
            total=order.total,
        )
        self.world.sagas[order.order_id] = saga
        return saga_pb2.PlaceOrderResponse(
            saga=saga, order_id=order.order_id, payment_id=new_id(), reservation_id=new_id(), total=order.total
        )

    async def cancel_order(self, request: saga_pb2.CancelOrderRequest, caller: Caller) -> saga_pb2.CancelOrderResponse:
        await self.world.enter("cancel_order", request, caller)
        return saga_pb2.CancelOrderResponse(
            saga=saga_pb2.Saga(
                saga_id=new_id(),
                request_id=request.request_id,
                kind=saga_pb2.SAGA_KIND_CANCEL_ORDER,
                state=saga_pb2.SAGA_STATE_SUCCEEDED,
                order_id=request.order_id,
            )
        )

    async def saga_of_order(self, order_id: str, caller: Caller) -> saga_pb2.Saga | None:
        await self.world.enter("saga_of_order", order_id, caller)
        return self.world.sagas.get(order_id)


class FakePayments:
    def __init__(self, world: World) -> None:
        self.world = world

    async def payments_of_order(self, order_id: str, caller: Caller) -> list[payments_pb2.Payment]:
        await self.world.enter("payments_of_order", order_id, caller)
        return list(self.world.payments.get(order_id, []))


class FakeInventory:
    def __init__(self, world: World) -> None:
        self.world = world

    async def reservations_of_order(self, order_id: str, caller: Caller) -> list[inventory_pb2.Reservation]:
        await self.world.enter("reservations_of_order", order_id, caller)
        return list(self.world.reservations.get(order_id, []))

    async def availability(self, skus: Sequence[str], caller: Caller) -> list[inventory_pb2.SkuAvailability]:
        await self.world.enter("availability", list(skus), caller)
        return [inventory_pb2.SkuAvailability(sku=sku, on_hand=5, available=5) for sku in skus]


class FakePricing:
    def __init__(self, world: World) -> None:
        self.world = world

    async def quote(self, request: pricing_pb2.QuoteRequest, caller: Caller) -> pricing_pb2.PriceQuote:
        await self.world.enter("quote", request, caller)
        lines = [
            pricing_pb2.QuoteLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=cny(1_000),
                discount=cny(0),
                line_total=cny(1_000 * line.quantity),
            )
            for line in request.lines
        ]
        subtotal = sum(line.line_total.amount_minor for line in lines)
        return pricing_pb2.PriceQuote(
            quote_id=new_id(),
            lines=lines,
            subtotal=cny(subtotal),
            discount_total=cny(0),
            shipping_fee=cny(0),
            total=cny(subtotal),
            issued_at=stamp(),
            valid_until=stamp(1_760_000_900),
        )


class FakeRefunds:
    def __init__(self, world: World) -> None:
        self.world = world

    async def request_refund(self, request: refunds_pb2.RequestRefundRequest, caller: Caller) -> refunds_pb2.Refund:
        await self.world.enter("request_refund", request, caller)
        refund = refunds_pb2.Refund(
            refund_id=new_id(),
            order_id=request.order_id,
            payment_id=request.payment_id,
            kind=request.kind,
            reason=request.reason,
            status=refunds_pb2.REFUND_STATUS_PENDING_APPROVAL,
            items=request.items,
            amount=request.amount,
            total=request.amount,
            required_roles=["cs_supervisor"],
            requested_by=common_pb2.Actor(subject=caller.subject, role=caller.role),
        )
        self.world.refunds.setdefault(request.order_id, []).append(refund)
        return refund

    async def refunds_of_order(self, order_id: str, caller: Caller) -> list[refunds_pb2.Refund]:
        await self.world.enter("refunds_of_order", order_id, caller)
        return list(self.world.refunds.get(order_id, []))


class FakeHealth:
    def __init__(self, world: World) -> None:
        self.world = world

    async def readiness(self) -> Mapping[str, str]:
        return dict(self.world.readiness)


def fake_upstreams(world: World, *, refunds: bool = True) -> Upstreams:
    return Upstreams(
        orders=FakeOrders(world),
        saga=FakeSaga(world),
        payments=FakePayments(world),
        inventory=FakeInventory(world),
        pricing=FakePricing(world),
        health=FakeHealth(world),
        refunds=FakeRefunds(world) if refunds else None,
    )

"""The gateway's use cases: check the caller, shape the upstream request, call the services, combine answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from google.protobuf import timestamp_pb2
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.pricing.v1 import pricing_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from services.gateway.application.ports import Caller, InventoryPort, OrdersPort, PricingPort, SagaPort, Upstreams
from services.gateway.domain import idempotency
from services.gateway.domain.access import ChannelNotAllowed, Operation, authorize, check_channel
from services.gateway.domain.pagination import DEFAULT_LIMIT, decode_cursor, encode_cursor, filters_fingerprint
from shared.kernel.errors import FailedPrecondition, InvalidArgument, OmsError, Unavailable
from shared.kernel.ids import is_valid_id


def channel_name(channel: int) -> str:
    """``CHANNEL_TMALL`` -> ``tmall``: the name the HTTP API and tokens use."""
    return orders_pb2.Channel.Name(channel).removeprefix("CHANNEL_").lower()


def channel_value(name: str) -> int | None:
    try:
        return orders_pb2.Channel.Value("CHANNEL_" + name.upper())
    except ValueError:
        return None


def _check_order_id(order_id: str) -> None:
    if not is_valid_id(order_id):
        raise InvalidArgument.field("order_id", "must be a UUID")


async def place_order(
    request: saga_pb2.PlaceOrderRequest, idempotency_key: str | None, caller: Caller, saga: SagaPort
) -> saga_pb2.PlaceOrderResponse:
    """Run the placement saga; the Idempotency-Key is its request id, so a retried POST gets the first answer."""
    authorize(Operation.PLACE_ORDER, caller.role)
    request.request_id = idempotency.request_id(idempotency_key)
    check_channel(request.channel, caller.channels)
    return await saga.place_order(request, caller)


async def get_order(order_id: str, caller: Caller, orders: OrdersPort) -> orders_pb2.Order:
    authorize(Operation.READ_ORDERS, caller.role)
    _check_order_id(order_id)
    order = await orders.get_order(order_id, caller)
    check_channel(channel_name(order.channel), caller.channels)
    return order


@dataclass(frozen=True)
class MissingSection:
    """A part of the panorama that could not be fetched, and why (the upstream's reason)."""

    section: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Panorama:
    """The order with everything around it; ``incomplete`` lists the parts an upstream could not give."""

    order: orders_pb2.Order
    payments: list[payments_pb2.Payment] = field(default_factory=list)
    reservations: list[inventory_pb2.Reservation] = field(default_factory=list)
    refunds: list[refunds_pb2.Refund] = field(default_factory=list)
    saga: saga_pb2.Saga | None = None
    incomplete: list[MissingSection] = field(default_factory=list)


async def order_panorama(order_id: str, caller: Caller, upstreams: Upstreams) -> Panorama:
    """The order, its payments, reservations, refunds, placement saga and status history, fetched concurrently.

    The order itself is required (its errors are the call's errors). Any other part whose service refuses or
    fails is reported in ``incomplete`` rather than failing the whole picture: a support agent looking at a
    stuck order needs what can be known, most of all when one service is down.
    """
    authorize(Operation.READ_ORDERS, caller.role)
    _check_order_id(order_id)
    sections: dict[str, Awaitable[Any]] = {
        "payments": upstreams.payments.payments_of_order(order_id, caller),
        "reservations": upstreams.inventory.reservations_of_order(order_id, caller),
        "saga": upstreams.saga.saga_of_order(order_id, caller),
    }
    incomplete: list[MissingSection] = []
    if upstreams.refunds is not None:
        sections["refunds"] = upstreams.refunds.refunds_of_order(order_id, caller)
    else:
        incomplete.append(MissingSection("refunds", "NOT_CONFIGURED", "this deployment has no refunds service"))
    tasks = {name: asyncio.ensure_future(call) for name, call in sections.items()}
    try:
        order = await upstreams.orders.get_order(order_id, caller)
        check_channel(channel_name(order.channel), caller.channels)
    except BaseException:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        raise
    outcomes = await asyncio.gather(*tasks.values(), return_exceptions=True)
    found: dict[str, Any] = {}
    for name, outcome in zip(tasks, outcomes, strict=True):
        if isinstance(outcome, OmsError):
            incomplete.append(MissingSection(name, outcome.reason, outcome.message))
        elif isinstance(outcome, BaseException):
            raise outcome
        else:
            found[name] = outcome
    return Panorama(
        order=order,
        payments=found.get("payments", []),
        reservations=found.get("reservations", []),
        refunds=found.get("refunds", []),
        saga=found.get("saga"),
        incomplete=incomplete,
    )


@dataclass(frozen=True)
class OrderQuery:
    """Filters of a listing (combined with AND) and the page wanted."""

    statuses: tuple[int, ...] = ()
    channel: int = orders_pb2.CHANNEL_UNSPECIFIED
    customer_id: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    oldest_first: bool = False
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


@dataclass(frozen=True)
class OrderPage:
    orders: list[orders_pb2.Order]
    next_cursor: str | None


def _timestamp(moment: datetime | None) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _scoped_channel(query: OrderQuery, caller: Caller) -> int:
    """The channel filter to apply: the one asked for, or the token's only channel when it is limited to one."""
    if not caller.channels:
        return query.channel
    if query.channel != orders_pb2.CHANNEL_UNSPECIFIED:
        check_channel(channel_name(query.channel), caller.channels)
        return query.channel
    only = channel_value(caller.channels[0]) if len(caller.channels) == 1 else None
    if only is None:
        raise ChannelNotAllowed(
            "this token is limited to some channels: filter by one of them",
            metadata={"channels": ",".join(caller.channels)},
        )
    return only


async def list_orders(query: OrderQuery, caller: Caller, orders: OrdersPort) -> OrderPage:
    """One page of orders; the cursor of the next page only works with the same filters."""
    authorize(Operation.READ_ORDERS, caller.role)
    channel = _scoped_channel(query, caller)
    fingerprint = filters_fingerprint(
        {
            "statuses": list(query.statuses),
            "channel": channel,
            "customer_id": query.customer_id,
            "created_after": query.created_after.isoformat() if query.created_after else None,
            "created_before": query.created_before.isoformat() if query.created_before else None,
            "oldest_first": query.oldest_first,
        }
    )
    request = orders_pb2.ListOrdersRequest(
        page=common_pb2.PageRequest(page_size=query.limit, page_token=decode_cursor(query.cursor, fingerprint)),
        statuses=query.statuses,
        channel=channel,
        customer_id=query.customer_id,
        created_after=_timestamp(query.created_after),
        created_before=_timestamp(query.created_before),
        oldest_first=query.oldest_first,
    )
    response = await orders.list_orders(request, caller)
    return OrderPage(list(response.orders), encode_cursor(response.page.next_page_token, fingerprint))


async def cancel_order(
    order_id: str, reason: str, idempotency_key: str | None, caller: Caller, upstreams: Upstreams
) -> saga_pb2.Saga:
    """Run the cancellation saga (release stock, void or refund the payment) under the caller's key."""
    authorize(Operation.CANCEL_ORDER, caller.role)
    request_id = idempotency.request_id(idempotency_key)
    _check_order_id(order_id)
    if caller.channels:
        order = await upstreams.orders.get_order(order_id, caller)
        check_channel(channel_name(order.channel), caller.channels)
    request = saga_pb2.CancelOrderRequest(request_id=request_id, order_id=order_id, reason=reason)
    return (await upstreams.saga.cancel_order(request, caller)).saga


async def check_availability(
    skus: Sequence[str], caller: Caller, inventory: InventoryPort
) -> list[inventory_pb2.SkuAvailability]:
    authorize(Operation.CHECK_AVAILABILITY, caller.role)
    return await inventory.availability(skus, caller)


async def quote(
    request: pricing_pb2.QuoteRequest, idempotency_key: str | None, caller: Caller, pricing: PricingPort
) -> pricing_pb2.PriceQuote:
    """Price a basket; the quote is stored upstream, so the key makes a retried POST return the same quote."""
    authorize(Operation.QUOTE, caller.role)
    request.request_id = idempotency.request_id(idempotency_key)
    return await pricing.quote(request, caller)


class RefundsNotConfigured(Unavailable):
    reason = "REFUNDS_NOT_CONFIGURED"


class NothingCaptured(FailedPrecondition):
    reason = "NOTHING_CAPTURED"


_CAPTURED_STATES = frozenset(
    {
        payments_pb2.PAYMENT_STATUS_CAPTURED,
        payments_pb2.PAYMENT_STATUS_PARTIALLY_REFUNDED,
        payments_pb2.PAYMENT_STATUS_REFUNDED,
    }
)


def _refunded_payment(payments: Sequence[payments_pb2.Payment], payment_id: str) -> payments_pb2.Payment:
    """The payment a refund draws on: the one named, else the order's only captured payment."""
    if payment_id:
        for payment in payments:
            if payment.payment_id == payment_id:
                return payment
        raise InvalidArgument.field("payment_id", "is not a payment of this order")
    captured = [p for p in payments if p.status in _CAPTURED_STATES]
    if not captured:
        raise NothingCaptured("the order has no captured payment to refund")
    if len(captured) > 1:
        raise InvalidArgument.field("payment_id", "the order has several captured payments: name one")
    return captured[0]


async def request_refund(
    order_id: str,
    request: refunds_pb2.RequestRefundRequest,
    idempotency_key: str | None,
    caller: Caller,
    upstreams: Upstreams,
) -> refunds_pb2.Refund:
    """Open a refund request; what the order and its payment already say (order type, shipping fee, captured
    and refunded amounts) is taken from the orders and payments services, not from the client."""
    authorize(Operation.REQUEST_REFUND, caller.role)
    request.request_id = idempotency.request_id(idempotency_key)
    _check_order_id(order_id)
    if upstreams.refunds is None:
        raise RefundsNotConfigured("this deployment has no refunds service")
    order, payments = await asyncio.gather(
        upstreams.orders.get_order(order_id, caller), upstreams.payments.payments_of_order(order_id, caller)
    )
    check_channel(channel_name(order.channel), caller.channels)
    payment = _refunded_payment(payments, request.payment_id)
    request.order_id = order_id
    request.payment_id = payment.payment_id
    request.order_type = refunds_pb2.OrderType.Value(orders_pb2.OrderType.Name(order.order_type))
    request.shipping_fee.CopyFrom(order.shipping_fee)
    request.captured.CopyFrom(payment.captured)
    request.already_refunded.CopyFrom(payment.refunded)
    return await upstreams.refunds.request_refund(request, caller)

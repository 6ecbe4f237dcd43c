"""Reads one order's facts through the services' gRPC contracts (never their databases): every list paged
through to its end, transient failures retried, reads spread over a bounded number of calls at once."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import grpc
import oms_client
from google.protobuf.timestamp_pb2 import Timestamp
from oms.common.v1 import common_pb2
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from shared.kernel.errors import InvalidArgument
from shared.kernel.money import Money
from tools.reconcile.facts import (
    Line,
    OrderFacts,
    OrderView,
    PaymentRefundView,
    PaymentView,
    RefundView,
    ReservationView,
    SagaView,
)

SERVICES = ("orders", "payments", "inventory", "refunds", "saga")
PAGE_SIZE = 500  # the servers' cap
READ_ATTEMPTS = 4
# Reads change nothing, so whatever may pass on a second try is retried (a service briefly out of database
# connections answers INTERNAL or RESOURCE_EXHAUSTED).
RETRIED = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


class ReadError(Exception):
    """A service could not answer a read (after retries), or answered something the report cannot use."""


# --- Protos to facts ---------------------------------------------------------------------------------


def _name(enum: Any, value: int, prefix: str) -> str:
    try:
        return str(enum.Name(value)).removeprefix(prefix)
    except ValueError:
        return f"UNKNOWN_{value}"  # a newer server's status: shown as it is, never matching a known one


def _time(stamp: Timestamp) -> datetime | None:
    if stamp.seconds == 0 and stamp.nanos == 0:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def _money(value: common_pb2.Money, currency: str, what: str) -> Money:
    """The amount; an unset one is zero in ``currency`` (a payment that captured nothing has no currency)."""
    if not value.currency and value.amount_minor == 0:
        return Money(0, currency)
    try:
        return Money(value.amount_minor, value.currency)
    except InvalidArgument as error:
        raise ReadError(f"{what} is not an amount: {value.amount_minor} {value.currency!r}") from error


def order_view(order: orders_pb2.Order) -> OrderView:
    status = _name(orders_pb2.OrderStatus, order.status, "ORDER_STATUS_")
    resume = order.resume_status
    created = _time(order.created_at)
    if not order.order_id or created is None:
        raise ReadError(f"orders answered an order without id or creation time ({order.order_id!r})")
    currency = order.total.currency
    if not currency:
        raise ReadError(f"order {order.order_id} has a total without a currency")
    return OrderView(
        order_id=order.order_id,
        status=status,
        total=_money(order.total, currency, f"order {order.order_id} total"),
        created_at=created,
        updated_at=_time(order.updated_at) or created,
        channel=_name(orders_pb2.Channel, order.channel, "CHANNEL_"),
        resume_status=_name(orders_pb2.OrderStatus, resume, "ORDER_STATUS_") if resume else "",
        hold_reason=order.hold_reason,
        payment_id=order.payment_id,
        lines=tuple(Line(line.sku, line.quantity) for line in order.lines),
    )


def payment_view(payment: payments_pb2.Payment, currency: str) -> PaymentView:
    where = f"payment {payment.payment_id}"
    return PaymentView(
        payment_id=payment.payment_id,
        status=_name(payments_pb2.PaymentStatus, payment.status, "PAYMENT_STATUS_"),
        captured=_money(payment.captured, currency, f"{where} captured"),
        refunded=_money(payment.refunded, currency, f"{where} refunded"),
        refund_pending=_money(payment.refund_pending, currency, f"{where} refund_pending"),
        refunds=tuple(
            PaymentRefundView(
                refund_id=refund.refund_id,
                amount=_money(refund.amount, currency, f"{where} refund {refund.refund_id}"),
                status=_name(payments_pb2.RefundStatus, refund.status, "REFUND_STATUS_"),
            )
            for refund in payment.refunds
        ),
    )


def reservation_view(reservation: inventory_pb2.Reservation) -> ReservationView:
    return ReservationView(
        reservation_id=reservation.reservation_id,
        status=_name(inventory_pb2.ReservationStatus, reservation.status, "RESERVATION_STATUS_"),
        lines=tuple(Line(line.sku, int(line.quantity)) for line in reservation.lines),
        release_reason=reservation.release_reason,
    )


def refund_view(refund: refunds_pb2.Refund, currency: str, as_of: datetime) -> RefundView:
    return RefundView(
        refund_id=refund.refund_id,
        status=_name(refunds_pb2.RefundStatus, refund.status, "REFUND_STATUS_"),
        total=_money(refund.total, currency, f"refund {refund.refund_id} total"),
        updated_at=_time(refund.updated_at) or _time(refund.requested_at) or as_of,
        payment_id=refund.payment_id,
        payment_refund_id=refund.payment_refund_id,
    )


def saga_view(saga: saga_pb2.Saga, as_of: datetime) -> SagaView:
    return SagaView(
        saga_id=saga.saga_id,
        state=_name(saga_pb2.SagaState, saga.state, "SAGA_STATE_"),
        created_at=_time(saga.created_at) or as_of,
        payment_id=saga.payment_id,
        failed_step=saga.failed_step,
        failure_reason=saga.failure.reason if saga.HasField("failure") else "",
    )


# --- Reading -----------------------------------------------------------------------------------------


class Reader:
    """Reads of the report: each retried on a transient failure, at most ``concurrency`` orders at once.

    ``clients`` maps each of SERVICES to an ``oms_client.ServiceClient`` (or anything with its call shape).
    """

    def __init__(
        self,
        clients: Mapping[str, Any],
        *,
        concurrency: int = 8,
        attempts: int = READ_ATTEMPTS,
        backoff: float = 0.2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        missing = [s for s in SERVICES if s not in clients]
        if missing:
            raise ValueError(f"no client of {', '.join(missing)}")
        if concurrency < 1 or attempts < 1:
            raise ValueError("concurrency and attempts must be positive")
        self._clients = clients
        self._gate = asyncio.Semaphore(concurrency)
        self._attempts = attempts
        self._backoff = backoff
        self._clock = clock

    async def call(self, service: str, method: str, request: Any, *, missing_ok: bool = False) -> Any:
        """The reply; None if ``missing_ok`` and the thing is NOT_FOUND; ReadError when it keeps failing."""
        rpc = getattr(self._clients[service], method)
        for attempt in range(1, self._attempts + 1):
            try:
                return await rpc(request)
            except oms_client.OmsRpcError as error:
                if missing_ok and error.code == grpc.StatusCode.NOT_FOUND:
                    return None
                if error.code not in RETRIED or attempt == self._attempts:
                    raise ReadError(f"{service} {method}: {error}") from error
            # Jittered exponential backoff so that many orders' retries do not arrive together.
            await asyncio.sleep(self._backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def pages(self, service: str, method: str, request: Any, items: str) -> AsyncIterator[list[Any]]:
        """Every page of a list RPC, to its end; ``request`` is copied, never changed."""
        page = type(request)()
        page.CopyFrom(request)
        page.page.page_size = PAGE_SIZE
        seen: set[str] = set()
        while True:
            reply = await self.call(service, method, page)
            yield list(getattr(reply, items))
            token = reply.page.next_page_token
            if not token:
                return
            if token in seen:
                raise ReadError(f"{service} {method} answered page token {token[:40]!r} twice: its paging loops")
            seen.add(token)
            page.page.page_token = token

    async def every(self, service: str, method: str, request: Any, items: str) -> list[Any]:
        collected: list[Any] = []
        async for found in self.pages(service, method, request, items):
            collected.extend(found)
        return collected

    def orders(self, since: datetime, until: datetime) -> AsyncIterator[list[orders_pb2.Order]]:
        """Pages of the orders created in [since, until), oldest first."""
        request = orders_pb2.ListOrdersRequest(oldest_first=True)
        request.created_after.FromDatetime(since)
        request.created_before.FromDatetime(until)
        return self.pages("orders", "ListOrders", request, "orders")

    async def order(self, order_id: str) -> orders_pb2.Order:
        reply = await self.call("orders", "GetOrder", orders_pb2.GetOrderRequest(order_id=order_id))
        return reply.order

    async def facts(self, order: orders_pb2.Order | str) -> OrderFacts:
        """One order's facts; given an id (or to re-check), the order is read afresh with GetOrder.

        The order is read last when it is read afresh, so a saga that ended between the reads shows its
        order already moved, rather than an old order beside a finished saga.
        """
        async with self._gate:
            order_id = order if isinstance(order, str) else order.order_id
            saga_reply, payments, reservations, refunds = await asyncio.gather(
                self.call("saga", "GetSaga", saga_pb2.GetSagaRequest(order_id=order_id), missing_ok=True),
                self.every(
                    "payments",
                    "ListPaymentsByOrder",
                    payments_pb2.ListPaymentsByOrderRequest(order_id=order_id),
                    "payments",
                ),
                self.every(
                    "inventory",
                    "ListReservations",
                    inventory_pb2.ListReservationsRequest(order_id=order_id),
                    "reservations",
                ),
                self.every("refunds", "ListRefunds", refunds_pb2.ListRefundsRequest(order_id=order_id), "refunds"),
            )
            if isinstance(order, str):
                order = await self.order(order_id)
            as_of = self._clock()
        view = order_view(order)
        currency = view.total.currency
        return OrderFacts(
            order=view,
            as_of=as_of,
            payments=tuple(payment_view(p, currency) for p in _of_order(payments, order_id, "payment")),
            reservations=tuple(reservation_view(r) for r in _of_order(reservations, order_id, "reservation")),
            refunds=tuple(refund_view(r, currency, as_of) for r in _of_order(refunds, order_id, "refund")),
            saga=saga_view(saga_reply.saga, as_of) if saga_reply is not None else None,
        )


def _of_order(items: Iterable[Any], order_id: str, what: str) -> list[Any]:
    """The items, checked to belong to the order asked about (a filter ignored would mix orders up)."""
    items = list(items)
    strangers = [i for i in items if i.order_id != order_id]
    if strangers:
        raise ReadError(f"listing the {what}s of order {order_id} returned one of order {strangers[0].order_id}")
    return items

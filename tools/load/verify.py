"""Reads back what the services hold after a run (through their gRPC contracts) to feed the checks."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import oms_client
from google.protobuf.timestamp_pb2 import Timestamp
from oms.inventory.v1 import inventory_pb2
from oms.orders.v1 import orders_pb2
from oms.payments.v1 import payments_pb2
from oms.refunds.v1 import refunds_pb2
from oms.saga.v1 import saga_pb2

from tools.load.catalogue import Catalogue
from tools.load.checks import (
    REFUND_END_STATES,
    TERMINAL_SAGA_STATES,
    ChannelOrderFact,
    Facts,
    HoldFact,
    OrderFact,
    PaymentFact,
    RefundFact,
    SagaFact,
    SkuSnapshot,
)
from tools.load.config import LoadConfig
from tools.load.driver import Traffic
from tools.load.ingest import channel_tag
from tools.load.stats import LatencySummary
from tools.load.target import Target

T = TypeVar("T")
R = TypeVar("R")

PAGE_SIZE = 500
# Orders created a little before the run's first arrival still belong to it if the clocks disagree slightly.
CLOCK_MARGIN = timedelta(seconds=5)
SETTLE_POLL_SECONDS = 0.5
_READ_ATTEMPTS = 5
# Reads change nothing, so any failure that may pass is worth repeating (a service briefly out of database
# connections answers INTERNAL).
_RETRIED_READ_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED", "INTERNAL", "RESOURCE_EXHAUSTED"})


class Reader:
    """Calls of the verification, each retried on a transient failure; what still fails is recorded."""

    def __init__(self, target: Target, concurrency: int) -> None:
        self.target = target
        self.problems: list[str] = []
        self._gate = asyncio.Semaphore(concurrency)

    async def call(self, service: str, method: str, request: Any, *, missing_ok: bool = False) -> Any:
        """The reply, or None if it failed (recorded) or, with ``missing_ok``, if it was NOT_FOUND."""
        client = self.target.client(service)
        async with self._gate:
            for attempt in range(_READ_ATTEMPTS):
                try:
                    return await getattr(client, method)(request)
                except oms_client.OmsRpcError as error:
                    if missing_ok and error.code.name == "NOT_FOUND":
                        return None
                    if error.code.name not in _RETRIED_READ_CODES or attempt == _READ_ATTEMPTS - 1:
                        self.problems.append(f"{service}.{method}: {error}")
                        return None
                    await asyncio.sleep(0.2 * 2**attempt)
        return None

    async def each(self, items: Iterable[T], action: Callable[[T], Awaitable[R]]) -> list[R]:
        return list(await asyncio.gather(*(action(item) for item in items)))


def _time(stamp: Timestamp) -> datetime | None:
    if not stamp.seconds and not stamp.nanos:
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def _lines(lines: Iterable[Any]) -> tuple[tuple[str, int], ...]:
    return tuple((line.sku, int(line.quantity)) for line in lines)


def order_fact(order: orders_pb2.Order) -> OrderFact:
    return OrderFact(
        order_id=order.order_id,
        status=orders_pb2.OrderStatus.Name(order.status).removeprefix("ORDER_STATUS_"),
        total_minor=order.total.amount_minor,
        customer_id=order.customer_id,
        remark=order.buyer_remark,
        lines=_lines(order.lines),
    )


async def stock_snapshot(reader: Reader, skus: Sequence[str]) -> dict[str, SkuSnapshot]:
    """Every SKU's totals, with the units its CONFIRMED reservations shipped."""
    reply = await reader.call("inventory", "GetAvailability", inventory_pb2.GetAvailabilityRequest(skus=list(skus)))
    if reply is None:
        return {}
    confirmed = await holds(reader, skus, statuses=(inventory_pb2.RESERVATION_STATUS_CONFIRMED,))
    shipped = {sku: 0 for sku in skus}
    for hold in confirmed:
        for sku, quantity in hold.lines:
            if sku in shipped:
                shipped[sku] += quantity
    return {
        item.sku: SkuSnapshot(
            sku=item.sku,
            on_hand=item.on_hand,
            reserved=item.reserved,
            safety_stock=item.safety_stock,
            available=item.available,
            shipped=shipped.get(item.sku, 0),
        )
        for item in reply.items
    }


async def holds(
    reader: Reader,
    skus: Sequence[str],
    statuses: Sequence[int] = (
        inventory_pb2.RESERVATION_STATUS_HELD,
        inventory_pb2.RESERVATION_STATUS_COMMITTED,
        inventory_pb2.RESERVATION_STATUS_CONFIRMED,
    ),
) -> list[HoldFact]:
    """The reservations in ``statuses`` with a line of one of ``skus`` (each once): by default every one that
    holds stock (HELD, COMMITTED) or has shipped it (CONFIRMED)."""
    found: dict[str, HoldFact] = {}

    async def pages(sku: str, status: int) -> None:
        token = ""
        while True:
            request = inventory_pb2.ListReservationsRequest(sku=sku, status=status)
            request.page.page_size, request.page.page_token = PAGE_SIZE, token
            reply = await reader.call("inventory", "ListReservations", request)
            if reply is None:
                return
            for reservation in reply.reservations:
                found[reservation.reservation_id] = HoldFact(
                    reservation_id=reservation.reservation_id,
                    order_id=reservation.order_id,
                    status=inventory_pb2.ReservationStatus.Name(reservation.status).removeprefix("RESERVATION_STATUS_"),
                    lines=_lines(reservation.lines),
                    expires_at=_time(reservation.expires_at),
                )
            token = reply.page.next_page_token
            if not token:
                return

    await asyncio.gather(*(pages(sku, status) for sku in skus for status in statuses))
    return list(found.values())


async def settle(reader: Reader, request_ids: Sequence[str], timeout: float) -> dict[str, SagaFact]:
    """Each request's saga once it ended (or as it stood at the deadline); NOT_FOUND when none began."""
    settled: dict[str, SagaFact] = {}
    pending = list(request_ids)
    deadline = time.monotonic() + timeout
    while pending:

        async def look(request_id: str) -> SagaFact:
            reply = await reader.call(
                "saga", "GetSaga", saga_pb2.GetSagaRequest(request_id=request_id), missing_ok=True
            )
            if reply is None:
                return SagaFact(request_id, "NOT_FOUND")
            saga = reply.saga
            state = saga_pb2.SagaState.Name(saga.state).removeprefix("SAGA_STATE_")
            return SagaFact(request_id, state, saga.order_id, saga.total.amount_minor)

        for fact in await reader.each(pending, look):
            settled[fact.request_id] = fact
        pending = [r for r in pending if settled[r].state not in TERMINAL_SAGA_STATES]
        if not pending or time.monotonic() >= deadline:
            break
        await asyncio.sleep(SETTLE_POLL_SECONDS)
    return settled


async def refunds_of(reader: Reader, order_ids: Sequence[str], timeout: float) -> dict[str, list[RefundFact]]:
    """The refunds of ``order_ids``, read again until each has ended (or the deadline passed)."""
    found: dict[str, list[RefundFact]] = {}
    pending = list(order_ids)
    deadline = time.monotonic() + timeout

    async def read(order_id: str) -> tuple[str, list[RefundFact]]:
        refunds: list[RefundFact] = []
        token = ""
        while True:
            request = refunds_pb2.ListRefundsRequest(order_id=order_id)
            request.page.page_size, request.page.page_token = PAGE_SIZE, token
            reply = await reader.call("refunds", "ListRefunds", request)
            if reply is None:
                return order_id, refunds
            refunds.extend(
                RefundFact(
                    refund_id=r.refund_id,
                    order_id=r.order_id,
                    status=refunds_pb2.RefundStatus.Name(r.status).removeprefix("REFUND_STATUS_"),
                    total_minor=r.total.amount_minor,
                )
                for r in reply.refunds
            )
            token = reply.page.next_page_token
            if not token:
                return order_id, refunds

    while pending:
        found.update(await reader.each(pending, read))
        pending = [o for o in pending if any(r.status not in REFUND_END_STATES for r in found[o])]
        if not pending or time.monotonic() >= deadline:
            break
        await asyncio.sleep(SETTLE_POLL_SECONDS)
    return found


async def list_run_orders(reader: Reader, skus: Sequence[str], since: datetime, until: datetime) -> list[OrderFact]:
    """Orders created in the run's window that sell one of its SKUs (other traffic on the stack is left out)."""
    wanted = set(skus)
    found: list[OrderFact] = []
    token = ""
    after, before = Timestamp(), Timestamp()
    after.FromDatetime(since)
    before.FromDatetime(until)
    while True:
        request = orders_pb2.ListOrdersRequest(
            channel=orders_pb2.CHANNEL_OWN_SITE, created_after=after, created_before=before, oldest_first=True
        )
        request.page.page_size, request.page.page_token = PAGE_SIZE, token
        reply = await reader.call("orders", "ListOrders", request)
        if reply is None:
            return found
        found.extend(order_fact(o) for o in reply.orders if any(line.sku in wanted for line in o.lines))
        token = reply.page.next_page_token
        if not token:
            return found


async def list_channel_orders(
    reader: Reader, channel: str, prefix: str, since: datetime, until: datetime
) -> list[ChannelOrderFact]:
    """The channel's orders created in the run's window whose channel order id starts with ``prefix``."""
    found: list[ChannelOrderFact] = []
    token = ""
    after, before = Timestamp(), Timestamp()
    after.FromDatetime(since)
    before.FromDatetime(until)
    while True:
        request = orders_pb2.ListOrdersRequest(
            channel=orders_pb2.Channel.Value(channel), created_after=after, created_before=before, oldest_first=True
        )
        request.page.page_size, request.page.page_token = PAGE_SIZE, token
        reply = await reader.call("orders", "ListOrders", request)
        if reply is None:
            return found
        found.extend(
            ChannelOrderFact(
                channel,
                o.channel_order_id,
                o.order_id,
                orders_pb2.OrderStatus.Name(o.status).removeprefix("ORDER_STATUS_"),
            )
            for o in reply.orders
            if o.channel_order_id.startswith(prefix)
        )
        token = reply.page.next_page_token
        if not token:
            return found


async def collect(
    target: Target,
    config: LoadConfig,
    catalogue: Catalogue,
    traffic: Traffic,
    initial: dict[str, SkuSnapshot],
    *,
    progress: Callable[[str], None] = lambda message: None,
) -> Facts:
    """Everything the checks need, read after the last answer came in."""
    reader = Reader(target, config.verify_concurrency)
    unheard = [a.request_id for a in traffic.attempts if a.outcome in ("error", "pending") and a.request_id]
    progress(f"settling {len(unheard)} unheard answers through GetSaga")
    sagas = await settle(reader, unheard, config.settle_timeout)

    acked = {a.order_id for a in traffic.attempts if a.outcome == "ok" and a.order_id}
    acked |= {s.order_id for s in sagas.values() if s.order_id}
    progress(f"reading {len(acked)} orders back with GetOrder")

    async def fetch(order_id: str) -> tuple[str, OrderFact | None]:
        reply = await reader.call("orders", "GetOrder", orders_pb2.GetOrderRequest(order_id=order_id), missing_ok=True)
        return order_id, order_fact(reply.order) if reply is not None else None

    fetched = dict(await reader.each(sorted(acked), fetch))
    until = datetime.now(UTC) + CLOCK_MARGIN
    listed = await list_run_orders(reader, catalogue.skus, traffic.started_at - CLOCK_MARGIN, until)
    progress(f"listed {len(listed)} orders of the run; reading stock and reservations")
    final = await stock_snapshot(reader, catalogue.skus)
    held = await holds(reader, catalogue.skus)
    order_ids = sorted({o.order_id for o in listed} | {k for k, v in fetched.items() if v is not None})
    progress(f"reading the payments of {len(order_ids)} orders")

    async def payments(order_id: str) -> tuple[str, list[PaymentFact]]:
        reply = await reader.call(
            "payments", "ListPaymentsByOrder", payments_pb2.ListPaymentsByOrderRequest(order_id=order_id)
        )
        facts = [
            PaymentFact(
                payment_id=p.payment_id,
                order_id=p.order_id,
                status=payments_pb2.PaymentStatus.Name(p.status).removeprefix("PAYMENT_STATUS_"),
                captured=p.captured.amount_minor,
                refunded=p.refunded.amount_minor,
                refund_pending=p.refund_pending.amount_minor,
            )
            for p in (reply.payments if reply is not None else ())
        ]
        return order_id, facts

    refunded_orders = sorted({a.target_order_id for a in traffic.attempts if a.scenario == "refund" and a.sent})
    refunds: dict[str, list[RefundFact]] = {}
    if refunded_orders:
        progress(f"reading the refunds of {len(refunded_orders)} orders")
        refunds = await refunds_of(reader, refunded_orders, config.settle_timeout)
    paid = dict(await reader.each(order_ids, payments))
    channels = sorted({a.channel for a in traffic.attempts if a.scenario == "ingest" and a.sent is not None})
    channel_orders: list[ChannelOrderFact] = []
    if channels:
        progress(f"listing the run's orders of {len(channels)} channels")
        prefix = channel_tag(catalogue.run_id)
        for found in await reader.each(
            channels,
            lambda channel: list_channel_orders(reader, channel, prefix, traffic.started_at - CLOCK_MARGIN, until),
        ):
            channel_orders.extend(found)
    return Facts(
        run_id=catalogue.run_id,
        skus=catalogue.skus,
        hot_sku=catalogue.hot,
        flash_units=config.flash_units,
        initial=initial,
        final=final,
        attempts=traffic.attempts,
        sagas=sagas,
        fetched=fetched,
        listed=listed,
        holds=held,
        payments=paid,
        now=datetime.now(UTC),
        problems=reader.problems,
        refunds=refunds,
        channel_orders=channel_orders,
    )


async def step_timings(
    target: Target, traffic: Traffic, sample: int, *, seed: int, concurrency: int
) -> tuple[dict[str, LatencySummary], int]:
    """Per-step durations (finished_at - started_at) of a random sample of the run's successful placement
    sagas, and how many sagas were read."""
    saga_ids = sorted({a.saga_id for a in traffic.attempts if a.outcome == "ok" and a.places_order and a.saga_id})
    chosen = random.Random(seed).sample(saga_ids, k=min(sample, len(saga_ids)))
    reader = Reader(target, concurrency)
    replies = await reader.each(
        chosen, lambda saga_id: reader.call("saga", "GetSaga", saga_pb2.GetSagaRequest(saga_id=saga_id))
    )
    durations: dict[str, list[float]] = {}
    for reply in replies:
        if reply is None:
            continue
        for step in reply.saga.steps:
            started, finished = _time(step.started_at), _time(step.finished_at)
            if started is not None and finished is not None:
                durations.setdefault(step.name, []).append((finished - started).total_seconds())
        created, updated = _time(reply.saga.created_at), _time(reply.saga.updated_at)
        if created is not None and updated is not None:
            durations.setdefault("saga (created to ended)", []).append((updated - created).total_seconds())
    return {name: LatencySummary.of(values) for name, values in durations.items()}, len(chosen)

"""In-memory fakes for saga tests: participants that keep state and dedupe on request ids like the real
ones, a scripted error queue per call, a store with leases shared by several coordinators, and a clock."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.saga.application.commands import PlaceOrder
from services.saga.application.ports import (
    CustomerRef,
    ParticipantError,
    Participants,
    PaymentStatus,
    PaymentView,
    Quote,
    QuotedLine,
    RefundReceipt,
    RefundRecord,
)
from services.saga.domain.errors import LeaseLost
from services.saga.domain.model import ACTIVE_STATES, Saga, SagaKind, SagaState, StepError, Transition
from services.saga.domain.placement import Address, Buyer, Line, PaymentMethod, Placement
from services.saga.domain.refund import RefundExecution, RefundItem, ReservedLine
from shared.kernel.money import Money

UNIT_PRICE = 12_000
SHIPPING = 1_000


def error(code: str, reason: str, **metadata: str) -> ParticipantError:
    return ParticipantError(StepError(code, reason, f"{reason.lower()}", "oms.fake", metadata))


def declined() -> ParticipantError:
    return error("FAILED_PRECONDITION", "PAYMENT_DECLINED")


def unavailable() -> ParticipantError:
    return error("UNAVAILABLE", "UNAVAILABLE")


def placement(**changes: Any) -> Placement:
    base = Placement(
        customer=Buyer(name="张伟𠮷", phone="13800138000", email="zw@example.com"),
        lines=(Line("SKU-1", 2), Line("SKU-2", 1)),
        shipping_address=Address(recipient="张伟", phone="13800138000", country="CN", province="浙江省", detail="1号"),
        payment_method=PaymentMethod("sandbox", "tok_ok"),
        channel="tmall",
        coupon_codes=("SAVE10",),
    )
    return _replace(base, **changes)


def _replace(value: Any, **changes: Any) -> Any:
    return replace(value, **changes)


def place(request_id: str = "req-1", **changes: Any) -> PlaceOrder:
    return PlaceOrder(request_id, placement(**changes))


class Clock:
    """A wall clock and a monotonic clock that only move when told to."""

    def __init__(self) -> None:
        self.now = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
        self.mono = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


@dataclass
class Call:
    method: str
    request_id: str | None
    args: tuple[Any, ...] = ()


WAREHOUSE = "00000000-0000-7000-8000-0000000000aa"


@dataclass
class FakeRefund:
    """A refund as the refunds service keeps it, reduced to what the execution saga reads and changes."""

    refund_id: str
    order_id: str
    payment_id: str
    kind: str
    total: Money
    items: tuple[RefundItem, ...]
    stock_action: str
    status: str = "READY_FOR_EXECUTION"
    saga_id: str = ""
    payment_refund_id: str = ""
    failure_reason: str = ""


@dataclass
class FakeWorld:
    """Every participant at once, recording each call in order; ``script`` queues errors per method.

    A queued error is raised instead of the call; ``after`` errors are raised after the call took
    effect (an answer lost on the way back).
    """

    calls: list[Call] = field(default_factory=list)
    script: dict[str, list[ParticipantError]] = field(default_factory=dict)
    after: dict[str, list[ParticipantError]] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    entered: dict[str, asyncio.Event] = field(default_factory=dict)
    customers_by_request: dict[str, CustomerRef] = field(default_factory=dict)
    orders: dict[str, str] = field(default_factory=dict)  # order_id -> status
    orders_by_request: dict[str, str] = field(default_factory=dict)
    paid: dict[str, str] = field(default_factory=dict)  # order_id -> payment_id
    reservations: dict[str, str] = field(default_factory=dict)  # order_id -> HELD / COMMITTED / EXPIRED / RELEASED
    payments: dict[str, PaymentView] = field(default_factory=dict)
    payment_order: dict[str, str] = field(default_factory=dict)
    payments_by_request: dict[str, str] = field(default_factory=dict)
    refunds: dict[str, Money] = field(default_factory=dict)  # request_id -> amount
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Authorizations stay AUTHORIZING and answer UNAVAILABLE (the sandbox's tok_timeout).
    authorizing: bool = False
    refund_records: dict[str, FakeRefund] = field(default_factory=dict)
    refund_answers: dict[str, RefundExecution] = field(default_factory=dict)  # request_id -> first answer
    payment_refund_ids: dict[str, str] = field(default_factory=dict)  # request_id -> payments' refund id
    # Refunds stay PENDING at the provider (it has not paid out yet).
    refunds_pending: bool = False
    settled_refunds: set[str] = field(default_factory=set)
    restocks: dict[str, tuple[str, str, str, int]] = field(default_factory=dict)  # request_id -> restock
    reserved: dict[str, tuple[Line, ...]] = field(default_factory=dict)  # order_id -> reserved lines
    # Holds expire at once (the sweeper gets there before the money comes in).
    holds_expire: bool = False
    # Refusals a participant repeats to a repeated request id (as payments does for a decline).
    refused: dict[tuple[str, str], ParticipantError] = field(default_factory=dict)

    def fail(self, method: str, *errors: ParticipantError) -> None:
        self.script.setdefault(method, []).extend(errors)

    def lose_answer(self, method: str, *errors: ParticipantError) -> None:
        self.after.setdefault(method, []).extend(errors)

    def gate(self, method: str) -> tuple[asyncio.Event, asyncio.Event]:
        """Block ``method`` until the returned gate is set; the other event tells it was entered."""
        self.gates[method], self.entered[method] = asyncio.Event(), asyncio.Event()
        return self.gates[method], self.entered[method]

    async def _enter(self, method: str, request_id: str | None, *args: Any) -> None:
        self.calls.append(Call(method, request_id, args))
        if method in self.gates:
            self.entered[method].set()
            await self.gates[method].wait()
        if (method, request_id or "") in self.refused:
            raise self.refused[(method, request_id or "")]
        queued = self.script.get(method)
        if queued:
            failure = queued.pop(0)
            if method == "payments.authorize" and failure.error.code == "FAILED_PRECONDITION":
                self.refused[(method, request_id or "")] = failure
            raise failure

    def _leave(self, method: str) -> None:
        queued = self.after.get(method)
        if queued:
            raise queued.pop(0)

    def _id(self, prefix: str) -> str:
        return f"00000000-0000-7000-8000-{next(self.ids):012d}" if prefix == "uuid" else f"{prefix}-{next(self.ids)}"

    def methods(self, *, undo_only: bool = False) -> list[str]:
        return [c.method for c in self.calls if not undo_only or (c.request_id or "").endswith(":undo")]

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    @property
    def participants(self) -> Participants:
        return Participants(
            customers=_Customers(self), pricing=_Pricing(self), orders=_Orders(self),
            inventory=_Inventory(self), payments=_Payments(self), refunds=_Refunds(self),
        )  # fmt: skip

    def payment_of(self, order_id: str) -> PaymentView | None:
        return next((p for pid, p in self.payments.items() if self.payment_order[pid] == order_id), None)


class _Customers:
    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    async def upsert_customer(self, request_id: str, buyer: Buyer, channel: str) -> CustomerRef:
        await self.w._enter("customers.upsert", request_id, buyer.name)
        ref = self.w.customers_by_request.setdefault(request_id, CustomerRef(self.w._id("uuid"), "VIP"))
        self.w._leave("customers.upsert")
        return ref


class _Pricing:
    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    async def quote(self, request_id: str, placement: Placement, customer_tier: str) -> Quote:
        await self.w._enter("pricing.quote", request_id, customer_tier)
        currency = placement.currency
        lines = tuple(
            QuotedLine(
                line.sku,
                line.quantity,
                Money(UNIT_PRICE, currency),
                Money(0, currency),
                Money(UNIT_PRICE * line.quantity, currency),
            )
            for line in placement.lines
        )
        subtotal = sum(line.line_total.amount_minor for line in lines)
        self.w._leave("pricing.quote")
        return Quote(
            quote_id=f"quote-{request_id}",
            lines=lines,
            subtotal=Money(subtotal, currency),
            discount_total=Money(0, currency),
            shipping_fee=Money(SHIPPING, currency),
            total=Money(subtotal + SHIPPING, currency),
        )


class _Orders:
    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    async def create_order(self, request_id: str, placement: Placement, customer: CustomerRef, quote: Quote) -> str:
        await self.w._enter("orders.create", request_id, customer.customer_id, quote.total)
        order_id = self.w.orders_by_request.get(request_id)
        if order_id is None:
            order_id = self.w._id("uuid")
            self.w.orders_by_request[request_id] = order_id
            self.w.orders[order_id] = "PENDING_PAYMENT"
        self.w._leave("orders.create")
        return order_id

    async def mark_paid(self, request_id: str, order_id: str, payment_id: str, amount: Money) -> None:
        await self.w._enter("orders.mark_paid", request_id, order_id, payment_id, amount)
        if self.w.paid.get(order_id) != payment_id:
            if self.w.orders[order_id] != "PENDING_PAYMENT":
                raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
            self.w.orders[order_id] = "PAID"
            self.w.paid[order_id] = payment_id
        self.w._leave("orders.mark_paid")

    async def cancel_order(self, request_id: str, order_id: str, reason: str) -> None:
        await self.w._enter("orders.cancel", request_id, order_id, reason)
        if order_id not in self.w.orders:
            raise error("NOT_FOUND", "ORDER_NOT_FOUND")
        if self.w.orders[order_id] == "SHIPPED":
            raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
        self.w.orders[order_id] = "CANCELLED"
        self.w._leave("orders.cancel")


class _Inventory:
    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    async def reserve(
        self, request_id: str, order_id: str, lines: Sequence[Line], *, shipping_province: str, ttl_seconds: int
    ) -> str:
        await self.w._enter("inventory.reserve", request_id, order_id, tuple(lines), shipping_province, ttl_seconds)
        # Like the real service: an order reserves at most once, and a release first bars a late reserve.
        self.w.reservations.setdefault(order_id, "EXPIRED" if self.w.holds_expire else "HELD")
        self.w.reserved.setdefault(order_id, tuple(lines))
        self.w._leave("inventory.reserve")
        return f"reservation-{order_id}"

    async def commit(self, request_id: str, order_id: str) -> None:
        await self.w._enter("inventory.commit", request_id, order_id)
        status = self.w.reservations.get(order_id)
        if status is None:
            raise error("NOT_FOUND", "RESERVATION_NOT_FOUND")
        if status == "EXPIRED":
            raise error("FAILED_PRECONDITION", "RESERVATION_EXPIRED", order_id=order_id)
        if status not in ("HELD", "COMMITTED"):
            raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
        self.w.reservations[order_id] = "COMMITTED"
        self.w._leave("inventory.commit")

    async def release(self, request_id: str, order_id: str, reason: str) -> None:
        await self.w._enter("inventory.release", request_id, order_id, reason)
        if self.w.reservations.get(order_id) == "CONFIRMED":
            raise error("FAILED_PRECONDITION", "INVALID_TRANSITION", order_id=order_id)
        if self.w.reservations.get(order_id) != "EXPIRED":
            self.w.reservations[order_id] = "RELEASED"
        self.w._leave("inventory.release")

    async def reserved_lines(self, order_id: str) -> list[ReservedLine]:
        await self.w._enter("inventory.list_reservations", None, order_id)
        lines = self.w.reserved.get(order_id, ())
        return [ReservedLine(line.sku, WAREHOUSE, line.quantity) for line in lines]

    async def restock_return(
        self, request_id: str, order_id: str, warehouse_id: str, sku: str, quantity: int, reference: str
    ) -> None:
        await self.w._enter("inventory.restock_return", request_id, order_id, warehouse_id, sku, quantity)
        self.w.restocks.setdefault(request_id, (order_id, warehouse_id, sku, quantity))
        self.w._leave("inventory.restock_return")


class _Payments:
    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    def _put(self, payment: PaymentView, **changes: Any) -> PaymentView:
        updated = _replace(payment, **changes)
        self.w.payments[payment.payment_id] = updated
        return updated

    async def authorize(self, request_id: str, order_id: str, amount: Money, method: PaymentMethod) -> PaymentView:
        await self.w._enter("payments.authorize", request_id, order_id, amount, method.token)
        payment_id = self.w.payments_by_request.get(request_id)
        if payment_id is None:
            payment_id = self.w._id("payment")
            self.w.payments_by_request[request_id] = payment_id
            self.w.payment_order[payment_id] = order_id
            zero = Money(0, amount.currency)
            status = PaymentStatus.AUTHORIZING if self.w.authorizing else PaymentStatus.AUTHORIZED
            self.w.payments[payment_id] = PaymentView(payment_id, status, amount, zero, zero, zero)
        if self.w.payments[payment_id].status == PaymentStatus.AUTHORIZING:
            raise error("UNAVAILABLE", "PROVIDER_UNAVAILABLE", payment_id=payment_id)
        self.w._leave("payments.authorize")
        return self.w.payments[payment_id]

    async def capture(self, request_id: str, payment_id: str, amount: Money) -> PaymentView:
        await self.w._enter("payments.capture", request_id, payment_id, amount)
        payment = self.w.payments[payment_id]
        if payment.status == PaymentStatus.AUTHORIZED:
            payment = self._put(payment, status=PaymentStatus.CAPTURED, captured=amount)
        elif payment.status != PaymentStatus.CAPTURED:
            raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
        self.w._leave("payments.capture")
        return payment

    async def void(self, request_id: str, payment_id: str) -> PaymentView:
        await self.w._enter("payments.void", request_id, payment_id)
        payment = self.w.payments[payment_id]
        if payment.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED):
            raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
        payment = self._put(payment, status=PaymentStatus.VOIDED)
        self.w._leave("payments.void")
        return payment

    async def refund(self, request_id: str, payment_id: str, amount: Money, reason: str) -> RefundReceipt:
        await self.w._enter("payments.refund", request_id, payment_id, amount)
        payment = self.w.payments[payment_id]
        if request_id not in self.w.refunds:
            if amount.amount_minor > payment.refundable.amount_minor:
                raise error("FAILED_PRECONDITION", "REFUND_EXCEEDS_CAPTURED")
            self.w.refunds[request_id] = amount
            self.w.payment_refund_ids[request_id] = self.w._id("uuid")
            payment = self._put(payment, refund_pending=payment.refund_pending + amount)
        if request_id not in self.w.settled_refunds and not self.w.refunds_pending:
            # The provider paid out: a repeat of a pending refund asks it again, as payments does.
            self.w.settled_refunds.add(request_id)
            refunded = payment.refunded + amount
            status = PaymentStatus.REFUNDED if refunded == payment.captured else PaymentStatus.PARTIALLY_REFUNDED
            payment = self._put(
                payment, refunded=refunded, refund_pending=payment.refund_pending - amount, status=status
            )
        self.w._leave("payments.refund")
        status = "SUCCEEDED" if request_id in self.w.settled_refunds else "PENDING"
        return RefundReceipt(payment, self.w.payment_refund_ids[request_id], status)

    async def payments_of_order(self, order_id: str) -> list[PaymentView]:
        await self.w._enter("payments.list", None, order_id)
        return [p for pid, p in self.w.payments.items() if self.w.payment_order[pid] == order_id]


class _Refunds:
    def __init__(self, world: FakeWorld) -> None:
        self.w = world

    def _get(self, refund_id: str) -> FakeRefund:
        refund = self.w.refund_records.get(refund_id)
        if refund is None:
            raise error("NOT_FOUND", "REFUND_NOT_FOUND", refund_id=refund_id)
        return refund

    async def mark_executing(self, request_id: str, refund_id: str, saga_id: str) -> RefundExecution:
        await self.w._enter("refunds.mark_executing", request_id, refund_id, saga_id)
        if request_id in self.w.refund_answers:
            answer = self.w.refund_answers[request_id]
        else:
            refund = self._get(refund_id)
            if refund.status == "EXECUTING" and refund.saga_id != saga_id:
                raise error("FAILED_PRECONDITION", "REFUND_EXECUTED_BY_OTHER_SAGA", saga_id=refund.saga_id)
            if refund.status not in ("READY_FOR_EXECUTION", "EXECUTING"):
                raise error("FAILED_PRECONDITION", "INVALID_TRANSITION", **{"from": refund.status, "to": "EXECUTING"})
            refund.status, refund.saga_id = "EXECUTING", saga_id
            answer = RefundExecution(
                refund.refund_id, refund.order_id, refund.payment_id, refund.kind, refund.total, refund.items,
                refund.stock_action,
            )  # fmt: skip
            self.w.refund_answers[request_id] = answer
        self.w._leave("refunds.mark_executing")
        return answer

    async def mark_completed(self, request_id: str, refund_id: str, payment_refund_id: str) -> None:
        await self.w._enter("refunds.mark_completed", request_id, refund_id, payment_refund_id)
        refund = self._get(refund_id)
        if not (refund.status == "COMPLETED" and refund.payment_refund_id == payment_refund_id):
            if refund.status != "EXECUTING":
                raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
            refund.status, refund.payment_refund_id = "COMPLETED", payment_refund_id
        self.w._leave("refunds.mark_completed")

    async def mark_failed(self, request_id: str, refund_id: str, reason: str) -> None:
        await self.w._enter("refunds.mark_failed", request_id, refund_id, reason)
        refund = self._get(refund_id)
        if refund.status != "FAILED":
            if refund.status != "EXECUTING":
                raise error("FAILED_PRECONDITION", "INVALID_TRANSITION")
            refund.status, refund.failure_reason = "FAILED", reason
        self.w._leave("refunds.mark_failed")

    async def get_refund(self, refund_id: str) -> RefundRecord:
        await self.w._enter("refunds.get", None, refund_id)
        refund = self._get(refund_id)
        return RefundRecord(refund.refund_id, refund.status, refund.saga_id)


@dataclass
class _Row:
    saga: Saga
    owner: str
    lease_expires: float


class FakeDatabase:
    """The rows several FakeStores (one per coordinator) share; ``saves`` counts writes of a transition."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rows: dict[str, _Row] = {}
        self.saves: list[Transition] = []
        self.lock = asyncio.Lock()


class FakeStore:
    """The SagaStore port in memory, with the lease rules of the SQL store (fenced writes, claims)."""

    def __init__(self, database: FakeDatabase, owner: str, lease_seconds: float = 30.0) -> None:
        self.db = database
        self.owner = owner
        self.lease = lease_seconds
        # Raised from save number N (1-based) after (or before) it is applied: a crash at that point.
        self.crash_at: int | None = None
        self.crash_before_write = False

    def _copy(self, saga: Saga) -> Saga:
        return copy.deepcopy(saga)

    async def create(self, saga: Saga) -> tuple[bool, Saga]:
        async with self.db.lock:
            await asyncio.sleep(0)  # let concurrent duplicates interleave here, as on a real database
            for row in self.db.rows.values():
                if row.saga.request_id == saga.request_id:
                    return False, self._copy(row.saga)
            self.db.rows[saga.saga_id] = _Row(self._copy(saga), self.owner, self.db.clock.mono + self.lease)
            return True, saga

    async def save(self, transition: Transition) -> None:
        number = len(self.db.saves) + 1
        crash = self.crash_at == number
        if crash and self.crash_before_write:
            raise ConnectionError(f"crash before save {number}")
        row = self.db.rows[transition.saga_id]
        if row.owner != self.owner:
            raise LeaseLost(transition.saga_id)
        saga = row.saga
        saga.state = transition.state
        for step in transition.steps:
            saga.steps[step.position] = step
        saga.data.update(copy.deepcopy(dict(transition.data_patch)))
        saga.failed_step, saga.failure, saga.updated_at = transition.failed_step, transition.failure, transition.now
        row.lease_expires = self.db.clock.mono + self.lease
        self.db.saves.append(transition)
        if crash:
            raise ConnectionError(f"crash after save {number}")

    async def get(self, saga_id: str) -> Saga | None:
        row = self.db.rows.get(saga_id)
        return self._copy(row.saga) if row else None

    async def find(self, *, request_id: str = "", order_id: str = "", kind: SagaKind | None = None) -> Saga | None:
        for row in sorted(self.db.rows.values(), key=lambda r: r.saga.saga_id, reverse=True):
            saga = row.saga
            if request_id and saga.request_id == request_id:
                return self._copy(saga)
            if order_id and saga.data.get("order_id") == order_id and (kind is None or saga.kind is kind):
                return self._copy(saga)
        return None

    async def list(self, states: Sequence[SagaState], limit: int, before: str) -> list[Saga]:
        rows = sorted(self.db.rows.values(), key=lambda r: r.saga.saga_id, reverse=True)
        found = [
            self._copy(r.saga)
            for r in rows
            if (not states or r.saga.state in states) and (not before or r.saga.saga_id < before)
        ]
        return found[:limit]

    def _claimable(self, row: _Row) -> bool:
        return row.saga.state in ACTIVE_STATES and row.lease_expires <= self.db.clock.mono

    async def claim(self, saga_id: str) -> Saga | None:
        row = self.db.rows.get(saga_id)
        if row is None or not self._claimable(row):
            return None
        row.owner, row.lease_expires = self.owner, self.db.clock.mono + self.lease
        return self._copy(row.saga)

    async def claim_expired(self, limit: int) -> list[Saga]:
        rows = sorted((r for r in self.db.rows.values() if self._claimable(r)), key=lambda r: r.lease_expires)
        claimed = []
        for row in rows[:limit]:
            row.owner, row.lease_expires = self.owner, self.db.clock.mono + self.lease
            claimed.append(self._copy(row.saga))
        return claimed

    async def renew(self, saga_ids: Sequence[str]) -> set[str]:
        held = set()
        for saga_id in saga_ids:
            row = self.db.rows.get(saga_id)
            if row is not None and row.owner == self.owner:
                row.lease_expires = self.db.clock.mono + self.lease
                held.add(saga_id)
        return held

    async def park(self, saga_id: str, delay_seconds: float) -> None:
        row = self.db.rows[saga_id]
        if row.owner == self.owner:
            row.lease_expires = self.db.clock.mono + delay_seconds


@dataclass
class RecordingObserver:
    events: list[tuple[str, ...]] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(default_factory=list)

    def saga_ended(self, kind: SagaKind, state: SagaState, failed_step: str | None, reason: str | None) -> None:
        self.events.append(("ended", kind.value, state.value, failed_step or "", reason or ""))

    def step_retried(self, kind: SagaKind, step: str, code: str, *, compensation: bool) -> None:
        self.events.append(("retried", step, code, "undo" if compensation else "do"))

    def step_compensated(self, kind: SagaKind, step: str, outcome: str) -> None:
        self.events.append((outcome, step))

    def step_timed(self, kind: SagaKind, step: str, seconds: float) -> None:
        self.timings.append((step, seconds))

    def compensations(self) -> list[str]:
        return [e[1] for e in self.events if e[0] == "compensated"]


class RecordingSleep:
    """Stands in for asyncio.sleep in the engine: records the backoff asked for, yields, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)

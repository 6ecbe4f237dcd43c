"""In-memory fakes of the payments ports: a unit of work with the shared idempotency rules, and a provider."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from services.payments.application.commands import HandleProviderCallback
from services.payments.application.ports import ProviderDeclinedError, ProviderUnavailableError, RefundReceipt
from services.payments.domain.callbacks import CallbackStatus, ProviderCallback
from services.payments.domain.events import PaymentEvent
from services.payments.domain.model import (
    REFUNDABLE,
    Operation,
    OperationKind,
    Outcome,
    Payment,
)
from shared.kernel import codec
from shared.kernel.errors import FieldViolation, InvalidArgument
from shared.kernel.money import Money


@dataclass
class State:
    payments: dict[str, Payment] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    callbacks: dict[str, ProviderCallback] = field(default_factory=dict)
    callback_status: dict[str, tuple[CallbackStatus, int, str]] = field(default_factory=dict)
    retries: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    # request id -> (operation name, fingerprint, serialised result)
    idempotency: dict[str, tuple[str, str, str | None]] = field(default_factory=dict)
    events: list[PaymentEvent] = field(default_factory=list)


class FakePayments:
    def __init__(self, state: State) -> None:
        self._state = state

    async def get(self, payment_id: str) -> Payment | None:
        return self._state.payments.get(payment_id)

    async def lock(self, payment_id: str) -> Payment | None:
        return self._state.payments.get(payment_id)

    async def add(self, payment: Payment) -> None:
        assert payment.payment_id not in self._state.payments
        self._state.payments[payment.payment_id] = payment

    async def save(self, payment: Payment) -> None:
        self._state.payments[payment.payment_id] = payment

    async def list_by_order(self, order_id: str, *, after: tuple[datetime, str] | None, limit: int) -> list[Payment]:
        found = sorted(
            (
                p
                for p in self._state.payments.values()
                if p.order_id == order_id and (after is None or (p.created_at, p.payment_id) > after)
            ),
            key=lambda p: (p.created_at, p.payment_id),
        )
        return found[:limit]

    async def refunds_of(self, payment_ids: Sequence[str]) -> dict[str, list[Operation]]:
        found: dict[str, list[Operation]] = {}
        for operation in sorted(self._state.operations.values(), key=lambda o: (o.created_at, o.operation_id)):
            if operation.payment_id in payment_ids and operation.kind is OperationKind.REFUND:
                found.setdefault(operation.payment_id, []).append(operation)
        return found

    async def add_operation(self, operation: Operation) -> bool:
        for existing in self._state.operations.values():
            if existing.request_id == operation.request_id:
                return False
            in_flight = (OperationKind.CAPTURE, OperationKind.VOID)
            if (
                existing.payment_id == operation.payment_id
                and existing.is_pending
                and existing.kind in in_flight
                and operation.kind in in_flight
            ):
                return False
        self._state.operations[operation.operation_id] = operation
        return True

    async def operation_by_request(self, request_id: str) -> Operation | None:
        return next((o for o in self._state.operations.values() if o.request_id == request_id), None)

    async def operation(self, operation_id: str) -> Operation | None:
        return self._state.operations.get(operation_id)

    async def authorization_of(self, payment_id: str) -> Operation | None:
        operation = self._state.operations.get(payment_id)
        return operation if operation is not None and operation.kind is OperationKind.AUTHORIZE else None

    async def save_operation(self, operation: Operation) -> None:
        self._state.operations[operation.operation_id] = operation

    async def lock_for_settlement(self, operation_id: str) -> tuple[Payment, Operation] | None:
        operation = self._state.operations.get(operation_id)
        if operation is None:
            return None
        return self._state.payments[operation.payment_id], operation

    async def reserve_refund(self, payment_id: str, amount: Money, now: datetime) -> Payment | None:
        payment = self._state.payments.get(payment_id)
        if (
            payment is None
            or payment.status not in REFUNDABLE
            or payment.amount.currency != amount.currency
            or payment.refundable.amount_minor < amount.amount_minor
        ):
            return None
        reserved = dataclasses.replace(payment, refund_pending=payment.refund_pending + amount, updated_at=now)
        self._state.payments[payment_id] = reserved
        return reserved

    async def pending_operations(self, *, created_before: datetime, limit: int) -> list[tuple[Operation, str]]:
        pending = sorted(
            (o for o in self._state.operations.values() if o.is_pending and o.created_at < created_before),
            key=lambda o: o.created_at,
        )
        return [(o, self._state.payments[o.payment_id].provider) for o in pending[:limit]]


class FakeCallbacks:
    def __init__(self, state: State) -> None:
        self._state = state

    async def add(self, callback: ProviderCallback) -> bool:
        key = (callback.provider, callback.provider_event_id)
        if any((c.provider, c.provider_event_id) == key for c in self._state.callbacks.values()):
            return False
        self._state.callbacks[callback.callback_id] = callback
        self._state.callback_status[callback.callback_id] = (CallbackStatus.RECEIVED, 0, "")
        return True

    async def finish(
        self, callback_id: str, status: CallbackStatus, *, attempts: int, error: str, now: datetime
    ) -> None:
        self._state.callback_status[callback_id] = (status, attempts, error)
        self._state.retries.pop(callback_id, None)

    async def schedule_retry(self, callback_id: str, *, attempts: int, at: datetime, error: str) -> None:
        self._state.callback_status[callback_id] = (CallbackStatus.RETRYING, attempts, error)
        self._state.retries[callback_id] = (attempts, at)

    async def due(self, now: datetime, limit: int) -> list[tuple[ProviderCallback, int]]:
        due = sorted((at, cid, attempts) for cid, (attempts, at) in self._state.retries.items() if at <= now)
        return [(self._state.callbacks[cid], attempts) for _, cid, attempts in due[:limit]]


class FakeUnitOfWork:
    """A transaction over a copy of the store: written back on commit, dropped otherwise."""

    def __init__(self, store: State) -> None:
        self._store = store
        self._claimed: str | None = None

    async def __aenter__(self) -> Self:
        self._state = copy.deepcopy(self._store)
        self._state.events = []
        self._claimed = None
        self.payments = FakePayments(self._state)
        self.callbacks = FakeCallbacks(self._state)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def commit(self) -> None:
        events = self._store.events + self._state.events
        for name in ("payments", "operations", "callbacks", "callback_status", "retries", "idempotency"):
            setattr(self._store, name, getattr(self._state, name))
        self._store.events = events

    async def replay(self, command: Any, result_type: type[Any]) -> Any:
        request_id = command.request_id
        if not request_id:
            raise InvalidArgument.field("request_id", "is required")
        fingerprint = codec.fingerprint(command)
        known = self._state.idempotency.get(request_id)
        if known is None:
            self._state.idempotency[request_id] = (type(command).__name__, fingerprint, None)
            self._claimed = request_id
            return None
        name, stored_fingerprint, result = known
        if name != type(command).__name__ or stored_fingerprint != fingerprint:
            raise InvalidArgument(
                "reused", reason="IDEMPOTENCY_KEY_REUSED", violations=[FieldViolation("request_id", "reused")]
            )
        assert result is not None
        return codec.loads(result_type, result)

    async def remember(self, command: Any, result: Any) -> None:
        assert self._claimed == command.request_id
        name, fingerprint, _ = self._state.idempotency[command.request_id]
        self._state.idempotency[command.request_id] = (name, fingerprint, codec.dumps(result))

    def publish(self, *events: PaymentEvent) -> None:
        self._state.events.extend(events)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        saved = copy.deepcopy(self._state)
        try:
            yield
        except BaseException:
            for name in dataclasses.fields(State):
                setattr(self._state, name.name, getattr(saved, name.name))
            raise


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class FakeProvider:
    """A provider whose next answers a test scripts; it records every call it gets."""

    name = "sandbox"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        # Method name -> queued answers: an exception to raise, or None to succeed.
        self.script: dict[str, list[BaseException | None]] = {}
        self.lookups: dict[str, Outcome] = {}
        self.refunds_settle = True
        self.signature_ok = True
        self.hang: bool = False

    def _next(self, method: str) -> None:
        queued = self.script.get(method)
        answer = queued.pop(0) if queued else None
        if answer is not None:
            raise answer

    async def _answer(self, method: str, reference: str) -> str:
        self.calls.append((method, reference))
        if self.hang:
            await asyncio.Event().wait()
        self._next(method)
        return f"prov-{method}-{reference[:8]}"

    async def authorize(self, *, reference: str, amount: Money, token: str) -> str:
        return await self._answer("authorize", reference)

    async def capture(self, *, reference: str, provider_reference: str, amount: Money) -> str:
        return await self._answer("capture", reference)

    async def void(self, *, reference: str, provider_reference: str) -> str:
        return await self._answer("void", reference)

    async def refund(self, *, reference: str, provider_reference: str, amount: Money) -> RefundReceipt:
        return RefundReceipt(await self._answer("refund", reference), settled=self.refunds_settle)

    async def lookup(self, *, kind: OperationKind, reference: str) -> Outcome:
        self.calls.append(("lookup", reference))
        self._next("lookup")
        return self.lookups.get(reference, Outcome.not_found())

    def verify_callback(self, callback: HandleProviderCallback) -> bool:
        return self.signature_ok


def declined(reason: str = "card_declined") -> ProviderDeclinedError:
    return ProviderDeclinedError(reason)


def unavailable() -> ProviderUnavailableError:
    return ProviderUnavailableError("connection reset")

"""An in-memory unit of work for the refunds handlers: staged changes applied on commit, the shared idempotency
rules, and a ledger with the same arithmetic as the SQL one."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Self

from services.refunds.domain.errors import CurrencyMismatch, RefundExceedsCaptured
from services.refunds.domain.events import DomainEvent
from services.refunds.domain.model import Refund
from services.refunds.domain.order_exceptions import OrderException
from services.refunds.domain.policy import ExceptionEscalation
from services.refunds.domain.values import ExceptionStatus, RefundStatus
from shared.kernel import codec
from shared.kernel.errors import FieldViolation, InvalidArgument
from shared.kernel.money import Money


@dataclass
class Ledger:
    currency: str
    captured: int
    reserved: int = 0
    completed: int = 0
    reported_refunded: int = 0


@dataclass
class State:
    refunds: dict[str, Refund] = field(default_factory=dict)
    exceptions: dict[str, OrderException] = field(default_factory=dict)
    ledgers: dict[str, Ledger] = field(default_factory=dict)
    # request id -> (operation, fingerprint, serialised result)
    idempotency: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    events: list[DomainEvent] = field(default_factory=list)


class FakeRefunds:
    def __init__(self, state: State) -> None:
        self._state = state

    async def get(self, refund_id: str) -> Refund | None:
        return self._state.refunds.get(refund_id)

    async def lock(self, refund_id: str) -> Refund | None:
        return self._state.refunds.get(refund_id)

    async def add(self, refund: Refund) -> None:
        assert refund.refund_id not in self._state.refunds
        self._state.refunds[refund.refund_id] = refund

    async def save(self, refund: Refund) -> None:
        self._state.refunds[refund.refund_id] = refund

    async def list(self, *, order_id: str, status: RefundStatus | None, after: str, limit: int) -> list[Refund]:
        found = sorted(
            (
                r
                for r in self._state.refunds.values()
                if (not order_id or r.order_id == order_id) and (status is None or r.status is status)
            ),
            key=lambda r: r.refund_id,
        )
        return [r for r in found if r.refund_id > after][:limit]

    async def claim_undecided(self, now: datetime, limit: int) -> list[Refund]:
        due = [r for r in self._state.refunds.values() if r.is_due_for_escalation(now)][:limit]
        for refund in due:
            self._state.refunds[refund.refund_id] = replace(refund, escalated_at=now)
        return [self._state.refunds[r.refund_id] for r in due]

    async def claim_overdue(self, now: datetime, limit: int) -> list[Refund]:
        due = [r for r in self._state.refunds.values() if r.is_overdue(now)][:limit]
        for refund in due:
            self._state.refunds[refund.refund_id] = replace(refund, overdue_at=now)
        return [self._state.refunds[r.refund_id] for r in due]


class FakeLedgers:
    def __init__(self, state: State) -> None:
        self._state = state

    async def reserve(self, order_id: str, captured: Money, reported_refunded: Money, total: Money) -> None:
        ledger = self._state.ledgers.setdefault(order_id, Ledger(captured.currency, captured.amount_minor))
        if ledger.currency != captured.currency:
            raise CurrencyMismatch("amount", ledger.currency, captured.currency)
        ledger.captured = max(ledger.captured, captured.amount_minor)
        ledger.reported_refunded = max(ledger.reported_refunded, reported_refunded.amount_minor)
        external = max(ledger.reported_refunded - ledger.completed, 0)
        if ledger.reserved + external + total.amount_minor > ledger.captured:
            raise RefundExceedsCaptured(order_id, total.amount_minor, ledger.captured - ledger.reserved - external)
        ledger.reserved += total.amount_minor

    async def release(self, order_id: str, total: Money) -> None:
        self._state.ledgers[order_id].reserved -= total.amount_minor

    async def settle(self, order_id: str, total: Money) -> None:
        self._state.ledgers[order_id].completed += total.amount_minor


class FakeExceptions:
    def __init__(self, state: State) -> None:
        self._state = state

    async def lock(self, exception_id: str) -> OrderException | None:
        return self._state.exceptions.get(exception_id)

    async def add(self, exception: OrderException) -> None:
        self._state.exceptions[exception.exception_id] = exception

    async def save(self, exception: OrderException) -> None:
        self._state.exceptions[exception.exception_id] = exception

    async def list(
        self, *, order_id: str, status: ExceptionStatus | None, after: str, limit: int
    ) -> list[OrderException]:
        found = sorted(self._state.exceptions.values(), key=lambda e: e.exception_id)
        return [
            e
            for e in found
            if (not order_id or e.order_id == order_id)
            and (status is None or e.status is status)
            and e.exception_id > after
        ][:limit]

    async def open_by_level(self) -> dict[int, int]:
        return dict(
            Counter(e.escalation_level for e in self._state.exceptions.values() if e.status is ExceptionStatus.OPEN)
        )

    async def claim_escalations(
        self, now: datetime, escalation: ExceptionEscalation, limit: int
    ) -> Sequence[OrderException]:
        claimed = []
        for exception in list(self._state.exceptions.values()):
            reached = escalation.level_at(now - exception.raised_at)
            if exception.status is ExceptionStatus.OPEN and exception.escalation_level < reached:
                escalated = replace(exception, escalation_level=reached, escalated_at=now)
                self._state.exceptions[exception.exception_id] = escalated
                claimed.append(escalated)
        return claimed[:limit]


class FakeUnitOfWork:
    """Works on a copy of the state; commit makes the copy the state (so a failed command leaves no trace)."""

    def __init__(self, state: State) -> None:
        self._state = state
        self.committed = False

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self._state)
        self._work.events = []
        self.refunds = FakeRefunds(self._work)
        self.ledgers = FakeLedgers(self._work)
        self.exceptions = FakeExceptions(self._work)
        self._claimed: str | None = None
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def replay(self, command: Any, result_type: type[Any]) -> Any:
        request_id = command.request_id
        if not request_id:
            raise InvalidArgument.field("request_id", "is required")
        known = self._state.idempotency.get(request_id)
        if known is None:
            self._claimed = request_id
            return None
        operation, fingerprint, result = known
        if (operation, fingerprint) != (type(command).__name__, codec.fingerprint(command)):
            raise InvalidArgument(
                "reused", reason="IDEMPOTENCY_KEY_REUSED", violations=[FieldViolation("request_id", "reused")]
            )
        return codec.loads(result_type, result)

    async def remember(self, command: Any, result: Any) -> None:
        assert self._claimed == command.request_id
        self._work.idempotency[command.request_id] = (
            type(command).__name__,
            codec.fingerprint(command),
            codec.dumps(result),
        )

    def publish(self, *events: DomainEvent) -> None:
        self._work.events.extend(events)

    async def commit(self) -> None:
        published = self._work.events
        self._state.refunds = self._work.refunds
        self._state.exceptions = self._work.exceptions
        self._state.ledgers = self._work.ledgers
        self._state.idempotency = self._work.idempotency
        self._state.events.extend(published)
        self.committed = True

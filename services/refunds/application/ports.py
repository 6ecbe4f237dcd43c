"""What the refunds handlers need from the outside: repositories, the unit of work, a clock, ids."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from services.refunds.domain.events import DomainEvent
from services.refunds.domain.model import Refund
from services.refunds.domain.order_exceptions import OrderException
from services.refunds.domain.policy import ExceptionEscalation, RefundPolicies
from services.refunds.domain.values import ExceptionStatus, RefundStatus
from shared.kernel.money import Money

R = TypeVar("R")

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


@dataclass(frozen=True)
class RefundsConfig:
    """The policies and limits the handlers run with (built from settings at start-up)."""

    policies: RefundPolicies = field(default_factory=RefundPolicies)
    exception_escalation: ExceptionEscalation = field(default_factory=ExceptionEscalation)
    sweep_batch_size: int = 200


class RefundRepository(Protocol):
    async def get(self, refund_id: str) -> Refund | None: ...

    async def lock(self, refund_id: str) -> Refund | None:
        """The refund, row-locked until the transaction ends."""

    async def add(self, refund: Refund) -> None: ...

    async def save(self, refund: Refund) -> None: ...

    async def list(self, *, order_id: str, status: RefundStatus | None, after: str, limit: int) -> Sequence[Refund]: ...

    async def claim_undecided(self, now: datetime, limit: int) -> Sequence[Refund]:
        """Mark escalated (at ``now``) and return refunds still undecided past their decision time."""

    async def claim_overdue(self, now: datetime, limit: int) -> Sequence[Refund]:
        """Mark overdue (at ``now``) and return open refunds past their due time."""


class LedgerRepository(Protocol):
    """The per-order refund ledger: captured, and reserved by open plus completed refunds."""

    async def reserve(self, order_id: str, captured: Money, reported_refunded: Money, total: Money) -> None:
        """Reserve ``total`` for a refund, or raise RefundExceedsCaptured / CurrencyMismatch."""

    async def release(self, order_id: str, total: Money) -> None:
        """Give back the reservation of a refund that will not be paid."""

    async def settle(self, order_id: str, total: Money) -> None:
        """Count the reservation of a paid refund as refunded."""


class ExceptionRepository(Protocol):
    async def lock(self, exception_id: str) -> OrderException | None: ...

    async def add(self, exception: OrderException) -> None: ...

    async def save(self, exception: OrderException) -> None: ...

    async def list(
        self, *, order_id: str, status: ExceptionStatus | None, after: str, limit: int
    ) -> Sequence[OrderException]: ...

    async def claim_escalations(
        self, now: datetime, escalation: ExceptionEscalation, limit: int
    ) -> Sequence[OrderException]:
        """Raise the level of open exceptions whose age reached a higher level; return them at their new level."""

    async def open_by_level(self) -> Mapping[int, int]:
        """How many exceptions are open at each escalation level (levels with none may be left out)."""


class RefundsUnitOfWork(Protocol):
    refunds: RefundRepository
    ledgers: LedgerRepository
    exceptions: ExceptionRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, *events: DomainEvent) -> None: ...

    async def commit(self) -> None: ...

"""The ports the payments handlers need: payment providers, the unit of work and its repositories, a clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from services.payments.application.commands import HandleProviderCallback
from services.payments.domain.callbacks import CallbackStatus, ProviderCallback
from services.payments.domain.errors import UnknownProvider
from services.payments.domain.events import PaymentEvent
from services.payments.domain.model import Operation, OperationKind, Outcome, Payment
from shared.kernel.money import Money

R = TypeVar("R")

Clock = Callable[[], datetime]


class ProviderDeclinedError(Exception):
    """The provider refused the operation; ``reason`` is its code (e.g. ``card_declined``), never card data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailableError(Exception):
    """The provider could not be reached or did not answer in time; the outcome is unknown."""


@dataclass(frozen=True)
class RefundReceipt:
    """The provider's answer to a refund: its reference, and whether the money has already gone out."""

    provider_reference: str
    settled: bool = True


class PaymentProvider(Protocol):
    """One payment provider (sandbox, Alipay, WeChat Pay, Stripe ...), behind the same interface.

    ``reference`` is our id of the operation (the payment id for an authorization, the operation id for
    the others); providers use it as their idempotency key (out_trade_no, out_request_no, Idempotency-Key),
    so calling twice with the same reference does it once. Each call raises ProviderDeclinedError or
    ProviderUnavailableError.
    """

    name: str

    async def authorize(self, *, reference: str, amount: Money, token: str) -> str:
        """Hold ``amount``; return the provider's reference of the payment."""
        ...

    async def capture(self, *, reference: str, provider_reference: str, amount: Money) -> str:
        """Take ``amount`` of the held payment; return the provider's reference of the capture."""
        ...

    async def void(self, *, reference: str, provider_reference: str) -> str:
        """Release the hold; return the provider's reference of the cancellation."""
        ...

    async def refund(self, *, reference: str, provider_reference: str, amount: Money) -> RefundReceipt:
        """Give ``amount`` back on a captured payment."""
        ...

    async def lookup(self, *, kind: OperationKind, reference: str) -> Outcome:
        """What became of the operation ``reference`` (used to repair intents a crash left open)."""
        ...

    def verify_callback(self, callback: HandleProviderCallback) -> bool:
        """Whether the notification's signature is this provider's."""
        ...


class Providers:
    """The configured providers by name, and which one an empty name means."""

    def __init__(self, providers: Mapping[str, PaymentProvider], default: str) -> None:
        if default not in providers:
            raise ValueError(f"default provider {default!r} is not configured")
        self._providers = dict(providers)
        self.default = default

    def get(self, name: str, field: str) -> PaymentProvider:
        provider = self._providers.get(name or self.default)
        if provider is None:
            raise UnknownProvider(field, name, list(self._providers))
        return provider


class PaymentRepository(Protocol):
    async def get(self, payment_id: str) -> Payment | None: ...

    async def add(self, payment: Payment) -> None: ...

    async def save(self, payment: Payment) -> None:
        """Write the payment's state; the caller holds its row lock."""
        ...

    async def list_by_order(self, order_id: str, *, after: tuple[datetime, str] | None, limit: int) -> list[Payment]:
        """The order's payments in creation order, starting after the (created_at, payment_id) position."""
        ...

    async def refunds_of(self, payment_ids: Sequence[str]) -> dict[str, list[Operation]]:
        """The refunds of several payments in one round trip, oldest first."""
        ...

    async def add_operation(self, operation: Operation) -> bool:
        """Insert the intent; False when its request id, or a capture/void in flight, already holds the place."""
        ...

    async def operation_by_request(self, request_id: str) -> Operation | None: ...

    async def operation(self, operation_id: str) -> Operation | None: ...

    async def authorization_of(self, payment_id: str) -> Operation | None: ...

    async def save_operation(self, operation: Operation) -> None: ...

    async def lock_for_settlement(self, operation_id: str) -> tuple[Payment, Operation] | None:
        """The operation and its payment, the payment row locked until the transaction ends."""
        ...

    async def lock(self, payment_id: str) -> Payment | None:
        """The payment, its row locked until the transaction ends."""
        ...

    async def reserve_refund(self, payment_id: str, amount: Money, now: datetime) -> Payment | None:
        """Add ``amount`` to refund_pending in one conditional update, only if the payment is refundable and
        captured - refunded - refund_pending >= amount; None when the condition does not hold."""
        ...

    async def pending_operations(self, *, created_before: datetime, limit: int) -> list[tuple[Operation, str]]:
        """PENDING operations created before the given time, oldest first, each with its payment's provider."""
        ...


class CallbackRepository(Protocol):
    async def add(self, callback: ProviderCallback) -> bool:
        """Store a notification; False when (provider, provider_event_id) was stored before."""
        ...

    async def finish(
        self, callback_id: str, status: CallbackStatus, *, attempts: int, error: str, now: datetime
    ) -> None: ...

    async def schedule_retry(self, callback_id: str, *, attempts: int, at: datetime, error: str) -> None: ...

    async def due(self, now: datetime, limit: int) -> list[tuple[ProviderCallback, int]]:
        """Notifications whose retry is due, with their attempts so far; locked, skipping ones others hold."""
        ...


class PaymentsUnitOfWork(Protocol):
    payments: PaymentRepository
    callbacks: CallbackRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

    def publish(self, *events: PaymentEvent) -> None:
        """Queue integration events for the outbox, written at commit."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """A nested transaction: an exception inside undoes only what was done inside."""
        ...

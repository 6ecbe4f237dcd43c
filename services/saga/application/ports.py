"""The ports the saga needs: its store, the participants it calls, and a hook for outcome metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.saga.domain.model import Saga, SagaKind, SagaState, StepError, Transition
from services.saga.domain.placement import Buyer, Line, PaymentMethod, Placement
from services.saga.domain.refund import RefundExecution, ReservedLine
from shared.kernel.money import Money


class ParticipantError(Exception):
    """A participant answered with an error (or could not be reached); adapters raise it for every failure."""

    def __init__(self, error: StepError) -> None:
        super().__init__(f"{error.code} {error.reason}: {error.message}")
        self.error = error


# What participants answer, reduced to what the saga keeps.


@dataclass(frozen=True)
class CustomerRef:
    customer_id: str
    tier: str


@dataclass(frozen=True)
class QuotedLine:
    sku: str
    quantity: int
    unit_price: Money
    discount: Money
    line_total: Money


@dataclass(frozen=True)
class Quote:
    quote_id: str
    lines: tuple[QuotedLine, ...]
    subtotal: Money
    discount_total: Money
    shipping_fee: Money
    total: Money


class PaymentStatus:
    """The payments service's statuses the saga acts on (names as in oms.payments.v1, without the prefix)."""

    AUTHORIZING = "AUTHORIZING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class PaymentView:
    payment_id: str
    status: str
    authorized: Money
    captured: Money
    refunded: Money
    refund_pending: Money

    @property
    def refundable(self) -> Money:
        """What is captured and neither refunded nor reserved by a refund in flight."""
        return self.captured - self.refunded - self.refund_pending


@dataclass(frozen=True)
class RefundReceipt:
    """What payments answered to a refund: the payment after it, and the refund it made (PENDING until settled)."""

    payment: PaymentView
    refund_id: str
    status: str


class RefundStatus:
    """The payments service's refund statuses (names as in oms.payments.v1.RefundStatus, without the prefix)."""

    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class RefundRecord:
    """A refund as the refunds service keeps it: where it stands and which saga executes it."""

    refund_id: str
    status: str
    saga_id: str


class Customers(Protocol):
    async def upsert_customer(self, request_id: str, buyer: Buyer, channel: str) -> CustomerRef: ...


class Pricing(Protocol):
    async def quote(self, request_id: str, placement: Placement, customer_tier: str) -> Quote: ...


class Orders(Protocol):
    async def create_order(self, request_id: str, placement: Placement, customer: CustomerRef, quote: Quote) -> str:
        """Creates the order and returns its id."""
        ...

    async def mark_paid(self, request_id: str, order_id: str, payment_id: str, amount: Money) -> None: ...

    async def cancel_order(self, request_id: str, order_id: str, reason: str) -> None: ...


class Inventory(Protocol):
    async def reserve(
        self, request_id: str, order_id: str, lines: Sequence[Line], *, shipping_province: str, ttl_seconds: int
    ) -> str:
        """Reserves every line or none; returns the reservation id."""
        ...

    async def commit(self, request_id: str, order_id: str) -> None:
        """Makes the order's hold firm (HELD -> COMMITTED): it no longer expires."""
        ...

    async def release(self, request_id: str, order_id: str, reason: str) -> None: ...

    async def reserved_lines(self, order_id: str) -> list[ReservedLine]:
        """The lines of the order's reservation, whatever its status (none when it never reserved)."""
        ...

    async def restock_return(
        self, request_id: str, order_id: str, warehouse_id: str, sku: str, quantity: int, reference: str
    ) -> None:
        """Puts returned goods that passed inspection back on hand."""
        ...


class Payments(Protocol):
    async def authorize(self, request_id: str, order_id: str, amount: Money, method: PaymentMethod) -> PaymentView: ...

    async def capture(self, request_id: str, payment_id: str, amount: Money) -> PaymentView: ...

    async def void(self, request_id: str, payment_id: str) -> PaymentView: ...

    async def refund(self, request_id: str, payment_id: str, amount: Money, reason: str) -> RefundReceipt: ...

    async def payments_of_order(self, order_id: str) -> list[PaymentView]: ...


class Refunds(Protocol):
    async def mark_executing(self, request_id: str, refund_id: str, saga_id: str) -> RefundExecution:
        """READY_FOR_EXECUTION -> EXECUTING by this saga; what to pay back and what to do with stock."""
        ...

    async def mark_completed(self, request_id: str, refund_id: str, payment_refund_id: str) -> None: ...

    async def mark_failed(self, request_id: str, refund_id: str, reason: str) -> None: ...

    async def get_refund(self, refund_id: str) -> RefundRecord: ...


@dataclass(frozen=True)
class Participants:
    customers: Customers
    pricing: Pricing
    orders: Orders
    inventory: Inventory
    payments: Payments
    refunds: Refunds


class SagaStore(Protocol):
    """Persistence of sagas for one coordinator (the lease owner the store was made for).

    Every write that changes a saga is fenced by the lease: it raises LeaseLost when another
    coordinator holds the saga, and it extends the lease otherwise.
    """

    async def create(self, saga: Saga) -> tuple[bool, Saga]:
        """Insert ``saga`` (its steps, its first step already started) leased to this coordinator.

        Returns (True, saga) when inserted, or (False, existing) when its request id was taken first.
        """
        ...

    async def save(self, transition: Transition) -> None: ...

    async def get(self, saga_id: str) -> Saga | None: ...

    async def find(self, *, request_id: str = "", order_id: str = "", kind: SagaKind | None = None) -> Saga | None:
        """The saga with this request id, or the latest saga of ``kind`` for this order."""
        ...

    async def list(self, states: Sequence[SagaState], limit: int, before: str) -> list[Saga]:
        """Newest first, saga ids below ``before`` when given."""
        ...

    async def claim(self, saga_id: str) -> Saga | None:
        """Take over one unfinished saga whose lease has expired; None when it is held or finished."""
        ...

    async def claim_expired(self, limit: int) -> list[Saga]:
        """Take over up to ``limit`` unfinished sagas whose lease has expired, oldest lease first."""
        ...

    async def renew(self, saga_ids: Sequence[str]) -> set[str]:
        """Extend the lease of these sagas; returns those still held by this coordinator."""
        ...

    async def park(self, saga_id: str, delay_seconds: float) -> None:
        """Let the lease run out in ``delay_seconds``, so recovery takes the saga up again then."""
        ...


class SagaObserver(Protocol):
    """Hook for metrics: called on every outcome and every compensation (must not block nor raise)."""

    def saga_ended(self, kind: SagaKind, state: SagaState, failed_step: str | None, reason: str | None) -> None: ...

    def step_retried(self, kind: SagaKind, step: str, code: str, *, compensation: bool) -> None: ...

    def step_compensated(self, kind: SagaKind, step: str, outcome: str) -> None:
        """``outcome`` is "compensated", "refused" or "deferred"."""
        ...

    def step_timed(self, kind: SagaKind, step: str, seconds: float) -> None:
        """How long one step's action or compensation took, its retries and their backoff included."""
        ...


class NullObserver:
    def saga_ended(self, kind: SagaKind, state: SagaState, failed_step: str | None, reason: str | None) -> None:
        return None

    def step_retried(self, kind: SagaKind, step: str, code: str, *, compensation: bool) -> None:
        return None

    def step_compensated(self, kind: SagaKind, step: str, outcome: str) -> None:
        return None

    def step_timed(self, kind: SagaKind, step: str, seconds: float) -> None:
        return None

"""What the services say about one order, as plain values: the input of the rules (no gRPC, no clock)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.kernel.ids import is_valid_id
from shared.kernel.money import Money

# Statuses are the contracts' enum names without their prefix ("PAID", not "ORDER_STATUS_PAID").
HOLD_STATES = frozenset({"ON_HOLD", "EXCEPTION"})
PAID_STAGES = frozenset(
    {"PAID", "UNDER_REVIEW", "APPROVED", "ALLOCATED", "PICKING", "SHIPPED", "DELIVERED", "COMPLETED"}
)
SHIPPED_STAGES = frozenset({"SHIPPED", "DELIVERED", "COMPLETED"})
CANCELLED = "CANCELLED"
PENDING_PAYMENT = "PENDING_PAYMENT"

LIVE_RESERVATION = frozenset({"HELD", "COMMITTED"})
RUNNING_SAGA = frozenset({"RUNNING", "COMPENSATING"})


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


def units_by_sku(lines: Iterable[Line]) -> Counter[str]:
    units: Counter[str] = Counter()
    for line in lines:
        units[line.sku] += line.quantity
    return units


@dataclass(frozen=True)
class OrderView:
    order_id: str
    status: str
    total: Money
    created_at: datetime
    updated_at: datetime
    channel: str = "OWN_SITE"
    # While ON_HOLD or EXCEPTION: the state the order returns to; "" otherwise.
    resume_status: str = ""
    hold_reason: str = ""
    # Set once paid: a payments id (UUID), or "<CHANNEL>:<channel order id>" when the channel took the money.
    payment_id: str = ""
    lines: tuple[Line, ...] = ()

    @property
    def stage(self) -> str:
        """Where the order is in its life: a held order counts as the state it was held from."""
        if self.status in HOLD_STATES and self.resume_status:
            return self.resume_status
        return self.status

    @property
    def paid_by_channel(self) -> bool:
        """The marketplace collected the money: the payments service has no record of it by design."""
        return bool(self.payment_id) and not is_valid_id(self.payment_id)


@dataclass(frozen=True)
class PaymentRefundView:
    refund_id: str
    amount: Money
    # PENDING, SUCCEEDED or FAILED.
    status: str


@dataclass(frozen=True)
class PaymentView:
    payment_id: str
    status: str
    captured: Money
    refunded: Money
    refund_pending: Money
    refunds: tuple[PaymentRefundView, ...] = ()

    @property
    def given_back(self) -> Money:
        """Refunds settled and in flight (the payments service settles the latter)."""
        return self.refunded + self.refund_pending

    @property
    def kept(self) -> Money:
        """What the merchant still holds of the capture."""
        return self.captured - self.given_back


@dataclass(frozen=True)
class ReservationView:
    reservation_id: str
    status: str
    lines: tuple[Line, ...] = ()
    release_reason: str = ""


@dataclass(frozen=True)
class RefundView:
    """A refund as the refunds service records it (not the payments service's refund of money)."""

    refund_id: str
    status: str
    # What the buyer gets back (goods or compensation plus the refunded shipping fee).
    total: Money
    updated_at: datetime
    payment_id: str = ""
    # The payments service's refund, once COMPLETED.
    payment_refund_id: str = ""


@dataclass(frozen=True)
class SagaView:
    """The order's placement saga."""

    saga_id: str
    state: str
    created_at: datetime
    payment_id: str = ""
    failed_step: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class OrderFacts:
    """Everything gathered about one order, and when it was gathered."""

    order: OrderView
    as_of: datetime
    payments: tuple[PaymentView, ...] = ()
    # Newest first, as inventory lists them.
    reservations: tuple[ReservationView, ...] = ()
    refunds: tuple[RefundView, ...] = ()
    saga: SagaView | None = None

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def captures(self) -> tuple[PaymentView, ...]:
        """Payments that took money (captured, whether refunded since or not)."""
        return tuple(p for p in self.payments if p.captured.amount_minor > 0)

    def payment_refund(self, refund_id: str) -> PaymentRefundView | None:
        for payment in self.payments:
            for refund in payment.refunds:
                if refund.refund_id == refund_id:
                    return refund
        return None

"""Commands and queries of the payments context, and the results their handlers answer with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.payments.domain.callbacks import CallbackOutcome, CallbackType
from services.payments.domain.model import Operation, Payment
from shared.kernel.money import Money


@dataclass(frozen=True)
class Authorize:
    request_id: str
    order_id: str
    amount: Money
    provider: str
    token: str


@dataclass(frozen=True)
class Capture:
    request_id: str
    payment_id: str
    amount: Money


@dataclass(frozen=True)
class Void:
    request_id: str
    payment_id: str


@dataclass(frozen=True)
class Refund:
    request_id: str
    payment_id: str
    amount: Money
    reason: str


@dataclass(frozen=True)
class GetPayment:
    payment_id: str


@dataclass(frozen=True)
class ListPaymentsByOrder:
    order_id: str
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class HandleProviderCallback:
    """A provider notification as it arrived; ``signature`` is checked by that provider's adapter."""

    provider: str
    provider_event_id: str
    callback_type: CallbackType | None
    payment_reference: str
    amount: Money | None
    provider_reference: str = ""
    refund_reference: str = ""
    occurred_at: datetime | None = None
    signature: str = ""
    request_id: str = ""


@dataclass(frozen=True)
class PaymentDetails:
    """A payment with its refunds (oldest first)."""

    payment: Payment
    refunds: tuple[Operation, ...] = ()


@dataclass(frozen=True)
class OperationResult:
    """The answer to Authorize, Capture, Void or Refund: the payment after it and the operation it made.

    ``operation`` is None when nothing had to be done at the provider (voiding a voided payment).
    """

    details: PaymentDetails
    operation: Operation | None


@dataclass(frozen=True)
class PaymentPage:
    payments: tuple[PaymentDetails, ...]
    next_page_token: str


@dataclass(frozen=True)
class CallbackResult:
    outcome: CallbackOutcome

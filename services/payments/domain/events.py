"""Domain events of the payments context (the adapters turn them into oms.payments.v1 integration events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.kernel.money import Money


@dataclass(frozen=True)
class PaymentAuthorized:
    payment_id: str
    order_id: str
    amount: Money
    provider: str
    provider_reference: str
    occurred_at: datetime


@dataclass(frozen=True)
class PaymentDeclined:
    payment_id: str
    order_id: str
    amount: Money
    provider: str
    reason: str
    occurred_at: datetime


@dataclass(frozen=True)
class PaymentFailed:
    payment_id: str
    order_id: str
    amount: Money
    provider: str
    reason: str
    occurred_at: datetime


@dataclass(frozen=True)
class PaymentCaptured:
    payment_id: str
    order_id: str
    amount: Money
    occurred_at: datetime


@dataclass(frozen=True)
class PaymentVoided:
    payment_id: str
    order_id: str
    amount: Money
    occurred_at: datetime


@dataclass(frozen=True)
class PaymentRefunded:
    payment_id: str
    order_id: str
    refund_id: str
    amount: Money
    refunded_total: Money
    captured: Money
    reason: str
    occurred_at: datetime

    @property
    def fully_refunded(self) -> bool:
        return self.refunded_total == self.captured


@dataclass(frozen=True)
class PaymentCallbackFailed:
    """Alert: a provider notification could not be applied after every retry."""

    callback_id: str
    provider: str
    provider_event_id: str
    callback_type: str
    payment_reference: str
    refund_reference: str
    amount: Money
    attempts: int
    last_error: str
    occurred_at: datetime


PaymentEvent = (
    PaymentAuthorized
    | PaymentDeclined
    | PaymentFailed
    | PaymentCaptured
    | PaymentVoided
    | PaymentRefunded
    | PaymentCallbackFailed
)

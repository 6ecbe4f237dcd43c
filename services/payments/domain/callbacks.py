"""Provider notifications: what each one means for a payment, and when a failed one is tried again."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.payments.domain.errors import CallbackConflict
from services.payments.domain.model import (
    Operation,
    OperationKind,
    OperationStatus,
    Outcome,
    Payment,
    PaymentStatus,
)
from shared.kernel.money import Money


class CallbackType(enum.Enum):
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    REFUND_FAILED = "REFUND_FAILED"

    @property
    def about_refund(self) -> bool:
        return self in (CallbackType.REFUND_SUCCEEDED, CallbackType.REFUND_FAILED)

    @property
    def reports_success(self) -> bool:
        return self in (CallbackType.PAYMENT_SUCCEEDED, CallbackType.REFUND_SUCCEEDED)


class CallbackOutcome(enum.Enum):
    APPLIED = "APPLIED"
    DUPLICATE = "DUPLICATE"
    IGNORED = "IGNORED"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"


class CallbackStatus(enum.Enum):
    """Where a stored notification stands."""

    RECEIVED = "RECEIVED"
    APPLIED = "APPLIED"
    IGNORED = "IGNORED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"


# The provider has already moved the payment at least this far when its authorization succeeded.
_AUTHORIZED_OR_LATER = frozenset(
    {
        PaymentStatus.AUTHORIZED,
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.VOIDED,
    }
)
_NOT_AUTHORIZED = frozenset({PaymentStatus.DECLINED, PaymentStatus.FAILED})


@dataclass(frozen=True)
class ProviderCallback:
    """A notification as received (and stored) from a provider."""

    callback_id: str
    provider: str
    provider_event_id: str
    callback_type: CallbackType
    payment_reference: str
    provider_reference: str
    refund_reference: str
    amount: Money
    occurred_at: datetime | None
    received_at: datetime


def decide(callback: ProviderCallback, payment: Payment, operation: Operation) -> Outcome | None:
    """The outcome to settle ``operation`` with, or None when the notification tells nothing new.

    ``operation`` is the payment's authorization for payment notifications and the named refund for refund
    notifications. A notification about a state already passed is stale and changes nothing, so the payment
    never goes backwards; one that contradicts the record raises CallbackConflict.
    """
    expected = operation.amount if callback.callback_type.about_refund else payment.amount
    if callback.amount != expected:
        raise CallbackConflict(
            f"{callback.callback_type.value} for {operation.operation_id} says {callback.amount}, recorded {expected}",
            metadata={"payment_id": payment.payment_id},
        )
    success = callback.callback_type.reports_success
    if operation.is_pending:
        if success:
            return Outcome.succeeded(callback.provider_reference or operation.provider_reference)
        return Outcome.declined(f"{callback.callback_type.value.lower()} notification")
    if callback.callback_type.about_refund:
        stale = (operation.status is OperationStatus.SUCCEEDED) == success
    else:
        stale = payment.status in (_AUTHORIZED_OR_LATER if success else _NOT_AUTHORIZED)
    if stale:
        return None
    raise CallbackConflict(
        f"{callback.callback_type.value} contradicts {operation.kind.value} {operation.operation_id}"
        f" recorded as {operation.status.value} (payment {payment.status.value})",
        metadata={"payment_id": payment.payment_id},
    )


def operation_kind(callback_type: CallbackType) -> OperationKind:
    """Which kind of operation a notification settles."""
    return OperationKind.REFUND if callback_type.about_refund else OperationKind.AUTHORIZE


def next_attempt_at(received_at: datetime, attempts: int, delays: Sequence[timedelta]) -> datetime | None:
    """When to try a notification again after ``attempts`` failed tries, or None when it is time to give up.

    The retries run at the given delays after receipt (1, 3 and 10 minutes by default), not after each
    other, so a late sweep does not push the whole schedule back.
    """
    if attempts < 1 or attempts > len(delays):
        return None
    return received_at + delays[attempts - 1]

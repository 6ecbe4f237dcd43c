"""The payment aggregate, the provider operations it goes through and the state machine that orders them."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.payments.domain import events
from services.payments.domain.errors import CaptureExceedsAuthorized, CurrencyMismatch, RefundExceedsCaptured
from shared.kernel.errors import InvalidTransition
from shared.kernel.money import Money


class PaymentStatus(enum.Enum):
    AUTHORIZING = "AUTHORIZING"
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"
    DECLINED = "DECLINED"
    FAILED = "FAILED"


TRANSITIONS: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.AUTHORIZING: frozenset({PaymentStatus.AUTHORIZED, PaymentStatus.DECLINED, PaymentStatus.FAILED}),
    PaymentStatus.AUTHORIZED: frozenset({PaymentStatus.CAPTURED, PaymentStatus.VOIDED}),
    PaymentStatus.CAPTURED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    # A second partial refund keeps the status; the last one completes it.
    PaymentStatus.PARTIALLY_REFUNDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.VOIDED: frozenset(),
    PaymentStatus.DECLINED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
}

# Statuses from which money can be refunded (the refund reservation's condition).
REFUNDABLE = frozenset({PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED})


def ensure_transition(payment_id: str, from_: PaymentStatus, to: PaymentStatus) -> None:
    if to not in TRANSITIONS[from_]:
        raise InvalidTransition("payment", payment_id, from_.value, to.value)


class OperationKind(enum.Enum):
    AUTHORIZE = "AUTHORIZE"
    CAPTURE = "CAPTURE"
    VOID = "VOID"
    REFUND = "REFUND"


class OperationStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class OutcomeStatus(enum.Enum):
    """What the provider says became of an operation."""

    SUCCEEDED = "SUCCEEDED"
    # The provider refused it.
    DECLINED = "DECLINED"
    # The provider has no record of it: it never arrived, so it never took effect.
    NOT_FOUND = "NOT_FOUND"
    # Accepted but not settled yet (asynchronous refunds); a callback or a later lookup settles it.
    PENDING = "PENDING"


@dataclass(frozen=True)
class Outcome:
    status: OutcomeStatus
    provider_reference: str = ""
    reason: str = ""

    @classmethod
    def succeeded(cls, provider_reference: str) -> Outcome:
        return cls(OutcomeStatus.SUCCEEDED, provider_reference)

    @classmethod
    def declined(cls, reason: str) -> Outcome:
        return cls(OutcomeStatus.DECLINED, reason=reason)

    @classmethod
    def not_found(cls) -> Outcome:
        return cls(OutcomeStatus.NOT_FOUND, reason="the provider has no record of it")


@dataclass(frozen=True)
class Operation:
    """One call to the provider, recorded as an intent before the call and settled once its outcome is known.

    Its id is the reference the provider sees (so a repeated call is recognised there) and, for a refund,
    the refund id.
    """

    operation_id: str
    payment_id: str
    kind: OperationKind
    request_id: str
    fingerprint: str
    amount: Money
    status: OperationStatus
    created_at: datetime
    updated_at: datetime
    reason: str = ""
    provider_reference: str = ""
    failure_reason: str = ""

    @property
    def is_pending(self) -> bool:
        return self.status is OperationStatus.PENDING

    def settled(self, outcome: Outcome, now: datetime) -> Operation:
        """This operation with ``outcome`` recorded (a PENDING outcome only records the provider's reference)."""
        if outcome.status is OutcomeStatus.PENDING:
            return dataclasses.replace(self, provider_reference=outcome.provider_reference, updated_at=now)
        status = OperationStatus.SUCCEEDED if outcome.status is OutcomeStatus.SUCCEEDED else OperationStatus.FAILED
        return dataclasses.replace(
            self,
            status=status,
            provider_reference=outcome.provider_reference or self.provider_reference,
            failure_reason="" if status is OperationStatus.SUCCEEDED else outcome.reason,
            updated_at=now,
        )


@dataclass(frozen=True)
class Payment:
    """A payment of an order at one provider: what was asked, held, taken and given back."""

    payment_id: str
    order_id: str
    status: PaymentStatus
    amount: Money
    authorized: Money
    captured: Money
    refunded: Money
    refund_pending: Money
    provider: str
    created_at: datetime
    updated_at: datetime
    provider_reference: str = ""
    failure_reason: str = ""

    @classmethod
    def start(cls, *, payment_id: str, order_id: str, amount: Money, provider: str, now: datetime) -> Payment:
        """A new payment whose authorization is about to be asked for."""
        zero = Money.zero(amount.currency)
        return cls(
            payment_id=payment_id,
            order_id=order_id,
            status=PaymentStatus.AUTHORIZING,
            amount=amount,
            authorized=zero,
            captured=zero,
            refunded=zero,
            refund_pending=zero,
            provider=provider,
            created_at=now,
            updated_at=now,
        )

    @property
    def refundable(self) -> Money:
        """What may still be refunded: captured less settled and in-flight refunds."""
        return self.captured - self.refunded - self.refund_pending

    def _moved(self, to: PaymentStatus, now: datetime, **changes: object) -> Payment:
        ensure_transition(self.payment_id, self.status, to)
        return dataclasses.replace(self, status=to, updated_at=now, **changes)  # type: ignore[arg-type]

    def _same_currency(self, field: str, amount: Money) -> None:
        if amount.currency != self.amount.currency:
            raise CurrencyMismatch(field, self.amount.currency, amount.currency)

    # Authorization outcomes.

    def authorize(self, provider_reference: str, now: datetime) -> tuple[Payment, events.PaymentAuthorized]:
        payment = self._moved(
            PaymentStatus.AUTHORIZED, now, authorized=self.amount, provider_reference=provider_reference
        )
        return payment, events.PaymentAuthorized(
            payment_id=self.payment_id,
            order_id=self.order_id,
            amount=self.amount,
            provider=self.provider,
            provider_reference=provider_reference,
            occurred_at=now,
        )

    def decline(self, reason: str, now: datetime) -> tuple[Payment, events.PaymentDeclined]:
        payment = self._moved(PaymentStatus.DECLINED, now, failure_reason=reason)
        return payment, events.PaymentDeclined(
            payment_id=self.payment_id,
            order_id=self.order_id,
            amount=self.amount,
            provider=self.provider,
            reason=reason,
            occurred_at=now,
        )

    def fail(self, reason: str, now: datetime) -> tuple[Payment, events.PaymentFailed]:
        payment = self._moved(PaymentStatus.FAILED, now, failure_reason=reason)
        return payment, events.PaymentFailed(
            payment_id=self.payment_id,
            order_id=self.order_id,
            amount=self.amount,
            provider=self.provider,
            reason=reason,
            occurred_at=now,
        )

    # Capture and void.

    def check_capture(self, amount: Money) -> None:
        """Raise unless ``amount`` may be captured now."""
        self._same_currency("amount.currency", amount)
        ensure_transition(self.payment_id, self.status, PaymentStatus.CAPTURED)
        if amount.amount_minor > self.authorized.amount_minor:
            raise CaptureExceedsAuthorized(self.payment_id, amount.amount_minor, self.authorized.amount_minor)

    def capture(self, amount: Money, now: datetime) -> tuple[Payment, events.PaymentCaptured]:
        self.check_capture(amount)
        payment = self._moved(PaymentStatus.CAPTURED, now, captured=amount)
        return payment, events.PaymentCaptured(
            payment_id=self.payment_id, order_id=self.order_id, amount=amount, occurred_at=now
        )

    def check_void(self) -> bool:
        """Raise unless the payment may be voided; False when it already is (voiding again changes nothing)."""
        if self.status is PaymentStatus.VOIDED:
            return False
        ensure_transition(self.payment_id, self.status, PaymentStatus.VOIDED)
        return True

    def void(self, now: datetime) -> tuple[Payment, events.PaymentVoided]:
        payment = self._moved(PaymentStatus.VOIDED, now)
        return payment, events.PaymentVoided(
            payment_id=self.payment_id, order_id=self.order_id, amount=self.authorized, occurred_at=now
        )

    # Refunds: reserved first (so racing refunds cannot overshoot), then settled or released.

    def check_refund(self, amount: Money) -> None:
        """Raise the reason ``amount`` cannot be reserved for a refund now."""
        self._same_currency("amount.currency", amount)
        if self.status not in REFUNDABLE:
            raise InvalidTransition("payment", self.payment_id, self.status.value, PaymentStatus.REFUNDED.value)
        if amount.amount_minor > self.refundable.amount_minor:
            raise RefundExceedsCaptured(self.payment_id, amount.amount_minor, self.refundable.amount_minor)

    def reserve_refund(self, amount: Money, now: datetime) -> Payment:
        self.check_refund(amount)
        return dataclasses.replace(self, refund_pending=self.refund_pending + amount, updated_at=now)

    def settle_refund(self, refund: Operation, now: datetime) -> tuple[Payment, events.PaymentRefunded]:
        refunded = self.refunded + refund.amount
        target = PaymentStatus.REFUNDED if refunded == self.captured else PaymentStatus.PARTIALLY_REFUNDED
        payment = self._moved(target, now, refunded=refunded, refund_pending=self.refund_pending - refund.amount)
        return payment, events.PaymentRefunded(
            payment_id=self.payment_id,
            order_id=self.order_id,
            refund_id=refund.operation_id,
            amount=refund.amount,
            refunded_total=refunded,
            captured=self.captured,
            reason=refund.reason,
            occurred_at=now,
        )

    def release_refund(self, refund: Operation, now: datetime) -> Payment:
        return dataclasses.replace(self, refund_pending=self.refund_pending - refund.amount, updated_at=now)


def apply_outcome(
    payment: Payment, operation: Operation, outcome: Outcome, now: datetime
) -> tuple[Payment, Operation, list[events.PaymentEvent]]:
    """What the provider's ``outcome`` of a PENDING ``operation`` does to the payment.

    Raises InvalidTransition when the outcome contradicts the payment's state (e.g. a capture reported
    done on a voided payment); the caller decides whether that is an error to report or to escalate.
    """
    settled = operation.settled(outcome, now)
    if outcome.status is OutcomeStatus.PENDING:
        return payment, settled, []
    succeeded = outcome.status is OutcomeStatus.SUCCEEDED
    event: events.PaymentEvent
    match operation.kind:
        case OperationKind.AUTHORIZE:
            if succeeded:
                payment, event = payment.authorize(outcome.provider_reference, now)
            elif outcome.status is OutcomeStatus.DECLINED:
                payment, event = payment.decline(outcome.reason, now)
            else:
                payment, event = payment.fail(outcome.reason, now)
            return payment, settled, [event]
        case OperationKind.CAPTURE:
            if not succeeded:
                return payment, settled, []
            payment, event = payment.capture(operation.amount, now)
            return payment, settled, [event]
        case OperationKind.VOID:
            if not succeeded:
                return payment, settled, []
            payment, event = payment.void(now)
            return payment, settled, [event]
        case OperationKind.REFUND:
            if not succeeded:
                return payment.release_refund(operation, now), settled, []
            payment, event = payment.settle_refund(settled, now)
            return payment, settled, [event]

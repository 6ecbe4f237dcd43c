"""The payments use cases. Provider calls never run inside a transaction: intent, call, outcome.

Every mutating command runs in two short transactions around the provider call. The first records the
intent (a PENDING operation, the payment row for an authorization) and commits, so a crash or a timeout
leaves a trace the repair task can settle by asking the provider. The second settles the operation under
the payment's row lock and remembers the answer under the request id (shared idempotency). A repeated
request finds its intent, asks the provider again with the same reference (the provider does it once)
and answers what the first one did.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.payments.application.commands import (
    Authorize,
    Capture,
    GetPayment,
    ListPaymentsByOrder,
    OperationResult,
    PaymentDetails,
    PaymentPage,
    Refund,
    Void,
)
from services.payments.application.ports import (
    Clock,
    PaymentProvider,
    PaymentsUnitOfWork,
    ProviderDeclinedError,
    Providers,
    ProviderUnavailableError,
)
from services.payments.domain import rules
from services.payments.domain.errors import (
    CaptureDeclined,
    IdempotencyKeyReused,
    OperationInProgress,
    PaymentDeclined,
    PaymentFailed,
    PaymentNotFound,
    ProviderUnavailable,
    RefundDeclined,
    VoidDeclined,
)
from services.payments.domain.model import (
    REFUNDABLE,
    Operation,
    OperationKind,
    OperationStatus,
    Outcome,
    OutcomeStatus,
    Payment,
    PaymentStatus,
    apply_outcome,
)
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument, OmsError
from shared.kernel.ids import is_valid_id, new_id
from shared.kernel.money import Money

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Policy:
    """The tunable numbers of the payments context (bootstrap fills them from settings)."""

    provider_timeout: timedelta = timedelta(seconds=4)
    callback_retry_delays: tuple[timedelta, ...] = field(
        default=(timedelta(minutes=1), timedelta(minutes=3), timedelta(minutes=10))
    )
    # An intent older than this is settled by asking the provider; longer than any provider call may take.
    repair_grace: timedelta = timedelta(seconds=60)
    sweep_batch_size: int = 100


@dataclass(frozen=True)
class _Intent:
    payment: Payment
    # None when the provider has nothing to do (voiding a voided payment).
    operation: Operation | None


def check_request_id(request_id: str) -> None:
    if not request_id:
        raise InvalidArgument.field("request_id", "is required (the idempotency key of a mutating call)")
    rules.check_text("request_id", request_id, max_length=rules.MAX_IDENTIFIER_LENGTH)


def check_id(field_name: str, value: str) -> None:
    if not value:
        raise InvalidArgument.field(field_name, "is required")
    if not is_valid_id(value):
        raise InvalidArgument.field(field_name, "must be a UUID")


# Settling: the one place a provider's outcome changes a payment, whoever learnt it.


async def settle(
    uow: PaymentsUnitOfWork, operation_id: str, outcome: Outcome, now: datetime
) -> tuple[Payment, Operation] | None:
    """Apply ``outcome`` to a PENDING operation under its payment's row lock; None when already settled.

    The handler that called the provider, a provider callback and the repair task may all learn the same
    outcome; the row lock and the PENDING check make exactly one of them apply it. Returns the payment and
    the operation as they now are.
    """
    locked = await uow.payments.lock_for_settlement(operation_id)
    if locked is None:
        raise PaymentNotFound(operation_id)
    payment, operation = locked
    if not operation.is_pending:
        return None
    updated, settled, events = apply_outcome(payment, operation, outcome, now)
    if updated is not payment:
        await uow.payments.save(updated)
    await uow.payments.save_operation(settled)
    uow.publish(*events)
    return updated, settled


async def details_of(uow: PaymentsUnitOfWork, payment: Payment) -> PaymentDetails:
    # A payment never captured has no refunds: spare the query on the hot path.
    if payment.status not in REFUNDABLE and payment.status is not PaymentStatus.REFUNDED:
        return PaymentDetails(payment)
    refunds = await uow.payments.refunds_of([payment.payment_id])
    return PaymentDetails(payment, tuple(refunds.get(payment.payment_id, ())))


# The two-transaction frame every mutating command shares.


async def _record_intent(
    uow: PaymentsUnitOfWork,
    command: Authorize | Capture | Void | Refund,
    kind: OperationKind,
    open_intent: Callable[[str], Awaitable[_Intent]],
    *,
    look_first: bool = True,
) -> _Intent:
    """Find the intent of an earlier attempt of ``command`` or open (and commit) a new one.

    ``look_first=False`` saves the lookup when ``open_intent`` itself resolves a clash on the request id.
    """
    fingerprint = codec.fingerprint(command)
    async with uow:
        existing = await uow.payments.operation_by_request(command.request_id) if look_first else None
        if existing is None:
            intent = await open_intent(fingerprint)
            await uow.commit()
            return intent
        if existing.kind is not kind or existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused(command.request_id)
        payment = await uow.payments.get(existing.payment_id)
        if payment is None:
            raise PaymentNotFound(existing.payment_id)
        return _Intent(payment, existing)


async def _add_operation(uow: PaymentsUnitOfWork, operation: Operation) -> Operation:
    """Insert the intent; on a race with the same request id, the winner's intent (if it matches)."""
    if await uow.payments.add_operation(operation):
        return operation
    existing = await uow.payments.operation_by_request(operation.request_id)
    if existing is None:
        raise OperationInProgress(operation.payment_id)
    if existing.kind is not operation.kind or existing.fingerprint != operation.fingerprint:
        raise IdempotencyKeyReused(operation.request_id)
    return existing


async def _call_provider(
    provider: PaymentProvider,
    intent: _Intent,
    policy: Policy,
    call: Callable[[Operation], Awaitable[Outcome]],
) -> Outcome | None:
    """Ask the provider to do a PENDING operation; None when there is nothing (more) to ask."""
    operation = intent.operation
    if operation is None or not operation.is_pending:
        return None
    try:
        async with asyncio.timeout(policy.provider_timeout.total_seconds()):
            return await call(operation)
    except ProviderDeclinedError as declined:
        return Outcome.declined(declined.reason)
    except (ProviderUnavailableError, TimeoutError) as error:
        metadata = {"payment_id": operation.payment_id}
        if operation.kind is OperationKind.REFUND:
            metadata["refund_id"] = operation.operation_id
        raise ProviderUnavailable(provider.name, str(error) or "timed out", **metadata) from error


async def _record_outcome(
    uow: PaymentsUnitOfWork, command: object, intent: _Intent, outcome: Outcome | None, clock: Clock
) -> OperationResult:
    """Settle the operation (unless someone already did) and remember the answer under the request id."""
    async with uow:
        previous = await uow.replay(command, OperationResult)
        if previous is not None:
            return previous
        operation = intent.operation
        settled = None
        if operation is not None and outcome is not None:
            settled = await settle(uow, operation.operation_id, outcome, clock())
        if settled is not None:
            payment, operation = settled
        else:
            # Settled by someone else (a callback, the repair, an earlier attempt): read what they wrote.
            if operation is not None:
                operation = await uow.payments.operation(operation.operation_id)
            found = await uow.payments.get(intent.payment.payment_id)
            if found is None:
                raise PaymentNotFound(intent.payment.payment_id)
            payment = found
        result = OperationResult(await details_of(uow, payment), operation)
        await uow.remember(command, result)
        await uow.commit()
    return result


async def _recorded(
    uow: PaymentsUnitOfWork, command: object, intent: _Intent, outcome: Outcome | None, clock: Clock
) -> OperationResult:
    """Record the outcome even if the caller gives up meanwhile: the provider has acted, so waiting for the
    repair task to find it out would only leave the payment behind for a minute."""
    return await asyncio.shield(_record_outcome(uow, command, intent, outcome, clock))


def _new_operation(
    payment_id: str,
    kind: OperationKind,
    command: Capture | Void | Refund,
    fingerprint: str,
    amount: Money,
    now: datetime,
) -> Operation:
    return Operation(
        operation_id=new_id(),
        payment_id=payment_id,
        kind=kind,
        request_id=command.request_id,
        fingerprint=fingerprint,
        amount=amount,
        status=OperationStatus.PENDING,
        created_at=now,
        updated_at=now,
        reason=getattr(command, "reason", ""),
    )


# Commands.


async def authorize(
    command: Authorize, uow: PaymentsUnitOfWork, providers: Providers, clock: Clock, policy: Policy
) -> OperationResult:
    """Hold the amount for the order; raises PaymentDeclined / PaymentFailed / ProviderUnavailable."""
    check_request_id(command.request_id)
    check_id("order_id", command.order_id)
    rules.check_positive("amount.amount_minor", command.amount)
    provider = providers.get(command.provider, "payment_method.provider")
    rules.check_token("payment_method.token", command.token)

    async def open_intent(fingerprint: str) -> _Intent:
        now = clock()
        payment_id = new_id()
        payment = Payment.start(
            payment_id=payment_id, order_id=command.order_id, amount=command.amount, provider=provider.name, now=now
        )
        operation = Operation(
            operation_id=payment_id,
            payment_id=payment_id,
            kind=OperationKind.AUTHORIZE,
            request_id=command.request_id,
            fingerprint=fingerprint,
            amount=command.amount,
            status=OperationStatus.PENDING,
            created_at=now,
            updated_at=now,
        )
        recorded = await _add_operation(uow, operation)
        if recorded is not operation:
            existing = await uow.payments.get(recorded.payment_id)
            if existing is None:
                raise PaymentNotFound(recorded.payment_id)
            return _Intent(existing, recorded)
        await uow.payments.add(payment)
        return _Intent(payment, operation)

    # A new authorization (the hot path) inserts its intent straight away; a repeat finds it on the clash.
    intent = await _record_intent(uow, command, OperationKind.AUTHORIZE, open_intent, look_first=False)

    async def call(operation: Operation) -> Outcome:
        reference = await provider.authorize(reference=operation.payment_id, amount=command.amount, token=command.token)
        return Outcome.succeeded(reference)

    outcome = await _call_provider(provider, intent, policy, call)
    result = await _recorded(uow, command, intent, outcome, clock)
    payment = result.details.payment
    if payment.status is PaymentStatus.DECLINED:
        raise PaymentDeclined(payment.payment_id, payment.failure_reason)
    if payment.status is PaymentStatus.FAILED:
        raise PaymentFailed(payment.payment_id, payment.failure_reason)
    if payment.status is PaymentStatus.AUTHORIZING:
        # An asynchronous provider accepted it without deciding; the callback will.
        raise ProviderUnavailable(payment.provider, "the authorization is still pending", payment_id=payment.payment_id)
    return result


async def capture(
    command: Capture, uow: PaymentsUnitOfWork, providers: Providers, clock: Clock, policy: Policy
) -> OperationResult:
    """Take the amount of an AUTHORIZED payment (at most what was authorized, once)."""
    check_request_id(command.request_id)
    check_id("payment_id", command.payment_id)
    rules.check_positive("amount.amount_minor", command.amount)

    async def open_intent(fingerprint: str) -> _Intent:
        # The lock orders this check after any capture or void settling right now.
        payment = await uow.payments.lock(command.payment_id)
        if payment is None:
            raise PaymentNotFound(command.payment_id)
        payment.check_capture(command.amount)
        operation = await _add_operation(
            uow,
            _new_operation(payment.payment_id, OperationKind.CAPTURE, command, fingerprint, command.amount, clock()),
        )
        return _Intent(payment, operation)

    intent = await _record_intent(uow, command, OperationKind.CAPTURE, open_intent)
    provider = providers.get(intent.payment.provider, "payment_id")

    async def call(operation: Operation) -> Outcome:
        reference = await provider.capture(
            reference=operation.operation_id,
            provider_reference=intent.payment.provider_reference,
            amount=operation.amount,
        )
        return Outcome.succeeded(reference)

    outcome = await _call_provider(provider, intent, policy, call)
    result = await _recorded(uow, command, intent, outcome, clock)
    if result.operation is not None and result.operation.status is OperationStatus.FAILED:
        raise CaptureDeclined(command.payment_id, result.operation.failure_reason)
    return result


async def void(
    command: Void, uow: PaymentsUnitOfWork, providers: Providers, clock: Clock, policy: Policy
) -> OperationResult:
    """Release the hold of an AUTHORIZED payment; a VOIDED payment is returned as it is."""
    check_request_id(command.request_id)
    check_id("payment_id", command.payment_id)

    async def open_intent(fingerprint: str) -> _Intent:
        payment = await uow.payments.lock(command.payment_id)
        if payment is None:
            raise PaymentNotFound(command.payment_id)
        if not payment.check_void():
            return _Intent(payment, None)
        operation = await _add_operation(
            uow,
            _new_operation(payment.payment_id, OperationKind.VOID, command, fingerprint, payment.authorized, clock()),
        )
        return _Intent(payment, operation)

    intent = await _record_intent(uow, command, OperationKind.VOID, open_intent)
    provider = providers.get(intent.payment.provider, "payment_id")

    async def call(operation: Operation) -> Outcome:
        reference = await provider.void(
            reference=operation.operation_id, provider_reference=intent.payment.provider_reference
        )
        return Outcome.succeeded(reference)

    outcome = await _call_provider(provider, intent, policy, call)
    result = await _recorded(uow, command, intent, outcome, clock)
    if result.operation is not None and result.operation.status is OperationStatus.FAILED:
        raise VoidDeclined(command.payment_id, result.operation.failure_reason)
    return result


async def refund(
    command: Refund, uow: PaymentsUnitOfWork, providers: Providers, clock: Clock, policy: Policy
) -> OperationResult:
    """Give back part or all of a captured payment; refunds never exceed the captured amount."""
    check_request_id(command.request_id)
    check_id("payment_id", command.payment_id)
    rules.check_positive("amount.amount_minor", command.amount)
    rules.check_text("reason", command.reason)

    async def open_intent(fingerprint: str) -> _Intent:
        now = clock()
        operation = _new_operation(command.payment_id, OperationKind.REFUND, command, fingerprint, command.amount, now)
        # The intent first: a duplicate request waits here for the first one instead of reserving twice.
        recorded = await _add_operation(uow, operation)
        if recorded is not operation:
            existing = await uow.payments.get(recorded.payment_id)
            if existing is None:
                raise PaymentNotFound(recorded.payment_id)
            return _Intent(existing, recorded)
        reserved = await uow.payments.reserve_refund(command.payment_id, command.amount, now)
        if reserved is None:
            payment = await uow.payments.get(command.payment_id)
            if payment is None:
                raise PaymentNotFound(command.payment_id)
            # Explain why the conditional update refused; the database already decided.
            payment.check_refund(command.amount)
            raise OperationInProgress(command.payment_id)
        return _Intent(reserved, operation)

    intent = await _record_intent(uow, command, OperationKind.REFUND, open_intent, look_first=False)
    provider = providers.get(intent.payment.provider, "payment_id")

    async def call(operation: Operation) -> Outcome:
        receipt = await provider.refund(
            reference=operation.operation_id,
            provider_reference=intent.payment.provider_reference,
            amount=operation.amount,
        )
        if receipt.settled:
            return Outcome.succeeded(receipt.provider_reference)
        return Outcome(OutcomeStatus.PENDING, receipt.provider_reference)

    outcome = await _call_provider(provider, intent, policy, call)
    result = await _recorded(uow, command, intent, outcome, clock)
    if result.operation is not None and result.operation.status is OperationStatus.FAILED:
        raise RefundDeclined(
            command.payment_id, result.operation.failure_reason, refund_id=result.operation.operation_id
        )
    return result


# Queries.


async def get_payment(query: GetPayment, uow: PaymentsUnitOfWork) -> PaymentDetails:
    check_id("payment_id", query.payment_id)
    async with uow:
        payment = await uow.payments.get(query.payment_id)
        if payment is None:
            raise PaymentNotFound(query.payment_id)
        return await details_of(uow, payment)


def _encode_token(last: Payment) -> str:
    position = f"{last.created_at.isoformat()}|{last.payment_id}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[datetime, str]:
    """The (created_at, payment_id) position a page token stands for; refuses anything not issued here."""
    try:
        created_at, _, payment_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition("|")
        position = (datetime.fromisoformat(created_at), payment_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        position = None
    if position is None or position[0].tzinfo is None or not is_valid_id(position[1]):
        raise InvalidArgument.field("page.page_token", "is not a token this service issued")
    return position


async def list_payments_by_order(query: ListPaymentsByOrder, uow: PaymentsUnitOfWork) -> PaymentPage:
    check_id("order_id", query.order_id)
    if query.page_size < 0:
        raise InvalidArgument.field("page.page_size", "must not be negative")
    size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    after = _decode_token(query.page_token) if query.page_token else None
    async with uow:
        payments = await uow.payments.list_by_order(query.order_id, after=after, limit=size + 1)
        page, more = payments[:size], len(payments) > size
        refunds = await uow.payments.refunds_of([p.payment_id for p in page]) if page else {}
    return PaymentPage(
        payments=tuple(PaymentDetails(p, tuple(refunds.get(p.payment_id, ()))) for p in page),
        next_page_token=_encode_token(page[-1]) if more else "",
    )


# Repair: intents a crash (or a lost answer) left PENDING are settled by asking the provider.


async def repair_pending_operations(uow: PaymentsUnitOfWork, providers: Providers, clock: Clock, policy: Policy) -> int:
    """Settle PENDING operations older than the grace period from the provider's records; returns how many."""
    async with uow:
        stuck = await uow.payments.pending_operations(
            created_before=clock() - policy.repair_grace, limit=policy.sweep_batch_size
        )
    repaired = 0
    for operation, provider_name in stuck:
        try:
            provider = providers.get(provider_name, "provider")
            async with asyncio.timeout(policy.provider_timeout.total_seconds()):
                outcome = await provider.lookup(kind=operation.kind, reference=operation.operation_id)
        except (ProviderUnavailableError, TimeoutError, OmsError) as error:
            logger.warning(
                "cannot ask provider %s about operation %s: %r", provider_name, operation.operation_id, error
            )
            continue
        if outcome.status is OutcomeStatus.PENDING:
            continue
        try:
            async with uow:
                if await settle(uow, operation.operation_id, outcome, clock()) is not None:
                    repaired += 1
                await uow.commit()
        except OmsError as conflict:
            # The provider's record contradicts ours, which the row locks should make impossible. Close the
            # intent as FAILED (so it does not block the sweep) and leave the payment for a human.
            logger.error("operation %s contradicts the provider's record: %s", operation.operation_id, conflict)
            await _close_in_conflict(uow, operation.operation_id, str(conflict), clock())
    return repaired


async def _close_in_conflict(uow: PaymentsUnitOfWork, operation_id: str, why: str, now: datetime) -> None:
    async with uow:
        locked = await uow.payments.lock_for_settlement(operation_id)
        if locked is None or not locked[1].is_pending:
            return
        await uow.payments.save_operation(locked[1].settled(Outcome.declined(f"STATE_CONFLICT: {why}"), now))
        await uow.commit()

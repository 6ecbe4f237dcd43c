"""Provider notifications: verify, deduplicate, apply without going backwards; retry what fails, then alert."""

from __future__ import annotations

import logging
from datetime import datetime

from services.payments.application.commands import CallbackResult, HandleProviderCallback
from services.payments.application.handlers import Policy, check_id, settle
from services.payments.application.ports import Clock, PaymentsUnitOfWork, Providers
from services.payments.domain import rules
from services.payments.domain.callbacks import (
    CallbackOutcome,
    CallbackStatus,
    CallbackType,
    ProviderCallback,
    decide,
    next_attempt_at,
)
from services.payments.domain.errors import InvalidSignature, PaymentNotFound, RefundNotFound
from services.payments.domain.events import PaymentCallbackFailed
from services.payments.domain.model import OperationKind
from shared.kernel.errors import InvalidArgument, OmsError
from shared.kernel.ids import new_id
from shared.kernel.money import Money

logger = logging.getLogger(__name__)


def _validate(command: HandleProviderCallback) -> tuple[CallbackType, Money]:
    if not command.provider:
        raise InvalidArgument.field("provider", "is required")
    rules.check_text(
        "provider_event_id", command.provider_event_id, required=True, max_length=rules.MAX_IDENTIFIER_LENGTH
    )
    if command.callback_type is None:
        raise InvalidArgument.field("type", "is required")
    check_id("payment_reference", command.payment_reference)
    rules.check_text("provider_reference", command.provider_reference, max_length=rules.MAX_IDENTIFIER_LENGTH)
    if command.callback_type.about_refund:
        check_id("refund_reference", command.refund_reference)
    if command.amount is None:
        raise InvalidArgument.field("amount", "is required")
    rules.check_positive("amount.amount_minor", command.amount)
    return command.callback_type, command.amount


async def apply_callback(uow: PaymentsUnitOfWork, callback: ProviderCallback, now: datetime) -> bool:
    """Apply one notification in the current transaction; False when it told nothing new.

    Raises when it cannot be applied (unknown payment or refund, a contradiction), for the retry schedule.
    """
    payment = await uow.payments.lock(callback.payment_reference)
    if payment is None:
        raise PaymentNotFound(callback.payment_reference)
    if callback.callback_type.about_refund:
        operation = await uow.payments.operation(callback.refund_reference)
        if (
            operation is None
            or operation.kind is not OperationKind.REFUND
            or operation.payment_id != payment.payment_id
        ):
            raise RefundNotFound(callback.refund_reference)
    else:
        operation = await uow.payments.authorization_of(payment.payment_id)
        if operation is None:
            raise PaymentNotFound(callback.payment_reference)
    outcome = decide(callback, payment, operation)
    if outcome is None:
        return False
    return await settle(uow, operation.operation_id, outcome, now) is not None


async def _attempt(uow: PaymentsUnitOfWork, callback: ProviderCallback, now: datetime) -> tuple[bool, str]:
    """Try to apply ``callback`` inside a savepoint; (applied, "") or (False, the error) when it failed."""
    try:
        async with uow.savepoint():
            return await apply_callback(uow, callback, now), ""
    except Exception as error:
        logger.warning(
            "provider callback %s (%s %s) not applied: %r",
            callback.callback_id,
            callback.provider,
            callback.provider_event_id,
            error,
            exc_info=not isinstance(error, OmsError),
        )
        return False, f"{type(error).__name__}: {error}"[:1000]


async def _after_failure(
    uow: PaymentsUnitOfWork, callback: ProviderCallback, attempts: int, error: str, now: datetime, policy: Policy
) -> None:
    at = next_attempt_at(callback.received_at, attempts, policy.callback_retry_delays)
    if at is not None:
        await uow.callbacks.schedule_retry(callback.callback_id, attempts=attempts, at=at, error=error)
        return
    await uow.callbacks.finish(callback.callback_id, CallbackStatus.FAILED, attempts=attempts, error=error, now=now)
    logger.error(
        "provider callback %s (%s %s) failed %d times; alerting",
        callback.callback_id,
        callback.provider,
        callback.provider_event_id,
        attempts,
    )
    uow.publish(
        PaymentCallbackFailed(
            callback_id=callback.callback_id,
            provider=callback.provider,
            provider_event_id=callback.provider_event_id,
            callback_type=callback.callback_type.value,
            payment_reference=callback.payment_reference,
            refund_reference=callback.refund_reference,
            amount=callback.amount,
            attempts=attempts,
            last_error=error,
            occurred_at=now,
        )
    )


async def handle_provider_callback(
    command: HandleProviderCallback, uow: PaymentsUnitOfWork, providers: Providers, clock: Clock, policy: Policy
) -> CallbackResult:
    """Store the notification (once per provider event id) and apply it, or schedule its retries."""
    callback_type, amount = _validate(command)
    provider = providers.get(command.provider, "provider")
    if not provider.verify_callback(command):
        raise InvalidSignature(provider.name)
    now = clock()
    callback = ProviderCallback(
        callback_id=new_id(),
        provider=provider.name,
        provider_event_id=command.provider_event_id,
        callback_type=callback_type,
        payment_reference=command.payment_reference,
        provider_reference=command.provider_reference,
        refund_reference=command.refund_reference,
        amount=amount,
        occurred_at=command.occurred_at,
        received_at=now,
    )
    async with uow:
        if not await uow.callbacks.add(callback):
            return CallbackResult(CallbackOutcome.DUPLICATE)
        applied, error = await _attempt(uow, callback, now)
        if error:
            await _after_failure(uow, callback, 1, error, now, policy)
            outcome = CallbackOutcome.RETRY_SCHEDULED
        else:
            status = CallbackStatus.APPLIED if applied else CallbackStatus.IGNORED
            await uow.callbacks.finish(callback.callback_id, status, attempts=1, error="", now=now)
            outcome = CallbackOutcome.APPLIED if applied else CallbackOutcome.IGNORED
        await uow.commit()
    return CallbackResult(outcome)


async def retry_due_callbacks(uow: PaymentsUnitOfWork, clock: Clock, policy: Policy) -> int:
    """Try again the stored notifications whose retry is due, one short transaction each; returns how many."""
    tried = 0
    while tried < policy.sweep_batch_size:
        now = clock()
        async with uow:
            due = await uow.callbacks.due(now, 1)
            if not due:
                return tried
            callback, attempts = due[0]
            attempts += 1
            applied, error = await _attempt(uow, callback, now)
            if error:
                await _after_failure(uow, callback, attempts, error, now, policy)
            else:
                status = CallbackStatus.APPLIED if applied else CallbackStatus.IGNORED
                await uow.callbacks.finish(callback.callback_id, status, attempts=attempts, error="", now=now)
            await uow.commit()
        tried += 1
    return tried

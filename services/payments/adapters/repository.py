"""PostgreSQL repositories of payments, their provider operations and provider callbacks (SQLAlchemy Core)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.adapters.tables import callback_retries, payment_operations, payments, provider_callbacks
from services.payments.domain.callbacks import CallbackStatus, CallbackType, ProviderCallback
from services.payments.domain.model import (
    REFUNDABLE,
    Operation,
    OperationKind,
    OperationStatus,
    Payment,
    PaymentStatus,
)
from shared.kernel.ids import is_valid_id
from shared.kernel.money import Money


def _payment(row: Any) -> Payment:
    currency = row.currency
    return Payment(
        payment_id=row.payment_id,
        order_id=row.order_id,
        status=PaymentStatus(row.status),
        amount=Money(row.amount_minor, currency),
        authorized=Money(row.authorized_minor, currency),
        captured=Money(row.captured_minor, currency),
        refunded=Money(row.refunded_minor, currency),
        refund_pending=Money(row.refund_pending_minor, currency),
        provider=row.provider,
        provider_reference=row.provider_reference,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "status": payment.status.value,
        "authorized_minor": payment.authorized.amount_minor,
        "captured_minor": payment.captured.amount_minor,
        "refunded_minor": payment.refunded.amount_minor,
        "refund_pending_minor": payment.refund_pending.amount_minor,
        "provider_reference": payment.provider_reference,
        "failure_reason": payment.failure_reason,
        "updated_at": payment.updated_at,
    }


def _operation(row: Any) -> Operation:
    return Operation(
        operation_id=row.operation_id,
        payment_id=row.payment_id,
        kind=OperationKind(row.kind),
        request_id=row.request_id,
        fingerprint=row.fingerprint,
        amount=Money(row.amount_minor, row.currency),
        status=OperationStatus(row.status),
        reason=row.reason,
        provider_reference=row.provider_reference,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _callback(row: Any) -> ProviderCallback:
    return ProviderCallback(
        callback_id=row.callback_id,
        provider=row.provider,
        provider_event_id=row.provider_event_id,
        callback_type=CallbackType(row.callback_type),
        payment_reference=row.payment_reference,
        provider_reference=row.provider_reference,
        refund_reference=row.refund_reference,
        amount=Money(row.amount_minor, row.currency),
        occurred_at=row.occurred_at,
        received_at=row.received_at,
    )


_OPERATION_COLUMNS = list(payment_operations.c)
# The payment's columns, labelled so they sit beside the operation's in one joined row.
_PAYMENT_LABELS = [column.label(f"p_{column.name}") for column in payments.c]


class _Prefixed:
    """A row's ``p_``-labelled columns seen under their own names."""

    def __init__(self, row: Any) -> None:
        self._mapping = row._mapping

    def __getattr__(self, name: str) -> Any:
        return self._mapping[f"p_{name}"]


class SqlPaymentRepository:
    """Payments and their operations; every decision that races is one conditional statement or a row lock."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, payment_id: str) -> Payment | None:
        if not is_valid_id(payment_id):
            return None
        row = (await self._session.execute(select(payments).where(payments.c.payment_id == payment_id))).first()
        return _payment(row) if row is not None else None

    async def lock(self, payment_id: str) -> Payment | None:
        if not is_valid_id(payment_id):
            return None
        statement = select(payments).where(payments.c.payment_id == payment_id).with_for_update()
        row = (await self._session.execute(statement)).first()
        return _payment(row) if row is not None else None

    async def add(self, payment: Payment) -> None:
        await self._session.execute(
            insert(payments).values(
                payment_id=payment.payment_id,
                order_id=payment.order_id,
                currency=payment.amount.currency,
                amount_minor=payment.amount.amount_minor,
                provider=payment.provider,
                created_at=payment.created_at,
                **_payment_values(payment),
            )
        )

    async def save(self, payment: Payment) -> None:
        await self._session.execute(
            update(payments).where(payments.c.payment_id == payment.payment_id).values(**_payment_values(payment))
        )

    async def list_by_order(self, order_id: str, *, after: tuple[datetime, str] | None, limit: int) -> list[Payment]:
        statement = select(payments).where(payments.c.order_id == order_id)
        if after is not None:
            position = tuple_(*after, types=[payments.c.created_at.type, payments.c.payment_id.type])
            statement = statement.where(tuple_(payments.c.created_at, payments.c.payment_id) > position)
        statement = statement.order_by(payments.c.created_at, payments.c.payment_id).limit(limit)
        return [_payment(row) for row in await self._session.execute(statement)]

    async def refunds_of(self, payment_ids: Sequence[str]) -> dict[str, list[Operation]]:
        statement = (
            select(payment_operations)
            .where(
                payment_operations.c.payment_id.in_(list(payment_ids)),
                payment_operations.c.kind == OperationKind.REFUND.value,
            )
            .order_by(
                payment_operations.c.payment_id, payment_operations.c.created_at, payment_operations.c.operation_id
            )
        )
        found: dict[str, list[Operation]] = {}
        for row in await self._session.execute(statement):
            found.setdefault(row.payment_id, []).append(_operation(row))
        return found

    async def add_operation(self, operation: Operation) -> bool:
        # No conflict target: a clash on the request id or on the one-capture-or-void-in-flight index both
        # leave the row out; the caller tells them apart by looking the request id up.
        statement = (
            pg_insert(payment_operations)
            .values(
                operation_id=operation.operation_id,
                payment_id=operation.payment_id,
                kind=operation.kind.value,
                request_id=operation.request_id,
                fingerprint=operation.fingerprint,
                currency=operation.amount.currency,
                amount_minor=operation.amount.amount_minor,
                status=operation.status.value,
                reason=operation.reason,
                provider_reference=operation.provider_reference,
                failure_reason=operation.failure_reason,
                created_at=operation.created_at,
                updated_at=operation.updated_at,
            )
            .on_conflict_do_nothing()
            .returning(payment_operations.c.operation_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def operation_by_request(self, request_id: str) -> Operation | None:
        statement = select(payment_operations).where(payment_operations.c.request_id == request_id)
        row = (await self._session.execute(statement)).first()
        return _operation(row) if row is not None else None

    async def operation(self, operation_id: str) -> Operation | None:
        if not is_valid_id(operation_id):
            return None
        statement = select(payment_operations).where(payment_operations.c.operation_id == operation_id)
        row = (await self._session.execute(statement)).first()
        return _operation(row) if row is not None else None

    async def authorization_of(self, payment_id: str) -> Operation | None:
        # An authorization's operation id is its payment id (the reference the provider knows it by).
        operation = await self.operation(payment_id)
        return operation if operation is not None and operation.kind is OperationKind.AUTHORIZE else None

    async def save_operation(self, operation: Operation) -> None:
        await self._session.execute(
            update(payment_operations)
            .where(payment_operations.c.operation_id == operation.operation_id)
            .values(
                status=operation.status.value,
                provider_reference=operation.provider_reference,
                failure_reason=operation.failure_reason,
                updated_at=operation.updated_at,
            )
        )

    async def lock_for_settlement(self, operation_id: str) -> tuple[Payment, Operation] | None:
        if not is_valid_id(operation_id):
            return None
        statement = (
            select(*_OPERATION_COLUMNS, *_PAYMENT_LABELS)
            .select_from(payment_operations.join(payments))
            .where(payment_operations.c.operation_id == operation_id)
            # Lock both rows: after waiting for a concurrent settlement, PostgreSQL re-reads only the locked
            # rows, so locking the payment alone would pair its new state with the operation's stale one.
            .with_for_update(of=[payments, payment_operations])
        )
        row = (await self._session.execute(statement)).first()
        if row is None:
            return None
        return _payment(_Prefixed(row)), _operation(row)

    async def reserve_refund(self, payment_id: str, amount: Money, now: datetime) -> Payment | None:
        if not is_valid_id(payment_id):
            return None
        # The decision of every refund race: one conditional update, so two refunds whose sum exceeds
        # the capture cannot both pass (the second sees the first's reservation or waits for its row lock).
        statement = (
            update(payments)
            .where(
                payments.c.payment_id == payment_id,
                payments.c.status.in_([status.value for status in REFUNDABLE]),
                payments.c.currency == amount.currency,
                payments.c.captured_minor - payments.c.refunded_minor - payments.c.refund_pending_minor
                >= amount.amount_minor,
            )
            .values(refund_pending_minor=payments.c.refund_pending_minor + amount.amount_minor, updated_at=now)
            .returning(*payments.c)
        )
        row = (await self._session.execute(statement)).first()
        return _payment(row) if row is not None else None

    async def pending_operations(self, *, created_before: datetime, limit: int) -> list[tuple[Operation, str]]:
        statement = (
            select(*_OPERATION_COLUMNS, payments.c.provider)
            .select_from(payment_operations.join(payments))
            .where(
                payment_operations.c.status == OperationStatus.PENDING.value,
                payment_operations.c.created_at < created_before,
            )
            .order_by(payment_operations.c.created_at)
            .limit(limit)
        )
        return [(_operation(row), row.provider) for row in await self._session.execute(statement)]


class SqlCallbackRepository:
    """Stored provider notifications (deduplicated by their event id) and the durable retry schedule."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, callback: ProviderCallback) -> bool:
        statement = (
            pg_insert(provider_callbacks)
            .values(
                callback_id=callback.callback_id,
                provider=callback.provider,
                provider_event_id=callback.provider_event_id,
                callback_type=callback.callback_type.value,
                payment_reference=callback.payment_reference,
                provider_reference=callback.provider_reference,
                refund_reference=callback.refund_reference,
                currency=callback.amount.currency,
                amount_minor=callback.amount.amount_minor,
                occurred_at=callback.occurred_at,
                received_at=callback.received_at,
                status=CallbackStatus.RECEIVED.value,
                attempts=0,
                last_error="",
            )
            .on_conflict_do_nothing(index_elements=["provider", "provider_event_id"])
            .returning(provider_callbacks.c.callback_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def finish(
        self, callback_id: str, status: CallbackStatus, *, attempts: int, error: str, now: datetime
    ) -> None:
        await self._session.execute(
            update(provider_callbacks)
            .where(provider_callbacks.c.callback_id == callback_id)
            .values(status=status.value, attempts=attempts, last_error=error, processed_at=now)
        )
        await self._session.execute(delete(callback_retries).where(callback_retries.c.callback_id == callback_id))

    async def schedule_retry(self, callback_id: str, *, attempts: int, at: datetime, error: str) -> None:
        await self._session.execute(
            update(provider_callbacks)
            .where(provider_callbacks.c.callback_id == callback_id)
            .values(status=CallbackStatus.RETRYING.value, attempts=attempts, last_error=error)
        )
        upsert = pg_insert(callback_retries).values(callback_id=callback_id, attempts=attempts, next_attempt_at=at)
        await self._session.execute(
            upsert.on_conflict_do_update(
                index_elements=["callback_id"],
                set_={"attempts": upsert.excluded.attempts, "next_attempt_at": upsert.excluded.next_attempt_at},
            )
        )

    async def due(self, now: datetime, limit: int) -> list[tuple[ProviderCallback, int]]:
        statement = (
            select(provider_callbacks, callback_retries.c.attempts.label("retry_attempts"))
            .select_from(
                callback_retries.join(
                    provider_callbacks, and_(provider_callbacks.c.callback_id == callback_retries.c.callback_id)
                )
            )
            .where(callback_retries.c.next_attempt_at <= now)
            .order_by(callback_retries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(of=callback_retries, skip_locked=True)
        )
        return [(_callback(row), row.retry_attempts) for row in await self._session.execute(statement)]

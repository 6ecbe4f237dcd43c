"""PostgreSQL repositories of refunds, the refund ledger and order exceptions (SQLAlchemy Core).

Every decision that races is one conditional statement or a row lock: the ledger's reservation is a
single conditional UPDATE; state changes lock the refund row; sweeps claim rows with SKIP LOCKED.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.refunds.adapters.tables import order_exceptions, refund_ledgers, refunds
from services.refunds.domain.errors import CurrencyMismatch, RefundExceedsCaptured
from services.refunds.domain.model import OPEN_STATUSES, Refund
from services.refunds.domain.order_exceptions import OrderException, Resolution
from services.refunds.domain.policy import ExceptionEscalation
from services.refunds.domain.values import (
    Actor,
    Approval,
    ExceptionStatus,
    ExceptionType,
    Item,
    OrderType,
    RefundKind,
    RefundReason,
    RefundStatus,
    Responsibility,
    ReturnStatus,
)
from shared.kernel import codec
from shared.kernel.ids import is_valid_id
from shared.kernel.money import Money


def _actor(data: Any) -> Actor | None:
    return None if data is None else Actor(data["subject"], data["role"])


def _plain_actor(actor: Actor | None) -> dict[str, str] | None:
    return None if actor is None else {"subject": actor.subject, "role": actor.role}


def _items(data: Any) -> tuple[Item, ...]:
    return tuple(Item(entry["sku"], entry["quantity"]) for entry in data)


def _plain_items(items: Sequence[Item]) -> list[dict[str, Any]]:
    return [{"sku": item.sku, "quantity": item.quantity} for item in items]


def _refund(row: Any) -> Refund:
    currency = row.currency
    return Refund(
        refund_id=row.refund_id,
        order_id=row.order_id,
        payment_id=row.payment_id,
        kind=RefundKind(row.kind),
        reason=RefundReason(row.reason),
        order_type=OrderType(row.order_type),
        status=RefundStatus(row.status),
        return_status=ReturnStatus(row.return_status),
        items=_items(row.items),
        amount=Money(row.amount_minor, currency),
        shipping_fee=Money(row.shipping_fee_minor, currency),
        shipping_refund=Money(row.shipping_refund_minor, currency),
        shipping_rule=row.shipping_rule,
        captured=Money(row.captured_minor, currency),
        already_refunded=Money(row.already_refunded_minor, currency),
        description=row.description,
        requested_by=Actor(row.requested_by_subject, row.requested_by_role),
        policy_version=row.policy_version,
        required_roles=tuple(row.required_roles),
        requested_at=row.requested_at,
        due_at=row.due_at,
        decision_due_at=row.decision_due_at,
        updated_at=row.updated_at,
        approvals=codec.from_plain(tuple[Approval, ...], row.approvals),
        rejection_reason=row.rejection_reason,
        rejected_by=_actor(row.rejected_by),
        return_received_by=_actor(row.return_received_by),
        return_received_at=row.return_received_at,
        return_notes=row.return_notes,
        qc_by=_actor(row.qc_by),
        qc_at=row.qc_at,
        qc_notes=row.qc_notes,
        saga_id=row.saga_id,
        payment_refund_id=row.payment_refund_id,
        failure_reason=row.failure_reason,
        exception_id=row.exception_id,
        escalated_at=row.escalated_at,
        overdue_at=row.overdue_at,
        completed_at=row.completed_at,
    )


def _refund_changes(refund: Refund) -> dict[str, Any]:
    """The columns a transition may change."""
    return {
        "status": refund.status.value,
        "return_status": refund.return_status.value,
        "approvals": codec.to_plain(refund.approvals),
        "rejection_reason": refund.rejection_reason,
        "rejected_by": _plain_actor(refund.rejected_by),
        "return_received_by": _plain_actor(refund.return_received_by),
        "return_received_at": refund.return_received_at,
        "return_notes": refund.return_notes,
        "qc_by": _plain_actor(refund.qc_by),
        "qc_at": refund.qc_at,
        "qc_notes": refund.qc_notes,
        "saga_id": refund.saga_id,
        "payment_refund_id": refund.payment_refund_id,
        "failure_reason": refund.failure_reason,
        "escalated_at": refund.escalated_at,
        "overdue_at": refund.overdue_at,
        "completed_at": refund.completed_at,
        "updated_at": refund.updated_at,
    }


class SqlRefundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, refund_id: str) -> Refund | None:
        if not is_valid_id(refund_id):
            return None
        row = (await self._session.execute(select(refunds).where(refunds.c.refund_id == refund_id))).first()
        return _refund(row) if row is not None else None

    async def lock(self, refund_id: str) -> Refund | None:
        if not is_valid_id(refund_id):
            return None
        statement = select(refunds).where(refunds.c.refund_id == refund_id).with_for_update()
        row = (await self._session.execute(statement)).first()
        return _refund(row) if row is not None else None

    async def add(self, refund: Refund) -> None:
        await self._session.execute(
            refunds.insert().values(
                refund_id=refund.refund_id,
                order_id=refund.order_id,
                payment_id=refund.payment_id,
                kind=refund.kind.value,
                reason=refund.reason.value,
                order_type=refund.order_type.value,
                items=_plain_items(refund.items),
                currency=refund.amount.currency,
                amount_minor=refund.amount.amount_minor,
                shipping_fee_minor=refund.shipping_fee.amount_minor,
                shipping_refund_minor=refund.shipping_refund.amount_minor,
                shipping_rule=refund.shipping_rule,
                captured_minor=refund.captured.amount_minor,
                already_refunded_minor=refund.already_refunded.amount_minor,
                description=refund.description,
                requested_by_subject=refund.requested_by.subject,
                requested_by_role=refund.requested_by.role,
                policy_version=refund.policy_version,
                required_roles=list(refund.required_roles),
                exception_id=refund.exception_id,
                requested_at=refund.requested_at,
                due_at=refund.due_at,
                decision_due_at=refund.decision_due_at,
                **_refund_changes(refund),
            )
        )

    async def save(self, refund: Refund) -> None:
        await self._session.execute(
            update(refunds).where(refunds.c.refund_id == refund.refund_id).values(**_refund_changes(refund))
        )

    async def list(self, *, order_id: str, status: RefundStatus | None, after: str, limit: int) -> list[Refund]:
        statement = select(refunds).order_by(refunds.c.refund_id).limit(limit)
        if order_id:
            statement = statement.where(refunds.c.order_id == order_id)
        if status is not None:
            statement = statement.where(refunds.c.status == status.value)
        if after:
            statement = statement.where(refunds.c.refund_id > after)
        return [_refund(row) for row in await self._session.execute(statement)]

    async def _claim(self, condition: Any, order: Any, changes: dict[str, Any], limit: int) -> list[Refund]:
        # SKIP LOCKED: a row a transition holds now is left for the next sweep instead of blocking this one.
        candidates = (
            select(refunds.c.refund_id).where(condition).order_by(order).limit(limit).with_for_update(skip_locked=True)
        )
        statement = (
            update(refunds)
            .where(refunds.c.refund_id.in_(candidates.scalar_subquery()), condition)
            .values(**changes)
            .returning(*refunds.c)
        )
        return [_refund(row) for row in await self._session.execute(statement)]

    async def claim_undecided(self, now: datetime, limit: int) -> list[Refund]:
        condition = (
            (refunds.c.status == RefundStatus.PENDING_APPROVAL.value)
            & refunds.c.escalated_at.is_(None)
            & (refunds.c.decision_due_at <= now)
        )
        return await self._claim(condition, refunds.c.decision_due_at, {"escalated_at": now}, limit)

    async def claim_overdue(self, now: datetime, limit: int) -> list[Refund]:
        condition = (
            refunds.c.status.in_([status.value for status in OPEN_STATUSES])
            & refunds.c.overdue_at.is_(None)
            & (refunds.c.due_at <= now)
        )
        return await self._claim(condition, refunds.c.due_at, {"overdue_at": now}, limit)


class SqlLedgerRepository:
    """One row per order: captured (as reported), reserved by open + completed refunds, completed, reported refunded."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reserve(self, order_id: str, captured: Money, reported_refunded: Money, total: Money) -> None:
        ledger = refund_ledgers.c
        # Learn what the caller knows (amounts only grow); a ledger in another currency is left untouched.
        merge = pg_insert(refund_ledgers).values(
            order_id=order_id,
            currency=captured.currency,
            captured_minor=captured.amount_minor,
            reserved_minor=0,
            completed_minor=0,
            reported_refunded_minor=reported_refunded.amount_minor,
            updated_at=func.now(),
        )
        merge = merge.on_conflict_do_update(
            index_elements=[ledger.order_id],
            set_={
                "captured_minor": func.greatest(ledger.captured_minor, merge.excluded.captured_minor),
                "reported_refunded_minor": func.greatest(
                    ledger.reported_refunded_minor, merge.excluded.reported_refunded_minor
                ),
            },
            where=ledger.currency == merge.excluded.currency,
        ).returning(ledger.currency)
        if (await self._session.execute(merge)).first() is None:
            existing = await self._session.scalar(select(ledger.currency).where(ledger.order_id == order_id))
            raise CurrencyMismatch("amount", str(existing), captured.currency)
        # Refunds made outside this service: what the payment reports refunded beyond our completed ones.
        external = func.greatest(ledger.reported_refunded_minor - ledger.completed_minor, 0)
        reserved = await self._session.execute(
            update(refund_ledgers)
            .where(
                ledger.order_id == order_id,
                ledger.reserved_minor + external + total.amount_minor <= ledger.captured_minor,
            )
            .values(reserved_minor=ledger.reserved_minor + total.amount_minor, updated_at=func.now())
            .returning(ledger.order_id)
        )
        if reserved.first() is None:
            refundable = await self._session.scalar(
                select(ledger.captured_minor - ledger.reserved_minor - external).where(ledger.order_id == order_id)
            )
            raise RefundExceedsCaptured(order_id, total.amount_minor, int(refundable or 0))

    async def release(self, order_id: str, total: Money) -> None:
        await self._session.execute(
            update(refund_ledgers)
            .where(refund_ledgers.c.order_id == order_id)
            .values(reserved_minor=refund_ledgers.c.reserved_minor - total.amount_minor, updated_at=func.now())
        )

    async def settle(self, order_id: str, total: Money) -> None:
        await self._session.execute(
            update(refund_ledgers)
            .where(refund_ledgers.c.order_id == order_id)
            .values(completed_minor=refund_ledgers.c.completed_minor + total.amount_minor, updated_at=func.now())
        )


def _exception(row: Any) -> OrderException:
    return OrderException(
        exception_id=row.exception_id,
        order_id=row.order_id,
        type=ExceptionType(row.type),
        responsibility=Responsibility(row.responsibility),
        status=ExceptionStatus(row.status),
        description=row.description,
        items=_items(row.items),
        raised_by=Actor(row.raised_by_subject, row.raised_by_role),
        raised_at=row.raised_at,
        updated_at=row.updated_at,
        escalation_level=row.escalation_level,
        escalated_at=row.escalated_at,
        resolution=None if row.resolution is None else codec.from_plain(Resolution, row.resolution),
    )


def _exception_changes(exception: OrderException) -> dict[str, Any]:
    resolution = exception.resolution
    return {
        "responsibility": exception.responsibility.value,
        "status": exception.status.value,
        "escalation_level": exception.escalation_level,
        "escalated_at": exception.escalated_at,
        "remedy": None if resolution is None else resolution.remedy.value,
        "resolution": None if resolution is None else codec.to_plain(resolution),
        "updated_at": exception.updated_at,
    }


class SqlExceptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_by_level(self) -> dict[int, int]:
        statement = (
            select(order_exceptions.c.escalation_level, func.count())
            .where(order_exceptions.c.status == ExceptionStatus.OPEN.value)
            .group_by(order_exceptions.c.escalation_level)
        )
        return {level: count for level, count in (await self._session.execute(statement)).all()}

    async def lock(self, exception_id: str) -> OrderException | None:
        if not is_valid_id(exception_id):
            return None
        statement = select(order_exceptions).where(order_exceptions.c.exception_id == exception_id).with_for_update()
        row = (await self._session.execute(statement)).first()
        return _exception(row) if row is not None else None

    async def add(self, exception: OrderException) -> None:
        await self._session.execute(
            order_exceptions.insert().values(
                exception_id=exception.exception_id,
                order_id=exception.order_id,
                type=exception.type.value,
                description=exception.description,
                items=_plain_items(exception.items),
                raised_by_subject=exception.raised_by.subject,
                raised_by_role=exception.raised_by.role,
                raised_at=exception.raised_at,
                **_exception_changes(exception),
            )
        )

    async def save(self, exception: OrderException) -> None:
        await self._session.execute(
            update(order_exceptions)
            .where(order_exceptions.c.exception_id == exception.exception_id)
            .values(**_exception_changes(exception))
        )

    async def list(
        self, *, order_id: str, status: ExceptionStatus | None, after: str, limit: int
    ) -> list[OrderException]:
        table = order_exceptions.c
        statement = select(order_exceptions).order_by(table.exception_id).limit(limit)
        if order_id:
            statement = statement.where(table.order_id == order_id)
        if status is not None:
            statement = statement.where(table.status == status.value)
        if after:
            statement = statement.where(table.exception_id > after)
        return [_exception(row) for row in await self._session.execute(statement)]

    async def claim_escalations(
        self, now: datetime, escalation: ExceptionEscalation, limit: int
    ) -> list[OrderException]:
        table = order_exceptions.c
        # The level the exception's age has reached; one that missed a sweep jumps straight to it (one alert).
        reached = case(
            *[
                (table.raised_at <= now - level.after, number)
                for number, level in reversed(list(enumerate(escalation.levels, start=1)))
            ],
            else_=0,
        )
        condition = (table.status == ExceptionStatus.OPEN.value) & (table.escalation_level < reached)
        candidates = (
            select(table.exception_id)
            .where(condition)
            .order_by(table.raised_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(order_exceptions)
            .where(table.exception_id.in_(candidates.scalar_subquery()), condition)
            .values(escalation_level=reached, escalated_at=now)
            .returning(*order_exceptions.c)
        )
        return [_exception(row) for row in await self._session.execute(statement)]

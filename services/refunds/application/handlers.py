"""The refunds use cases: each runs in one transaction, idempotent on its request id, events via the outbox."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from services.refunds.application import pagination
from services.refunds.application.commands import (
    ApproveRefund,
    ExceptionPage,
    ExceptionResolution,
    ListExceptions,
    ListRefunds,
    MarkRefundCompleted,
    MarkRefundExecuting,
    MarkRefundFailed,
    RaiseException,
    ReceiveReturn,
    RecordQc,
    RefundPage,
    RejectRefund,
    RequestRefund,
    ResolveException,
)
from services.refunds.application.ports import Clock, IdFactory, RefundsConfig, RefundsUnitOfWork
from services.refunds.domain.errors import ExceptionNotFound, RefundNotFound
from services.refunds.domain.events import RefundEvent
from services.refunds.domain.model import RELEASING_STATUSES, Refund, RefundSpec
from services.refunds.domain.order_exceptions import OrderException
from services.refunds.domain.values import Actor, RefundStatus, checked_id
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id
from shared.metrics import observe_refund_latency

RefundChange = Callable[[Refund], tuple[Refund, list[RefundEvent]]]


# Requests.


async def _open_refund(
    uow: RefundsUnitOfWork,
    spec: RefundSpec,
    actor: Actor,
    config: RefundsConfig,
    clock: Clock,
    ids: IdFactory,
    *,
    exception_id: str = "",
    field_prefix: str = "",
) -> Refund:
    refund, found = Refund.open(
        spec,
        config.policies,
        refund_id=ids(),
        requested_by=actor,
        now=clock(),
        exception_id=exception_id,
        field_prefix=field_prefix,
    )
    # The ledger decides, in one conditional update, whether this total still fits under the capture.
    await uow.ledgers.reserve(refund.order_id, refund.captured, refund.already_refunded, refund.total)
    await uow.refunds.add(refund)
    uow.publish(*found)
    return refund


async def request_refund(
    cmd: RequestRefund, uow: RefundsUnitOfWork, config: RefundsConfig, clock: Clock, ids: IdFactory = new_id
) -> Refund:
    async with uow:
        if (previous := await uow.replay(cmd, Refund)) is not None:
            return previous
        refund = await _open_refund(uow, cmd.spec, cmd.actor, config, clock, ids)
        await uow.remember(cmd, refund)
        await uow.commit()
    return refund


# Changes of one refund.


async def _change_refund(
    cmd: ApproveRefund
    | RejectRefund
    | ReceiveReturn
    | RecordQc
    | MarkRefundExecuting
    | MarkRefundCompleted
    | MarkRefundFailed,
    uow: RefundsUnitOfWork,
    change: RefundChange,
) -> Refund:
    """Lock the refund, apply ``change``, keep the ledger in step with the new status, publish, remember."""
    async with uow:
        if (previous := await uow.replay(cmd, Refund)) is not None:
            return previous
        refund_id = checked_id(cmd.refund_id, "refund_id")
        current = await uow.refunds.lock(refund_id)
        if current is None:
            raise RefundNotFound(refund_id)
        changed, found = change(current)
        if changed != current:
            await uow.refunds.save(changed)
        if changed.status in RELEASING_STATUSES and current.status not in RELEASING_STATUSES:
            await uow.ledgers.release(changed.order_id, changed.total)
        elif changed.status is RefundStatus.COMPLETED and current.status is not RefundStatus.COMPLETED:
            await uow.ledgers.settle(changed.order_id, changed.total)
        uow.publish(*found)
        await uow.remember(cmd, changed)
        await uow.commit()
    if changed.status is RefundStatus.COMPLETED and current.status is not RefundStatus.COMPLETED:
        # Only once committed, so a rolled-back completion is not counted; a replay returned above, so a
        # completion is counted once however often the saga repeats it.
        _observe_completion(changed)
    return changed


def _observe_completion(refund: Refund) -> None:
    """The refund latency from request to the money going back, by type (the SLA is per type)."""
    if refund.completed_at is not None:
        observe_refund_latency(refund.kind.value.lower(), refund.requested_at, refund.completed_at)


async def approve_refund(cmd: ApproveRefund, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    return await _change_refund(cmd, uow, lambda refund: refund.approve(cmd.actor, cmd.comment, clock()))


async def reject_refund(cmd: RejectRefund, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    return await _change_refund(cmd, uow, lambda refund: refund.reject(cmd.actor, cmd.reason, clock()))


async def receive_return(cmd: ReceiveReturn, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    return await _change_refund(cmd, uow, lambda refund: (refund.receive_return(cmd.actor, cmd.notes, clock()), []))


async def record_qc(cmd: RecordQc, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    passed = cmd.passed
    if passed is None:
        raise InvalidArgument.field("result", "is required (PASSED or FAILED)")
    return await _change_refund(cmd, uow, lambda refund: refund.record_qc(cmd.actor, passed, cmd.notes, clock()))


async def mark_refund_executing(cmd: MarkRefundExecuting, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    return await _change_refund(cmd, uow, lambda refund: (refund.start_execution(cmd.saga_id, clock()), []))


async def mark_refund_completed(cmd: MarkRefundCompleted, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    return await _change_refund(cmd, uow, lambda refund: refund.complete(cmd.payment_refund_id, clock()))


async def mark_refund_failed(cmd: MarkRefundFailed, uow: RefundsUnitOfWork, clock: Clock) -> Refund:
    return await _change_refund(cmd, uow, lambda refund: refund.fail(cmd.reason, clock()))


# Queries of refunds.


async def get_refund(refund_id: str, uow: RefundsUnitOfWork) -> Refund:
    checked = checked_id(refund_id, "refund_id")
    async with uow:
        refund = await uow.refunds.get(checked)
    if refund is None:
        raise RefundNotFound(checked)
    return refund


def _filter_key(order_id: str, status: object) -> str:
    return f"{order_id}|{getattr(status, 'value', '')}"


async def list_refunds(query: ListRefunds, uow: RefundsUnitOfWork) -> RefundPage:
    order_id = checked_id(query.order_id, "order_id") if query.order_id else ""
    size = pagination.page_size(query.page_size)
    key = _filter_key(order_id, query.status)
    after = pagination.decode(query.page_token, key)
    async with uow:
        found = list(await uow.refunds.list(order_id=order_id, status=query.status, after=after, limit=size + 1))
    page, more = found[:size], len(found) > size
    return RefundPage(tuple(page), pagination.encode(page[-1].refund_id, key) if more else "")


# Exceptions.


async def raise_exception(
    cmd: RaiseException, uow: RefundsUnitOfWork, clock: Clock, ids: IdFactory = new_id
) -> OrderException:
    async with uow:
        if (previous := await uow.replay(cmd, OrderException)) is not None:
            return previous
        exception, found = OrderException.record(
            exception_id=ids(),
            order_id=cmd.order_id,
            type=cmd.type,
            responsibility=cmd.responsibility,
            description=cmd.description,
            items=cmd.items,
            raised_by=cmd.actor,
            now=clock(),
        )
        await uow.exceptions.add(exception)
        uow.publish(*found)
        await uow.remember(cmd, exception)
        await uow.commit()
    return exception


async def resolve_exception(
    cmd: ResolveException, uow: RefundsUnitOfWork, config: RefundsConfig, clock: Clock, ids: IdFactory = new_id
) -> ExceptionResolution:
    """Resolve with one remedy; a refund remedy opens its refund in the same transaction, so both or neither."""
    remedies = [r for r in (cmd.reship, cmd.refund, cmd.gift) if r is not None]
    if len(remedies) != 1:
        raise InvalidArgument.field("remedy", "exactly one of reship, refund or gift is required")
    async with uow:
        if (previous := await uow.replay(cmd, ExceptionResolution)) is not None:
            return previous
        exception_id = checked_id(cmd.exception_id, "exception_id")
        exception = await uow.exceptions.lock(exception_id)
        if exception is None:
            raise ExceptionNotFound(exception_id)
        exception.ensure_open()
        refund: Refund | None = None
        if cmd.refund is not None:
            spec = dataclasses.replace(cmd.refund, order_id=exception.order_id)
            refund = await _open_refund(
                uow, spec, cmd.actor, config, clock, ids, exception_id=exception_id, field_prefix="refund."
            )
            resolved, found = exception.resolve_by_refund(
                refund_id=refund.refund_id,
                responsibility=cmd.responsibility,
                note=cmd.note,
                resolver=cmd.actor,
                now=clock(),
            )
        elif cmd.reship is not None:
            resolved, found = exception.resolve_by_reship(
                items=cmd.reship.items,
                warehouse_id=cmd.reship.warehouse_id,
                task_id=ids(),
                responsibility=cmd.responsibility,
                note=cmd.note,
                resolver=cmd.actor,
                now=clock(),
            )
        else:
            assert cmd.gift is not None
            resolved, found = exception.resolve_by_gift(
                gift=cmd.gift, responsibility=cmd.responsibility, note=cmd.note, resolver=cmd.actor, now=clock()
            )
        await uow.exceptions.save(resolved)
        uow.publish(*found)
        result = ExceptionResolution(resolved, refund)
        await uow.remember(cmd, result)
        await uow.commit()
    return result


async def list_exceptions(query: ListExceptions, uow: RefundsUnitOfWork) -> ExceptionPage:
    order_id = checked_id(query.order_id, "order_id") if query.order_id else ""
    size = pagination.page_size(query.page_size)
    key = _filter_key(order_id, query.status)
    after = pagination.decode(query.page_token, key)
    async with uow:
        found = list(await uow.exceptions.list(order_id=order_id, status=query.status, after=after, limit=size + 1))
    page, more = found[:size], len(found) > size
    return ExceptionPage(tuple(page), pagination.encode(page[-1].exception_id, key) if more else "")

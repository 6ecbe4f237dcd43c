"""The periodic sweep: escalate undecided refunds, flag overdue ones, escalate unresolved order exceptions.

Each pass claims a batch with one conditional update (so two replicas never alert twice for the same row)
and writes the alerts to the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.refunds.application.ports import Clock, RefundsConfig, RefundsUnitOfWork
from shared.metrics import EXCEPTIONS_OPEN, record_sla_breach

# SLA breach kinds of shared.metrics.SLA_BREACHES this service records.
REFUND_OVERDUE = "refund_overdue"
EXCEPTION_UNHANDLED = "exception_unhandled"
EXCEPTION_UNRESOLVED = "exception_unresolved"

# Batches per job and sweep, so one sweep of a large backlog still yields to the rest of the process.
MAX_BATCHES = 20


@dataclass(frozen=True)
class SweepReport:
    escalated_refunds: int = 0
    overdue_refunds: int = 0
    escalated_exceptions: int = 0


async def escalate_undecided_refunds(uow: RefundsUnitOfWork, clock: Clock, config: RefundsConfig) -> int:
    now = clock()
    async with uow:
        claimed = await uow.refunds.claim_undecided(now, config.sweep_batch_size)
        uow.publish(*(refund.escalation_event(now) for refund in claimed))
        await uow.commit()
    return len(claimed)


async def flag_overdue_refunds(uow: RefundsUnitOfWork, clock: Clock, config: RefundsConfig) -> int:
    now = clock()
    async with uow:
        claimed = await uow.refunds.claim_overdue(now, config.sweep_batch_size)
        uow.publish(*(refund.overdue_event(now) for refund in claimed))
        await uow.commit()
    # Counted after the commit: the claim marks each refund overdue once, so a breach is counted once.
    for _ in claimed:
        record_sla_breach(REFUND_OVERDUE)
    return len(claimed)


async def escalate_exceptions(uow: RefundsUnitOfWork, clock: Clock, config: RefundsConfig) -> int:
    now = clock()
    escalation = config.exception_escalation
    async with uow:
        claimed = await uow.exceptions.claim_escalations(now, escalation, config.sweep_batch_size)
        uow.publish(
            *(
                exception.escalation_event(
                    exception.escalation_level, escalation.role_of(exception.escalation_level), now
                )
                for exception in claimed
            )
        )
        await uow.commit()
    for exception in claimed:
        record_sla_breach(exception_breach_kind(exception.escalation_level))
    return len(claimed)


def exception_breach_kind(level: int) -> str:
    """Level 1 is the first deadline (unhandled after 2 h); any later level means still unresolved (24 h)."""
    return EXCEPTION_UNHANDLED if level <= 1 else EXCEPTION_UNRESOLVED


async def sweep(unit_of_work: Callable[[], RefundsUnitOfWork], clock: Clock, config: RefundsConfig) -> SweepReport:
    """One pass of every job, each repeated while it fills whole batches."""

    async def drain(job: Callable[[RefundsUnitOfWork, Clock, RefundsConfig], Awaitable[int]]) -> int:
        done = 0
        for _ in range(MAX_BATCHES):
            claimed = await job(unit_of_work(), clock, config)
            done += claimed
            if claimed < config.sweep_batch_size:
                break
        return done

    report = SweepReport(
        escalated_refunds=await drain(escalate_undecided_refunds),
        overdue_refunds=await drain(flag_overdue_refunds),
        escalated_exceptions=await drain(escalate_exceptions),
    )
    async with unit_of_work() as uow:
        open_now = await uow.exceptions.open_by_level()
    for level in range(len(config.exception_escalation.levels) + 1):
        EXCEPTIONS_OPEN.labels(str(level)).set(open_now.get(level, 0))
    return report

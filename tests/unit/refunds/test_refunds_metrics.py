"""Refunds feed the suite's metrics: latency once per completed refund, SLA breaches once per overdue alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from services.refunds.application import handlers
from services.refunds.application.commands import (
    ApproveRefund,
    MarkRefundCompleted,
    MarkRefundExecuting,
    RaiseException,
    RequestRefund,
)
from services.refunds.application.ports import RefundsConfig
from services.refunds.application.sweepers import exception_breach_kind, sweep
from services.refunds.domain.model import RefundSpec
from services.refunds.domain.values import (
    Actor,
    ExceptionType,
    OrderType,
    RefundKind,
    RefundReason,
    Responsibility,
)
from shared.kernel.errors import FailedPrecondition, InvalidArgument
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.unit.refunds.refunds_fakes import FakeUnitOfWork, State

REQUESTED = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
AGENT = Actor("agent-7", "customer_service")
SUPERVISOR = Actor("sup-1", "cs_supervisor")
CONFIG = RefundsConfig()


def latency(refund_type: str) -> tuple[float, float]:
    """(count, sum) of the refund latency histogram for one type."""
    labels = {"refund_type": refund_type}
    count = REGISTRY.get_sample_value("oms_refund_latency_seconds_count", labels) or 0.0
    total = REGISTRY.get_sample_value("oms_refund_latency_seconds_sum", labels) or 0.0
    return count, total


def breaches(kind: str) -> float:
    return REGISTRY.get_sample_value("oms_sla_breaches_total", {"kind": kind}) or 0.0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def executing_compensation(state: State, clock: Clock) -> str:
    """A 30.00 compensation refund requested at REQUESTED, approved and taken by an execution saga."""
    spec = RefundSpec(
        order_id=new_id(),
        payment_id=new_id(),
        kind=RefundKind.COMPENSATION,
        reason=RefundReason.PRICE_ADJUSTMENT,
        order_type=OrderType.REGULAR,
        captured=Money(10_000, "CNY"),
        already_refunded=Money(0, "CNY"),
        items=(),
        amount=Money(3_000, "CNY"),
        shipping_fee=Money(0, "CNY"),
    )
    refund = await handlers.request_refund(RequestRefund(new_id(), spec, AGENT), FakeUnitOfWork(state), CONFIG, clock)
    await handlers.approve_refund(
        ApproveRefund(new_id(), refund.refund_id, "", SUPERVISOR), FakeUnitOfWork(state), clock
    )
    await handlers.mark_refund_executing(
        MarkRefundExecuting(new_id(), refund.refund_id, f"saga-{refund.refund_id}"), FakeUnitOfWork(state), clock
    )
    return refund.refund_id


async def test_a_completed_refund_observes_its_latency_once() -> None:
    state, clock = State(), Clock(REQUESTED)
    refund_id = await executing_compensation(state, clock)
    count, total = latency("compensation")
    clock.now = REQUESTED + timedelta(hours=5, seconds=30)
    complete = MarkRefundCompleted(new_id(), refund_id, "pr-1")
    await handlers.mark_refund_completed(complete, FakeUnitOfWork(state), clock)
    assert latency("compensation") == (count + 1, total + 5 * 3600 + 30)

    # The saga repeating its call (same request id, or a new one with the same payment refund) counts nothing.
    clock.now += timedelta(hours=1)
    await handlers.mark_refund_completed(complete, FakeUnitOfWork(state), clock)
    await handlers.mark_refund_completed(MarkRefundCompleted(new_id(), refund_id, "pr-1"), FakeUnitOfWork(state), clock)
    assert latency("compensation") == (count + 1, total + 5 * 3600 + 30)


async def test_a_refused_completion_observes_nothing() -> None:
    state, clock = State(), Clock(REQUESTED)
    refund_id = await executing_compensation(state, clock)
    before = latency("compensation")
    with pytest.raises(InvalidArgument):
        await handlers.mark_refund_completed(MarkRefundCompleted(new_id(), refund_id, ""), FakeUnitOfWork(state), clock)
    await handlers.mark_refund_completed(MarkRefundCompleted(new_id(), refund_id, "pr-1"), FakeUnitOfWork(state), clock)
    after_one = latency("compensation")
    # Completing with a different payment refund is an invalid transition: refused, and not counted.
    with pytest.raises(FailedPrecondition):
        await handlers.mark_refund_completed(
            MarkRefundCompleted(new_id(), refund_id, "pr-2"), FakeUnitOfWork(state), clock
        )
    assert after_one[0] == before[0] + 1
    assert latency("compensation") == after_one


async def test_overdue_refunds_and_escalated_exceptions_count_as_sla_breaches_once() -> None:
    state = State()
    await handlers.request_refund(
        RequestRefund(
            new_id(),
            RefundSpec(
                order_id=new_id(),
                payment_id=new_id(),
                kind=RefundKind.PARTIAL,
                reason=RefundReason.PRICE_ADJUSTMENT,
                order_type=OrderType.REGULAR,
                captured=Money(10_000, "CNY"),
                already_refunded=Money(0, "CNY"),
                items=(),
                amount=Money(1_000, "CNY"),
                shipping_fee=Money(0, "CNY"),
            ),
            AGENT,
        ),
        FakeUnitOfWork(state),
        CONFIG,
        Clock(REQUESTED),
    )
    await handlers.raise_exception(
        RaiseException(new_id(), new_id(), ExceptionType.DAMAGED, Responsibility.CARRIER, "破损", (), AGENT),
        FakeUnitOfWork(state),
        Clock(REQUESTED),
    )
    overdue, unhandled, unresolved = (
        breaches("refund_overdue"),
        breaches("exception_unhandled"),
        breaches("exception_unresolved"),
    )

    await sweep(lambda: FakeUnitOfWork(state), Clock(REQUESTED + timedelta(hours=3)), CONFIG)
    assert breaches("exception_unhandled") == unhandled + 1
    assert breaches("refund_overdue") == overdue

    # 72 h is the partial refund's target; the exception passed its second deadline long before.
    await sweep(lambda: FakeUnitOfWork(state), Clock(REQUESTED + timedelta(hours=72)), CONFIG)
    await sweep(lambda: FakeUnitOfWork(state), Clock(REQUESTED + timedelta(hours=80)), CONFIG)
    assert breaches("refund_overdue") == overdue + 1
    assert breaches("exception_unresolved") == unresolved + 1
    assert breaches("exception_unhandled") == unhandled + 1
    # The backlog gauge counts the open exception at the level it has reached, and none below.
    assert REGISTRY.get_sample_value("oms_exceptions_open", {"level": "2"}) == 1
    assert REGISTRY.get_sample_value("oms_exceptions_open", {"level": "0"}) == 0


def test_exception_levels_name_their_breach() -> None:
    assert [exception_breach_kind(level) for level in (1, 2, 3)] == [
        "exception_unhandled",
        "exception_unresolved",
        "exception_unresolved",
    ]

"""The refunds sweeper on real PostgreSQL: undecided refunds escalate, late ones turn overdue, unresolved
exceptions escalate twice, each alert exactly once even with sweeps racing; and the service runs it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import oms_client
import pytest
from oms.common.v1 import common_pb2
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.refunds.v1 import events_pb2, refunds_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.refunds.adapters.unit_of_work import RefundsUnitOfWork
from services.refunds.application import handlers
from services.refunds.application.commands import (
    ApproveRefund,
    MarkRefundCompleted,
    MarkRefundExecuting,
    RaiseException,
    RequestRefund,
    ResolveException,
)
from services.refunds.application.ports import RefundsConfig
from services.refunds.application.sweepers import sweep
from services.refunds.bootstrap import Settings, build
from services.refunds.domain.model import Refund, RefundSpec
from services.refunds.domain.order_exceptions import Gift, OrderException
from services.refunds.domain.values import (
    Actor,
    ExceptionType,
    Item,
    OrderType,
    RefundKind,
    RefundReason,
    Responsibility,
)
from shared.db import create_engine, session_factory
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.harness import running_service
from tests.support import eventually

T0 = datetime(2026, 11, 11, 0, 0, tzinfo=UTC)
AGENT = Actor("agent-7", "customer_service")
SUPERVISOR = Actor("sup-1", "cs_supervisor")
CONFIG = RefundsConfig(sweep_batch_size=3)  # small batches, so a sweep must drain several


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("refunds")


@pytest.fixture(scope="module")
async def settings(database_url: str, redis_url: str, stream_prefix: str) -> Settings:
    return Settings(service_name="refunds", database_url=database_url, redis_url=redis_url, stream_prefix=stream_prefix)


@pytest.fixture(scope="module")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
def uow(engine: AsyncEngine, settings: Settings) -> Callable[[], RefundsUnitOfWork]:
    sessions = session_factory(engine)
    return lambda: RefundsUnitOfWork(sessions, source="refunds", stream=settings.stream_name("refunds"))


def at(delta: timedelta) -> Callable[[], datetime]:
    return lambda: T0 + delta


def spec(**overrides: Any) -> RefundSpec:
    fields: dict[str, Any] = {
        "order_id": new_id(),
        "payment_id": new_id(),
        "kind": RefundKind.FULL_BEFORE_SHIPMENT,
        "reason": RefundReason.QUALITY_PROBLEM,
        "order_type": OrderType.REGULAR,
        "captured": Money(10_000, "CNY"),
        "already_refunded": Money(0, "CNY"),
        "items": (Item("SKU-1", 1),),
        "amount": Money(10_000, "CNY"),
        "shipping_fee": Money(0, "CNY"),
    }
    fields.update(overrides)
    return RefundSpec(**fields)


async def requested(uow: Callable[[], RefundsUnitOfWork], when: timedelta = timedelta(0), **overrides: Any) -> Refund:
    return await handlers.request_refund(RequestRefund(new_id(), spec(**overrides), AGENT), uow(), CONFIG, at(when))


async def raised(uow: Callable[[], RefundsUnitOfWork], when: timedelta = timedelta(0)) -> OrderException:
    command = RaiseException(
        new_id(), new_id(), ExceptionType.SHORT_SHIPPED, Responsibility.WAREHOUSE, "少发一件", (), AGENT
    )
    return await handlers.raise_exception(command, uow(), at(when))


async def events_of(engine: AsyncEngine, aggregate_id: str) -> list[tuple[str, bytes]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT event_type, envelope FROM outbox WHERE aggregate_id = :id ORDER BY position"),
            {"id": aggregate_id},
        )
        return [(row.event_type.removeprefix("oms.refunds.v1."), row.envelope) for row in rows]


async def types_of(engine: AsyncEngine, aggregate_id: str) -> list[str]:
    return [event_type for event_type, _ in await events_of(engine, aggregate_id)]


async def test_undecided_refund_escalates_once(uow: Any, engine: AsyncEngine) -> None:
    refund = await requested(uow)
    await sweep(uow, at(timedelta(hours=3, minutes=59)), CONFIG)
    assert await types_of(engine, refund.refund_id) == ["RefundRequested"]
    await sweep(uow, at(timedelta(hours=4)), CONFIG)
    await sweep(uow, at(timedelta(hours=5)), CONFIG)
    found = await events_of(engine, refund.refund_id)
    assert [event_type for event_type, _ in found] == ["RefundRequested", "RefundEscalated"]
    escalated = events_pb2.RefundEscalated()
    envelope_pb2.EventEnvelope.FromString(found[1][1]).payload.Unpack(escalated)
    assert list(escalated.missing_roles) == ["cs_supervisor"]
    assert escalated.escalated_at.ToDatetime(tzinfo=UTC) == T0 + timedelta(hours=4)
    stored = await handlers.get_refund(refund.refund_id, uow())
    assert stored.escalated_at == T0 + timedelta(hours=4)


async def test_decided_refunds_do_not_escalate_and_completed_ones_are_never_overdue(
    uow: Any, engine: AsyncEngine
) -> None:
    refund = await requested(uow)
    await handlers.approve_refund(ApproveRefund(new_id(), refund.refund_id, "", SUPERVISOR), uow(), at(timedelta(0)))
    await handlers.mark_refund_executing(MarkRefundExecuting(new_id(), refund.refund_id, "s"), uow(), at(timedelta(0)))
    await handlers.mark_refund_completed(
        MarkRefundCompleted(new_id(), refund.refund_id, "pr"), uow(), at(timedelta(hours=1))
    )
    await sweep(uow, at(timedelta(days=10)), CONFIG)
    assert "RefundEscalated" not in await types_of(engine, refund.refund_id)
    assert "RefundOverdue" not in await types_of(engine, refund.refund_id)


async def test_overdue_by_kind_target_once(uow: Any, engine: AsyncEngine) -> None:
    before = await requested(uow)
    partial = await requested(uow, kind=RefundKind.PARTIAL, items=())
    await sweep(uow, at(timedelta(hours=24)), CONFIG)
    assert (await types_of(engine, before.refund_id)).count("RefundOverdue") == 1
    assert "RefundOverdue" not in await types_of(engine, partial.refund_id)  # 72 h for partial refunds
    await sweep(uow, at(timedelta(hours=72)), CONFIG)
    assert (await types_of(engine, before.refund_id)).count("RefundOverdue") == 1
    assert (await types_of(engine, partial.refund_id)).count("RefundOverdue") == 1


async def test_racing_sweeps_alert_exactly_once(uow: Any, engine: AsyncEngine) -> None:
    refunds = [await requested(uow, when=timedelta(days=20)) for _ in range(10)]
    when = at(timedelta(days=20, hours=4))
    reports = await asyncio.gather(*(sweep(uow, when, CONFIG) for _ in range(4)))
    assert sum(report.escalated_refunds for report in reports) >= len(refunds)
    for refund in refunds:
        assert (await types_of(engine, refund.refund_id)).count("RefundEscalated") == 1


async def test_exception_escalates_to_supervisor_then_operations(uow: Any, engine: AsyncEngine) -> None:
    exception = await raised(uow, when=timedelta(days=40))
    for hours in (1, 2, 3, 23, 24, 48):
        await sweep(uow, at(timedelta(days=40, hours=hours)), CONFIG)
    found = await events_of(engine, exception.exception_id)
    assert [event_type for event_type, _ in found] == [
        "OrderExceptionRaised",
        "OrderExceptionEscalated",
        "OrderExceptionEscalated",
    ]
    levels = []
    for _, envelope in found[1:]:
        escalated = events_pb2.OrderExceptionEscalated()
        envelope_pb2.EventEnvelope.FromString(envelope).payload.Unpack(escalated)
        levels.append((escalated.level, escalated.escalated_to))
    assert levels == [(1, "cs_supervisor"), (2, "operations")]


async def test_a_missed_level_is_not_alerted_twice_and_resolved_exceptions_stay_quiet(
    uow: Any, engine: AsyncEngine
) -> None:
    late = await raised(uow, when=timedelta(days=60))
    quiet = await raised(uow, when=timedelta(days=60))
    await handlers.resolve_exception(
        ResolveException(new_id(), quiet.exception_id, None, "", SUPERVISOR, gift=Gift("coupon 满200减30")),
        uow(),
        CONFIG,
        at(timedelta(days=60, hours=1)),
    )
    await sweep(uow, at(timedelta(days=61, hours=1)), CONFIG)
    assert await types_of(engine, late.exception_id) == ["OrderExceptionRaised", "OrderExceptionEscalated"]
    assert await types_of(engine, quiet.exception_id) == ["OrderExceptionRaised", "OrderExceptionResolved"]


def cny(amount: int) -> common_pb2.Money:
    return common_pb2.Money(amount_minor=amount, currency="CNY")


async def test_the_service_runs_the_sweeper(database_url: str, redis_url: str, stream_prefix: str) -> None:
    settings = Settings(
        service_name="refunds",
        database_url=database_url,
        redis_url=redis_url,
        stream_prefix=stream_prefix,
        refunds_decision_timeout_seconds=0.2,
        refunds_exception_supervisor_after_seconds=0.2,
        refunds_exception_operations_after_seconds=0.4,
        refunds_sweep_interval_seconds=0.05,
    )
    agent = (("x-oms-subject", "agent-7"), ("x-oms-role", "customer_service"))
    async with running_service(settings, build) as channel:
        client = oms_client.ServiceClient.for_service(channel, "refunds")
        refund = (
            await client.RequestRefund(
                refunds_pb2.RequestRefundRequest(
                    request_id=new_id(),
                    order_id=new_id(),
                    payment_id=new_id(),
                    kind=refunds_pb2.REFUND_KIND_COMPENSATION,
                    reason=refunds_pb2.REFUND_REASON_OTHER,
                    captured=cny(1_000),
                    amount=cny(100),
                ),
                metadata=agent,
            )
        ).refund
        exception = (
            await client.RaiseException(
                refunds_pb2.RaiseExceptionRequest(
                    request_id=new_id(),
                    order_id=new_id(),
                    type=refunds_pb2.EXCEPTION_TYPE_CARRIER_PROBLEM,
                    responsibility=refunds_pb2.RESPONSIBILITY_CARRIER,
                    description="快递丢件",
                ),
                metadata=agent,
            )
        ).exception

        async def escalated() -> bool:
            got = await client.GetRefund(refunds_pb2.GetRefundRequest(refund_id=refund.refund_id))
            return got.refund.HasField("escalated_at")

        async def at_level_two() -> bool:
            listed = await client.ListExceptions(refunds_pb2.ListExceptionsRequest(order_id=exception.order_id))
            return listed.exceptions[0].escalation_level == 2

        assert await eventually(escalated, message="the refund escalated by the running sweeper")
        assert await eventually(at_level_two, message="the exception escalated to operations")

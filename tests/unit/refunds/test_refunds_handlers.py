"""The refunds handlers over an in-memory unit of work: the ledger follows every status, replays, remedies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.refunds.application import handlers
from services.refunds.application.commands import (
    ApproveRefund,
    ListRefunds,
    MarkRefundCompleted,
    MarkRefundExecuting,
    MarkRefundFailed,
    RaiseException,
    RecordQc,
    RejectRefund,
    RequestRefund,
    Reship,
    ResolveException,
)
from services.refunds.application.ports import RefundsConfig
from services.refunds.application.sweepers import sweep
from services.refunds.domain import events
from services.refunds.domain.errors import RefundExceedsCaptured
from services.refunds.domain.model import RefundSpec
from services.refunds.domain.values import (
    Actor,
    ExceptionStatus,
    ExceptionType,
    Item,
    OrderType,
    RefundKind,
    RefundReason,
    RefundStatus,
    Responsibility,
)
from shared.kernel.errors import InvalidArgument
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.unit.refunds.refunds_fakes import FakeUnitOfWork, Ledger, State

NOW = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
AGENT = Actor("agent-7", "customer_service")
SUPERVISOR = Actor("sup-1", "cs_supervisor")
CONFIG = RefundsConfig()


def clock() -> datetime:
    return NOW


def cny(amount: int) -> Money:
    return Money(amount, "CNY")


def spec(order_id: str, **overrides: Any) -> RefundSpec:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "payment_id": new_id(),
        "kind": RefundKind.FULL_BEFORE_SHIPMENT,
        "reason": RefundReason.CHANGED_MIND,
        "order_type": OrderType.REGULAR,
        "captured": cny(10_000),
        "already_refunded": cny(0),
        "items": (Item("SKU-1", 1),),
        "amount": cny(9_500),
        "shipping_fee": cny(500),
    }
    fields.update(overrides)
    return RefundSpec(**fields)


@pytest.fixture
def state() -> State:
    return State()


async def request(state: State, order_id: str, **overrides: Any) -> Any:
    return await handlers.request_refund(
        RequestRefund(new_id(), spec(order_id, **overrides), AGENT), FakeUnitOfWork(state), CONFIG, clock
    )


async def test_request_reserves_and_reject_releases(state: State) -> None:
    order_id = new_id()
    refund = await request(state, order_id)
    assert state.ledgers[order_id] == Ledger("CNY", 10_000, reserved=10_000)
    with pytest.raises(RefundExceedsCaptured):
        await request(state, order_id, kind=RefundKind.PARTIAL, items=(), amount=cny(1), shipping_fee=cny(0))
    assert len(state.refunds) == 1 and state.ledgers[order_id].reserved == 10_000
    await handlers.reject_refund(
        RejectRefund(new_id(), refund.refund_id, "no", SUPERVISOR), FakeUnitOfWork(state), clock
    )
    assert state.ledgers[order_id].reserved == 0
    assert [type(e) for e in state.events] == [events.RefundRequested, events.RefundRejected]


async def test_completion_settles_and_a_repeated_failure_releases_once(state: State) -> None:
    order_id = new_id()
    small = {"kind": RefundKind.PARTIAL, "items": (), "amount": cny(3_000), "shipping_fee": cny(0)}
    paid, unpaid = await request(state, order_id, **small), await request(state, order_id, **small)
    for refund in (paid, unpaid):
        await handlers.approve_refund(
            ApproveRefund(new_id(), refund.refund_id, "", SUPERVISOR), FakeUnitOfWork(state), clock
        )
        await handlers.mark_refund_executing(
            MarkRefundExecuting(new_id(), refund.refund_id, f"saga-{refund.refund_id}"), FakeUnitOfWork(state), clock
        )
    await handlers.mark_refund_completed(
        MarkRefundCompleted(new_id(), paid.refund_id, "pr-1"), FakeUnitOfWork(state), clock
    )
    for _ in range(2):
        await handlers.mark_refund_failed(
            MarkRefundFailed(new_id(), unpaid.refund_id, "declined"), FakeUnitOfWork(state), clock
        )
    assert state.ledgers[order_id] == Ledger("CNY", 10_000, reserved=3_000, completed=3_000)
    assert state.refunds[unpaid.refund_id].status is RefundStatus.FAILED


async def test_a_replay_returns_the_first_answer_without_doing_it_again(state: State) -> None:
    command = RequestRefund(new_id(), spec(new_id()), AGENT)
    first = await handlers.request_refund(command, FakeUnitOfWork(state), CONFIG, clock)
    again = await handlers.request_refund(command, FakeUnitOfWork(state), CONFIG, clock)
    assert again == first and len(state.refunds) == 1 and len(state.events) == 1
    with pytest.raises(InvalidArgument) as reused:
        await handlers.request_refund(
            RequestRefund(command.request_id, spec(new_id()), AGENT), FakeUnitOfWork(state), CONFIG, clock
        )
    assert reused.value.reason == "IDEMPOTENCY_KEY_REUSED"


async def test_qc_needs_a_result(state: State) -> None:
    refund = await request(state, new_id(), kind=RefundKind.FULL_AFTER_SHIPMENT)
    with pytest.raises(InvalidArgument) as refused:
        await handlers.record_qc(
            RecordQc(new_id(), refund.refund_id, None, "", Actor("wh", "warehouse")), FakeUnitOfWork(state), clock
        )
    assert refused.value.violations[0].field == "result"


async def test_resolving_with_a_refund_is_all_or_nothing(state: State) -> None:
    raised = await handlers.raise_exception(
        RaiseException(new_id(), new_id(), ExceptionType.WRONG_ITEM, Responsibility.WAREHOUSE, "错发", (), AGENT),
        FakeUnitOfWork(state),
        clock,
    )
    too_much = spec("", kind=RefundKind.COMPENSATION, items=(), amount=cny(20_000))
    with pytest.raises(RefundExceedsCaptured):
        await handlers.resolve_exception(
            ResolveException(new_id(), raised.exception_id, None, "", SUPERVISOR, refund=too_much),
            FakeUnitOfWork(state),
            CONFIG,
            clock,
        )
    assert state.exceptions[raised.exception_id].status is ExceptionStatus.OPEN and not state.refunds
    fits = spec("", kind=RefundKind.COMPENSATION, items=(), amount=cny(2_000))
    resolution = await handlers.resolve_exception(
        ResolveException(new_id(), raised.exception_id, None, "", SUPERVISOR, refund=fits),
        FakeUnitOfWork(state),
        CONFIG,
        clock,
    )
    assert resolution.refund is not None and resolution.refund.order_id == raised.order_id
    assert state.ledgers[raised.order_id].reserved == 2_000


async def test_exactly_one_remedy(state: State) -> None:
    with pytest.raises(InvalidArgument) as refused:
        await handlers.resolve_exception(
            ResolveException(
                new_id(), new_id(), None, "", SUPERVISOR, reship=Reship(()), refund=spec("", amount=cny(1))
            ),
            FakeUnitOfWork(state),
            CONFIG,
            clock,
        )
    assert refused.value.violations[0].field == "remedy"


async def test_listing_pages_by_id(state: State) -> None:
    order_id = new_id()
    made = [
        await request(state, order_id, kind=RefundKind.PARTIAL, items=(), amount=cny(100), shipping_fee=cny(0))
        for _ in range(3)
    ]
    first = await handlers.list_refunds(ListRefunds(order_id=order_id, page_size=2), FakeUnitOfWork(state))
    rest = await handlers.list_refunds(
        ListRefunds(order_id=order_id, page_size=2, page_token=first.next_page_token), FakeUnitOfWork(state)
    )
    assert [r.refund_id for r in (*first.refunds, *rest.refunds)] == sorted(r.refund_id for r in made)
    assert rest.next_page_token == ""
    with pytest.raises(InvalidArgument):
        await handlers.list_refunds(ListRefunds(page_token="garbage"), FakeUnitOfWork(state))
    with pytest.raises(InvalidArgument):
        await handlers.list_refunds(ListRefunds(page_size=-1), FakeUnitOfWork(state))


async def test_sweep_reports_what_it_did(state: State) -> None:
    await request(state, new_id())
    report = await sweep(lambda: FakeUnitOfWork(state), lambda: NOW + timedelta(hours=24), CONFIG)
    assert (report.escalated_refunds, report.overdue_refunds) == (1, 1)
    again = await sweep(lambda: FakeUnitOfWork(state), lambda: NOW + timedelta(hours=25), CONFIG)
    assert (again.escalated_refunds, again.overdue_refunds) == (0, 0)

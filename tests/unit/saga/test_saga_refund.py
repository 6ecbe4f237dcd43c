"""The refund execution saga as scripts of commands and replies against fake participants."""

from __future__ import annotations

import asyncio
import time

import pytest
from oms.events.v1 import events_pb2
from oms.refunds.v1 import events_pb2 as refund_events_pb2

from services.saga.adapters.refund_events import READY, RefundReadyHandler
from services.saga.application.commands import ExecuteRefund
from services.saga.application.coordinator import Coordinator, CoordinatorSettings
from services.saga.application.engine import RunOutcome
from services.saga.application.ports import PaymentStatus
from services.saga.domain.model import SagaKind, SagaState, StepStatus
from services.saga.domain.refund import RefundItem
from shared.kernel.errors import FailedPrecondition, InvalidArgument
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from tests.support import eventually
from tests.unit.saga.conftest import Harness
from tests.unit.saga.saga_fakes import WAREHOUSE, FakeRefund, FakeStore, error, place, unavailable

STEPS = ["mark_refund_executing", "refund_payment", "move_stock", "update_order", "mark_refund_completed"]
TOTAL = 2 * 12_000 + 12_000 + 1_000  # what the placed order paid (see saga_fakes)


async def _refund(
    harness: Harness,
    *,
    kind: str = "FULL_BEFORE_SHIPMENT",
    stock_action: str = "RELEASE_RESERVATION",
    total: int = TOTAL,
    items: tuple[RefundItem, ...] = (RefundItem("SKU-1", 2), RefundItem("SKU-2", 1)),
) -> FakeRefund:
    """A placed, paid order and a refund of it ready for execution."""
    _, placed = await harness.start(place(request_id=new_id()))
    order_id = (await harness.persisted(placed.saga_id)).data["order_id"]
    payment = harness.world.payment_of(order_id)
    assert payment is not None and payment.status == PaymentStatus.CAPTURED
    refund = FakeRefund(new_id(), order_id, payment.payment_id, kind, Money(total, "CNY"), items, stock_action)
    harness.world.refund_records[refund.refund_id] = refund
    harness.world.calls.clear()
    return refund


async def _execute(harness: Harness, refund: FakeRefund) -> tuple[RunOutcome, str]:
    outcome, saga = await harness.start(
        ExecuteRefund(f"op-{refund.refund_id}", refund.refund_id), SagaKind.EXECUTE_REFUND, refund_id=refund.refund_id
    )
    return outcome, saga.saga_id


async def test_full_refund_before_shipment_pays_back_releases_cancels_and_completes(harness: Harness) -> None:
    refund = await _refund(harness)

    outcome, saga_id = await _execute(harness, refund)

    assert outcome is RunOutcome.ENDED
    world = harness.world
    assert world.methods() == [
        "refunds.mark_executing",
        "payments.refund",
        "inventory.release",
        "orders.cancel",
        "refunds.mark_completed",
    ]
    assert [c.request_id for c in world.calls] == [
        f"{saga_id}:{s}" for s in ["mark_refund_executing", "refund_payment", "move_stock", "update_order"]
    ] + [f"{saga_id}:mark_refund_completed"]
    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.SUCCEEDED
    assert [s.name for s in stored.steps] == STEPS
    assert refund.status == "COMPLETED" and refund.saga_id == saga_id
    assert refund.payment_refund_id == stored.data["payment_refund_id"] != ""
    payment = world.payments[refund.payment_id]
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded.amount_minor == TOTAL
    assert world.reservations[refund.order_id] == "RELEASED"
    assert world.orders[refund.order_id] == "CANCELLED"
    (mark,) = [c for c in world.calls if c.method == "refunds.mark_executing"]
    assert mark.args == (refund.refund_id, saga_id)
    assert stored.data["order_id"] == refund.order_id and stored.data["total_minor"] == TOTAL
    assert (stored.data["stock_outcome"], stored.data["order_outcome"]) == ("released", "cancelled")
    assert harness.observer.events[-1] == ("ended", "execute_refund", "SUCCEEDED", "", "")


async def test_refund_after_shipment_restocks_each_item_where_it_was_reserved_and_leaves_the_order(
    harness: Harness,
) -> None:
    refund = await _refund(
        harness,
        kind="FULL_AFTER_SHIPMENT",
        stock_action="RESTOCK",
        items=(RefundItem("SKU-2", 1), RefundItem("SKU-1", 2)),
    )
    harness.world.orders[refund.order_id] = "DELIVERED"
    harness.world.reservations[refund.order_id] = "CONFIRMED"

    _, saga_id = await _execute(harness, refund)

    world = harness.world
    assert (await harness.persisted(saga_id)).state is SagaState.SUCCEEDED
    assert "orders.cancel" not in world.methods() and "inventory.release" not in world.methods()
    assert world.restocks == {
        f"{saga_id}:move_stock:0": (refund.order_id, WAREHOUSE, "SKU-2", 1),
        f"{saga_id}:move_stock:1": (refund.order_id, WAREHOUSE, "SKU-1", 2),
    }
    assert world.orders[refund.order_id] == "DELIVERED"
    assert refund.status == "COMPLETED"


@pytest.mark.parametrize("kind", ["PARTIAL", "COMPENSATION"])
async def test_partial_and_compensation_refunds_move_only_money(harness: Harness, kind: str) -> None:
    refund = await _refund(harness, kind=kind, stock_action="NONE", total=5_000, items=())

    _, saga_id = await _execute(harness, refund)

    assert harness.world.methods() == ["refunds.mark_executing", "payments.refund", "refunds.mark_completed"]
    payment = harness.world.payments[refund.payment_id]
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED and payment.refunded.amount_minor == 5_000
    assert harness.world.orders[refund.order_id] == "PAID"
    assert harness.world.reservations[refund.order_id] == "COMMITTED"
    assert refund.status == "COMPLETED"
    assert (await harness.persisted(saga_id)).data["stock_outcome"] == "none"


@pytest.mark.parametrize("reason", ["REFUND_DECLINED", "REFUND_EXCEEDS_CAPTURED"])
async def test_a_refused_payment_refund_marks_the_refund_failed_and_moves_nothing(
    harness: Harness, reason: str
) -> None:
    refund = await _refund(harness)
    harness.world.fail("payments.refund", error("FAILED_PRECONDITION", reason))

    outcome, saga_id = await _execute(harness, refund)

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failed_step == "refund_payment"
    assert stored.step("mark_refund_executing").status is StepStatus.COMPENSATED
    assert harness.world.methods() == [
        "refunds.mark_executing",
        "payments.refund",
        "refunds.get",
        "refunds.mark_failed",
    ]
    assert refund.status == "FAILED" and refund.failure_reason == f"refund_payment: {reason}"
    assert harness.world.payments[refund.payment_id].refunded.amount_minor == 0
    assert harness.world.reservations[refund.order_id] == "COMMITTED"
    assert harness.world.orders[refund.order_id] == "PAID"


@pytest.mark.parametrize(
    ("status", "reason"),
    [("EXECUTING", "REFUND_EXECUTED_BY_OTHER_SAGA"), ("COMPLETED", "INVALID_TRANSITION"), (None, "REFUND_NOT_FOUND")],
)
async def test_a_refund_this_saga_may_not_take_is_left_alone(harness: Harness, status: str | None, reason: str) -> None:
    refund = await _refund(harness)
    if status is None:
        del harness.world.refund_records[refund.refund_id]
    else:
        refund.status, refund.saga_id = status, "someone-else"

    _, saga_id = await _execute(harness, refund)

    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failure is not None and stored.failure.reason == reason
    assert harness.world.methods() == ["refunds.mark_executing"]
    if status is not None:
        assert (refund.status, refund.saga_id) == (status, "someone-else")


async def test_an_unreachable_refunds_service_parks_the_saga_instead_of_guessing(harness: Harness) -> None:
    refund = await _refund(harness)
    harness.world.fail("refunds.mark_executing", *[unavailable()] * 3)

    outcome, saga_id = await _execute(harness, refund)

    assert outcome is RunOutcome.PARKED
    parked = await harness.persisted(saga_id)
    assert parked.state is SagaState.RUNNING
    assert parked.step("mark_refund_executing").status is StepStatus.RUNNING
    assert "refunds.mark_failed" not in harness.world.methods()

    outcome, _ = await harness.resume(saga_id)

    assert outcome is RunOutcome.ENDED
    assert (await harness.persisted(saga_id)).state is SagaState.SUCCEEDED
    assert refund.status == "COMPLETED"


async def test_a_refund_pending_at_the_provider_is_asked_again_until_it_is_paid_out(harness: Harness) -> None:
    refund = await _refund(harness)
    harness.world.refunds_pending = True

    outcome, saga_id = await _execute(harness, refund)

    assert outcome is RunOutcome.PARKED
    parked = await harness.persisted(saga_id)
    assert parked.step("refund_payment").last_error is not None
    assert parked.step("refund_payment").last_error.reason == "REFUND_PENDING"
    assert refund.status == "EXECUTING"
    assert "inventory.release" not in harness.world.methods()

    harness.world.refunds_pending = False
    outcome, _ = await harness.resume(saga_id)

    assert outcome is RunOutcome.ENDED
    assert refund.status == "COMPLETED"
    assert len(harness.world.refunds) == 1  # one refund at payments, however often it was asked
    assert harness.world.payments[refund.payment_id].refunded.amount_minor == TOTAL


async def test_a_refusal_after_the_money_went_back_needs_a_person_and_never_fails_the_refund(
    harness: Harness,
) -> None:
    refund = await _refund(harness)
    harness.world.reservations[refund.order_id] = "CONFIRMED"  # it shipped after all

    outcome, saga_id = await _execute(harness, refund)

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.COMPENSATION_FAILED
    assert stored.failed_step == "move_stock"
    assert stored.failure is not None and stored.failure.reason == "INVALID_TRANSITION"
    assert harness.world.payments[refund.payment_id].refunded.amount_minor == TOTAL
    assert refund.status == "EXECUTING"
    assert "refunds.mark_failed" not in harness.world.methods()
    assert "orders.cancel" not in harness.world.methods()
    ended = harness.db.saves[-1].ended
    assert ended is not None and ended.state is SagaState.COMPENSATION_FAILED


async def test_a_returned_sku_the_order_never_reserved_stops_for_a_person(harness: Harness) -> None:
    refund = await _refund(
        harness, kind="FULL_AFTER_SHIPMENT", stock_action="RESTOCK", items=(RefundItem("SKU-𠮷", 1),)
    )

    _, saga_id = await _execute(harness, refund)

    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.COMPENSATION_FAILED
    assert stored.failure is not None and stored.failure.reason == "RESTOCK_WAREHOUSE_UNKNOWN"
    assert stored.failure.metadata == {"order_id": refund.order_id, "sku": "SKU-𠮷"}
    assert harness.world.restocks == {}


async def test_a_stock_action_the_saga_does_not_know_is_refused_before_money_moves(harness: Harness) -> None:
    refund = await _refund(harness, stock_action="9")

    _, saga_id = await _execute(harness, refund)

    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failure is not None and stored.failure.reason == "UNKNOWN_STOCK_ACTION"
    assert "payments.refund" not in harness.world.methods()
    assert refund.status == "FAILED" and refund.failure_reason == "refund_payment: UNKNOWN_STOCK_ACTION"


@pytest.mark.parametrize("crash_before_write", [False, True], ids=["after-write", "before-write"])
@pytest.mark.parametrize("crash_at", range(1, len(STEPS)))
async def test_resume_after_a_crash_at_any_write_pays_back_exactly_once(
    harness: Harness, crash_at: int, crash_before_write: bool
) -> None:
    refund = await _refund(harness, kind="FULL_AFTER_SHIPMENT", stock_action="RESTOCK")
    harness.world.reservations[refund.order_id] = "CONFIRMED"
    saves_before = len(harness.db.saves)
    harness.store.crash_at, harness.store.crash_before_write = saves_before + crash_at, crash_before_write
    with pytest.raises(ConnectionError):
        await _execute(harness, refund)
    (saga_id,) = [r.saga.saga_id for r in harness.db.rows.values() if r.saga.kind is SagaKind.EXECUTE_REFUND]
    harness.store.crash_at = None
    harness.clock.advance(31)
    successor = FakeStore(harness.db, "coordinator-b")
    (claimed,) = await successor.claim_expired(10)

    outcome = await harness.engine(successor).run(claimed)

    assert outcome is RunOutcome.ENDED
    assert (await harness.persisted(saga_id)).state is SagaState.SUCCEEDED
    assert refund.status == "COMPLETED"
    assert len(harness.world.refunds) == 1
    assert harness.world.payments[refund.payment_id].refunded.amount_minor == TOTAL
    assert len(harness.world.restocks) == 2


# The coordinator and the event that starts the saga


def _coordinator(harness: Harness) -> Coordinator:
    return Coordinator(harness.engine(), harness.store, CoordinatorSettings())


async def test_execute_refund_answers_with_the_completed_saga(harness: Harness) -> None:
    refund = await _refund(harness)

    saga = await _coordinator(harness).execute_refund(
        ExecuteRefund("op-1", refund.refund_id), deadline=time.monotonic() + 5
    )

    assert saga.state is SagaState.SUCCEEDED and saga.kind is SagaKind.EXECUTE_REFUND
    assert saga.data["refund_id"] == refund.refund_id
    assert refund.status == "COMPLETED"


async def test_execute_refund_passes_the_participants_refusal_through_without_losing_its_saga_id(
    harness: Harness,
) -> None:
    refund = await _refund(harness)
    refund.status, refund.saga_id = "EXECUTING", "the-other-saga"

    with pytest.raises(FailedPrecondition) as caught:
        await _coordinator(harness).execute_refund(
            ExecuteRefund("op-1", refund.refund_id), deadline=time.monotonic() + 5
        )

    assert caught.value.reason == "REFUND_EXECUTED_BY_OTHER_SAGA"
    assert caught.value.metadata["participant_saga_id"] == "the-other-saga"
    assert caught.value.metadata["saga_id"] in harness.db.rows
    assert caught.value.metadata["step"] == "mark_refund_executing"


@pytest.mark.parametrize(
    ("command", "field"),
    [(ExecuteRefund("", new_id()), "request_id"), (ExecuteRefund("op-1", "not-a-uuid"), "refund_id")],
)
async def test_execute_refund_refuses_bad_input_naming_the_field(
    harness: Harness, command: ExecuteRefund, field: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await _coordinator(harness).execute_refund(command, deadline=time.monotonic() + 5)

    assert [v.field for v in caught.value.violations] == [field]
    assert harness.db.rows == {} or all(r.saga.kind is not SagaKind.EXECUTE_REFUND for r in harness.db.rows.values())


def _ready(refund_id: str, *, event_id: str | None = None) -> events_pb2.EventEnvelope:
    envelope = events_pb2.EventEnvelope(
        id=event_id or new_id(), type=READY, source="refunds", aggregate_type="refund", aggregate_id=refund_id
    )
    envelope.payload.Pack(refund_events_pb2.RefundReadyForExecution(refund_id=refund_id))
    return envelope


async def _settled(harness: Harness, refund: FakeRefund) -> None:
    async def done() -> bool:
        return refund.status == "COMPLETED" and all(r.saga.terminal for r in harness.db.rows.values())

    await eventually(done, timeout=5, message="the refund execution saga ended")


async def test_the_ready_event_starts_one_saga_per_refund_however_often_it_arrives(harness: Harness) -> None:
    refund = await _refund(harness)
    handle = RefundReadyHandler(_coordinator(harness))

    await asyncio.gather(*(handle(_ready(refund.refund_id), None) for _ in range(3)))
    await _settled(harness, refund)
    await handle(_ready(refund.refund_id), None)  # redelivered after the saga ended

    sagas = [r.saga for r in harness.db.rows.values() if r.saga.kind is SagaKind.EXECUTE_REFUND]
    assert [s.request_id for s in sagas] == [f"refund-ready:{refund.refund_id}"]
    assert harness.world.count("refunds.mark_executing") == 1
    assert len(harness.world.refunds) == 1


async def test_other_events_and_broken_ones_start_nothing(harness: Harness) -> None:
    handle = RefundReadyHandler(_coordinator(harness))
    other = events_pb2.EventEnvelope(id=new_id(), type="oms.refunds.v1.RefundRequested")
    mislabelled = events_pb2.EventEnvelope(id=new_id(), type=READY)
    mislabelled.payload.Pack(refund_events_pb2.RefundCompleted(refund_id=new_id()))

    await handle(other, None)
    await handle(mislabelled, None)
    await handle(_ready("not-a-uuid"), None)

    assert harness.db.rows == {}
    assert harness.world.calls == []

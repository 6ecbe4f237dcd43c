"""The place-order and cancel-order sagas as scripts of commands and replies against fake participants."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY

from services.saga.adapters.metrics import PrometheusObserver
from services.saga.application.commands import CancelOrder
from services.saga.application.engine import RunOutcome, SagaEngine
from services.saga.application.place_order import place_order_saga
from services.saga.application.ports import PaymentStatus
from services.saga.domain.model import SagaKind, SagaState, StepStatus
from services.saga.domain.retry import RetryPolicy
from shared.kernel import codec
from shared.kernel.ids import new_id
from tests.support import eventually
from tests.unit.saga.conftest import Harness
from tests.unit.saga.saga_fakes import FakeStore, declined, error, place, unavailable

STEPS = [
    "upsert_customer",
    "quote",
    "create_order",
    "reserve_stock",
    "authorize_payment",
    "capture_payment",
    "commit_reservation",
    "mark_paid",
]
COMPENSABLE = {"create_order", "reserve_stock", "authorize_payment", "capture_payment"}
# Steps whose refusal is checked by running their compensation anyway.
UNTRUSTED = {"authorize_payment"}
METHOD_OF_STEP = {
    "upsert_customer": "customers.upsert",
    "quote": "pricing.quote",
    "create_order": "orders.create",
    "reserve_stock": "inventory.reserve",
    "authorize_payment": "payments.authorize",
    "capture_payment": "payments.capture",
    "commit_reservation": "inventory.commit",
    "mark_paid": "orders.mark_paid",
}


async def test_happy_path_runs_every_step_once_in_order_with_derived_request_ids(harness: Harness) -> None:
    outcome, saga = await harness.start(place())

    assert outcome is RunOutcome.ENDED
    assert harness.world.methods() == [METHOD_OF_STEP[s] for s in STEPS]
    assert [c.request_id for c in harness.world.calls] == [f"{saga.saga_id}:{s}" for s in STEPS]
    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.SUCCEEDED
    assert [(s.name, s.status, s.attempts) for s in stored.steps] == [(s, StepStatus.SUCCEEDED, 1) for s in STEPS]
    order_id = stored.data["order_id"]
    assert harness.world.orders[order_id] == "PAID"
    assert harness.world.reservations[order_id] == "COMMITTED"
    payment = harness.world.payment_of(order_id)
    assert payment is not None and payment.status == PaymentStatus.CAPTURED
    assert stored.data["total_minor"] == 2 * 12_000 + 12_000 + 1_000
    assert harness.observer.events[-1] == ("ended", "place_order", "SUCCEEDED", "", "")


async def test_hot_path_writes_once_per_step(harness: Harness) -> None:
    await harness.start(place())

    # Creation holds the first step's start; every later write ends one step and starts the next, and
    # the last one ends the last step with the saga: one write per step after the insert.
    assert len(harness.db.saves) == len(STEPS)
    assert harness.db.saves[-1].terminal
    assert all(len(t.steps) <= 2 for t in harness.db.saves)


async def test_reservation_uses_the_shipping_province_and_the_configured_ttl(harness: Harness) -> None:
    await harness.start(place())

    (reserve,) = [c for c in harness.world.calls if c.method == "inventory.reserve"]
    assert reserve.args[2:] == ("浙江省", 900)


@pytest.mark.parametrize("failing", STEPS)
async def test_a_refused_step_compensates_exactly_the_earlier_steps_in_reverse(harness: Harness, failing: str) -> None:
    harness.world.fail(METHOD_OF_STEP[failing], error("FAILED_PRECONDITION", "INSUFFICIENT_STOCK", sku="SKU-1"))

    outcome, saga = await harness.start(place())

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga.saga_id)
    earlier = STEPS[: STEPS.index(failing)]
    expected = [s for s in reversed(earlier) if s in COMPENSABLE]
    if failing in UNTRUSTED:
        expected.insert(0, failing)
    assert harness.observer.compensations() == expected
    assert stored.state is SagaState.FAILED
    assert stored.failed_step == failing
    assert stored.failure is not None and stored.failure.reason == "INSUFFICIENT_STOCK"
    assert stored.failure.metadata == {"sku": "SKU-1"}
    statuses = {s.name: s.status for s in stored.steps}
    assert statuses[failing] is (StepStatus.COMPENSATED if failing in UNTRUSTED else StepStatus.FAILED)
    for name in STEPS[STEPS.index(failing) + 1 :]:
        assert statuses[name] is StepStatus.PENDING
    for name in expected:
        assert statuses[name] is StepStatus.COMPENSATED
    # Nothing is left behind at the participants.
    order_id = stored.data.get("order_id")
    if order_id:
        assert harness.world.orders[order_id] == "CANCELLED"
        if "reserve_stock" in expected:
            assert harness.world.reservations[order_id] == "RELEASED"
        payment = harness.world.payment_of(order_id)
        if payment is not None:
            assert payment.status in (PaymentStatus.VOIDED, PaymentStatus.REFUNDED)
    # Every compensation call carries "<saga_id>:<step>:undo" and the failing reason reaches the participants.
    undo_calls = [c for c in harness.world.calls if (c.request_id or "").endswith(":undo")]
    assert all(c.request_id.startswith(f"{saga.saga_id}:") for c in undo_calls)  # type: ignore[union-attr]
    cancel_calls = [c for c in harness.world.calls if c.method == "orders.cancel"]
    assert all(c.args[-1] == "INSUFFICIENT_STOCK" for c in cancel_calls)
    assert harness.observer.events[-1] == ("ended", "place_order", "FAILED", failing, "INSUFFICIENT_STOCK")


async def test_declined_payment_voids_nothing_releases_stock_and_cancels_the_order(harness: Harness) -> None:
    harness.world.fail("payments.authorize", declined())

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.failure is not None and stored.failure.reason == "PAYMENT_DECLINED"
    assert harness.world.methods(undo_only=True) == ["inventory.release", "orders.cancel"]


async def test_transient_failures_are_retried_with_growing_backoff_then_succeed(harness: Harness) -> None:
    harness.world.fail("inventory.reserve", unavailable(), error("ABORTED", "CONTENTION"))

    outcome, saga = await harness.start(place())

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.SUCCEEDED
    reserve = stored.step("reserve_stock")
    assert reserve.attempts == 3
    assert reserve.last_error is not None and reserve.last_error.reason == "CONTENTION"
    assert harness.sleep.delays == [pytest.approx(0.075), pytest.approx(0.15)]
    # The same request id every time, so the participant deduplicates the repeats.
    assert {c.request_id for c in harness.world.calls if c.method == "inventory.reserve"} == {
        f"{saga.saga_id}:reserve_stock"
    }


async def test_business_failure_is_not_retried(harness: Harness) -> None:
    harness.world.fail("pricing.quote", error("NOT_FOUND", "SKU_NOT_PRICED", sku="SKU-2"))

    await harness.start(place())

    assert harness.world.count("pricing.quote") == 1
    assert harness.sleep.delays == []


async def test_exhausted_retries_make_the_step_indeterminate_and_compensate_it_too(harness: Harness) -> None:
    # The authorization goes through but its answer is lost every time: the payment exists.
    harness.world.lose_answer("payments.authorize", unavailable(), unavailable(), unavailable())

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.step("authorize_payment").status is StepStatus.COMPENSATED
    assert stored.step("authorize_payment").attempts == 3
    assert harness.observer.compensations() == ["authorize_payment", "reserve_stock", "create_order"]
    payment = harness.world.payment_of(stored.data["order_id"])
    assert payment is not None and payment.status == PaymentStatus.VOIDED


async def test_lost_create_answer_is_recovered_and_the_order_cancelled(harness: Harness) -> None:
    harness.world.lose_answer("orders.create", *[unavailable()] * 3)

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.FAILED
    (order_id,) = harness.world.orders
    assert harness.world.orders[order_id] == "CANCELLED"
    creates = {c.request_id for c in harness.world.calls if c.method == "orders.create"}
    assert creates == {f"{saga.saga_id}:create_order"}


async def test_a_compensation_failing_transiently_is_retried(harness: Harness) -> None:
    harness.world.fail("payments.authorize", declined())
    harness.world.fail("inventory.release", unavailable(), unavailable())

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.step("reserve_stock").status is StepStatus.COMPENSATED
    assert stored.step("reserve_stock").compensation_attempts == 3
    assert ("retried", "reserve_stock", "UNAVAILABLE", "undo") in harness.observer.events
    assert harness.world.reservations[stored.data["order_id"]] == "RELEASED"


async def test_a_compensation_still_unavailable_is_parked_and_finished_by_a_later_run(harness: Harness) -> None:
    harness.world.fail("payments.authorize", declined())
    harness.world.fail("inventory.release", *[unavailable()] * 4)

    outcome, saga = await harness.start(place())

    assert outcome is RunOutcome.PARKED
    parked = await harness.persisted(saga.saga_id)
    assert parked.state is SagaState.COMPENSATING
    assert parked.step("reserve_stock").status is StepStatus.COMPENSATING
    assert parked.step("create_order").status is StepStatus.SUCCEEDED  # reverse order: not reached yet
    assert harness.world.orders[parked.data["order_id"]] == "PENDING_PAYMENT"

    outcome, _ = await harness.resume(saga.saga_id)

    assert outcome is RunOutcome.ENDED
    done = await harness.persisted(saga.saga_id)
    assert done.state is SagaState.FAILED
    assert done.step("reserve_stock").compensation_attempts == 5
    assert harness.world.orders[done.data["order_id"]] == "CANCELLED"


async def test_a_refused_compensation_needs_a_person_but_the_others_still_run(harness: Harness) -> None:
    harness.world.fail("payments.authorize", declined())
    harness.world.fail("inventory.release", error("FAILED_PRECONDITION", "INVALID_TRANSITION"))

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.COMPENSATION_FAILED
    assert stored.step("reserve_stock").status is StepStatus.COMPENSATION_FAILED
    assert stored.step("create_order").status is StepStatus.COMPENSATED
    assert ("refused", "reserve_stock") in harness.observer.events
    ended = harness.db.saves[-1].ended
    assert ended is not None and ended.refused_steps == ("reserve_stock",)


async def test_a_refused_mark_paid_refunds_the_capture_and_undoes_the_rest(harness: Harness) -> None:
    harness.world.fail("orders.mark_paid", error("FAILED_PRECONDITION", "INVALID_TRANSITION"))
    harness.world.fail("payments.capture", unavailable())  # one retry, then the capture goes through

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    payment = harness.world.payment_of(stored.data["order_id"])
    assert payment is not None and payment.status == PaymentStatus.REFUNDED
    assert payment.refunded == payment.captured
    assert harness.observer.compensations() == ["capture_payment", "authorize_payment", "reserve_stock", "create_order"]


async def test_a_hold_that_expired_before_the_money_came_in_refunds_the_capture(harness: Harness) -> None:
    harness.world.holds_expire = True

    outcome, saga = await harness.start(place())

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failed_step == "commit_reservation"
    assert stored.failure is not None and stored.failure.reason == "RESERVATION_EXPIRED"
    assert stored.step("mark_paid").status is StepStatus.PENDING
    assert harness.observer.compensations() == ["capture_payment", "authorize_payment", "reserve_stock", "create_order"]
    order_id = stored.data["order_id"]
    payment = harness.world.payment_of(order_id)
    assert payment is not None and payment.status == PaymentStatus.REFUNDED and payment.refunded == payment.captured
    assert harness.world.orders[order_id] == "CANCELLED"
    assert harness.world.count("orders.mark_paid") == 0


async def test_a_refused_mark_paid_releases_the_committed_hold(harness: Harness) -> None:
    harness.world.fail("orders.mark_paid", error("FAILED_PRECONDITION", "INVALID_TRANSITION"))

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.step("commit_reservation").status is StepStatus.SUCCEEDED
    assert harness.world.reservations[stored.data["order_id"]] == "RELEASED"


async def test_a_payment_still_authorizing_defers_the_undo_until_it_settles(harness: Harness) -> None:
    harness.world.authorizing = True  # like tok_timeout: the provider never answers

    outcome, saga = await harness.start(place())

    assert outcome is RunOutcome.PARKED
    parked = await harness.persisted(saga.saga_id)
    assert parked.state is SagaState.COMPENSATING
    assert parked.step("authorize_payment").status is StepStatus.COMPENSATING
    assert parked.step("authorize_payment").last_error is not None
    assert parked.step("authorize_payment").last_error.reason == "PAYMENT_AUTHORIZING"
    order_id = parked.data["order_id"]
    assert harness.world.reservations[order_id] == "HELD"  # reverse order: stock waits for the money

    payment = harness.world.payment_of(order_id)
    assert payment is not None
    harness.world.payments[payment.payment_id] = replace(payment, status=PaymentStatus.FAILED)
    outcome, _ = await harness.resume(saga.saga_id)

    assert outcome is RunOutcome.ENDED
    done = await harness.persisted(saga.saga_id)
    assert done.state is SagaState.FAILED
    assert done.failure is not None and done.failure.code == "UNAVAILABLE"
    assert harness.world.reservations[order_id] == "RELEASED"
    assert harness.world.orders[order_id] == "CANCELLED"
    assert harness.world.count("payments.void") == 0


async def test_compensation_is_shielded_from_cancelling_the_run(harness: Harness) -> None:
    harness.world.fail("payments.authorize", declined())
    gate, entered = harness.world.gate("inventory.release")
    engine = harness.engine()
    command = place()
    saga = engine.new_saga(
        saga_id="00000000-0000-7000-8000-00000000abcd",
        request_id=command.request_id,
        kind=SagaKind.PLACE_ORDER,
        payload=command,
        fingerprint=codec.fingerprint(command),
    )
    await harness.store.create(saga)
    run = asyncio.create_task(engine.run(saga, fresh=True))
    await entered.wait()

    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    gate.set()

    async def finished() -> bool:
        return (await harness.persisted(saga.saga_id)).state is SagaState.FAILED

    await eventually(finished, timeout=5)
    stored = await harness.persisted(saga.saga_id)
    assert harness.world.orders[stored.data["order_id"]] == "CANCELLED"
    assert harness.world.reservations[stored.data["order_id"]] == "RELEASED"


@pytest.mark.parametrize("crash_before_write", [False, True], ids=["after-write", "before-write"])
@pytest.mark.parametrize("crash_at", range(1, len(STEPS)))
async def test_resume_after_a_crash_at_any_write_of_a_successful_saga(
    harness: Harness, crash_at: int, crash_before_write: bool
) -> None:
    harness.store.crash_at, harness.store.crash_before_write = crash_at, crash_before_write
    with pytest.raises(ConnectionError):
        await harness.start(place())
    (saga_id,) = harness.db.rows
    harness.store.crash_at = None
    # Another coordinator takes over once the dead one's lease has run out.
    harness.clock.advance(31)
    successor = FakeStore(harness.db, "coordinator-b")
    (claimed,) = await successor.claim_expired(10)

    outcome = await harness.engine(successor).run(claimed)

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.SUCCEEDED
    world = harness.world
    # Each effect happened once whatever was repeated: participants dedupe on the step's request id.
    assert len(world.orders) == 1 and len(world.payments) == 1 and len(world.reservations) == 1
    (order_id,) = world.orders
    assert world.orders[order_id] == "PAID"
    assert world.reservations[order_id] == "COMMITTED"
    assert {c.request_id for c in world.calls} == {f"{saga_id}:{s}" for s in STEPS}
    # Every call was on record before it was made.
    for step in STEPS:
        assert stored.step(step).attempts >= world.count(METHOD_OF_STEP[step]) >= 1


async def test_a_declined_placement_takes_eight_writes(harness: Harness) -> None:
    harness.world.fail("payments.authorize", declined())

    await harness.start(place())

    # Four step ends (each with the next start), the failure with the first undo's start (the void that
    # checks the decline), each undo's end with the next one's start, the end.
    assert len(harness.db.saves) == 8


async def test_a_refusal_of_an_authorization_that_went_through_still_voids_it(harness: Harness) -> None:
    # Payments answered INVALID_TRANSITION although the payment was authorized (a race on its side).
    harness.world.lose_answer("payments.authorize", error("FAILED_PRECONDITION", "INVALID_TRANSITION"))

    _, saga = await harness.start(place())

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failure is not None and stored.failure.reason == "INVALID_TRANSITION"
    assert stored.step("authorize_payment").status is StepStatus.COMPENSATED
    payment = harness.world.payment_of(stored.data["order_id"])
    assert payment is not None and payment.status == PaymentStatus.VOIDED
    assert harness.world.methods(undo_only=True) == ["payments.void", "inventory.release", "orders.cancel"]


@pytest.mark.parametrize("crash_before_write", [False, True], ids=["after-write", "before-write"])
@pytest.mark.parametrize("crash_at", range(1, 8))  # after the 8th write the saga has ended: nothing to resume
async def test_resume_after_a_crash_at_any_write_of_a_failing_saga(
    harness: Harness, crash_at: int, crash_before_write: bool
) -> None:
    harness.world.fail("payments.authorize", declined())
    harness.store.crash_at, harness.store.crash_before_write = crash_at, crash_before_write
    with pytest.raises(ConnectionError):
        await harness.start(place())
    (saga_id,) = harness.db.rows
    harness.store.crash_at = None
    harness.clock.advance(31)
    successor = FakeStore(harness.db, "coordinator-b")
    (claimed,) = await successor.claim_expired(10)

    outcome = await harness.engine(successor).run(claimed)

    assert outcome is RunOutcome.ENDED
    stored = await harness.persisted(saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failure is not None and stored.failure.reason == "PAYMENT_DECLINED"
    (order_id,) = harness.world.orders
    assert harness.world.orders[order_id] == "CANCELLED"
    assert harness.world.reservations[order_id] == "RELEASED"
    assert harness.world.payments == {}


async def test_a_coordinator_that_lost_its_lease_stops_writing(harness: Harness) -> None:
    gate, entered = harness.world.gate("inventory.reserve")
    task = asyncio.create_task(harness.start(place()))
    await entered.wait()
    harness.clock.advance(31)
    successor = FakeStore(harness.db, "coordinator-b")
    (claimed,) = await successor.claim_expired(10)
    gate.set()

    outcome, _ = await task

    assert outcome is RunOutcome.LEASE_LOST
    assert harness.world.count("payments.authorize") == 0  # the old owner stopped at its next write
    harness.world.gates.clear()
    assert await harness.engine(successor).run(claimed) is RunOutcome.ENDED
    assert (await harness.persisted(claimed.saga_id)).state is SagaState.SUCCEEDED
    assert len(harness.world.orders) == 1


# The cancel-order saga


async def _placed(harness: Harness) -> str:
    _, saga = await harness.start(place())
    return (await harness.persisted(saga.saga_id)).data["order_id"]


async def test_cancel_cancels_then_releases_then_refunds(harness: Harness) -> None:
    order_id = await _placed(harness)
    harness.world.calls.clear()

    outcome, saga = await harness.start(
        CancelOrder("cancel-1", order_id, "buyer asked"), SagaKind.CANCEL_ORDER, order_id=order_id
    )

    assert outcome is RunOutcome.ENDED
    assert (await harness.persisted(saga.saga_id)).state is SagaState.SUCCEEDED
    assert harness.world.methods() == ["orders.cancel", "inventory.release", "payments.list", "payments.refund"]
    assert harness.world.orders[order_id] == "CANCELLED"
    assert harness.world.reservations[order_id] == "RELEASED"
    payment = harness.world.payment_of(order_id)
    assert payment is not None and payment.status == PaymentStatus.REFUNDED


async def test_cancel_refused_at_the_pivot_touches_nothing_else(harness: Harness) -> None:
    order_id = await _placed(harness)
    harness.world.orders[order_id] = "SHIPPED"
    harness.world.calls.clear()

    _, saga = await harness.start(
        CancelOrder("cancel-1", order_id, "too late"), SagaKind.CANCEL_ORDER, order_id=order_id
    )

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.FAILED
    assert stored.failure is not None and stored.failure.reason == "INVALID_TRANSITION"
    assert harness.world.methods() == ["orders.cancel"]


async def test_cancel_keeps_trying_after_the_pivot(harness: Harness) -> None:
    order_id = await _placed(harness)
    harness.world.fail("inventory.release", *[unavailable()] * 3)

    outcome, saga = await harness.start(
        CancelOrder("cancel-1", order_id, "x"), SagaKind.CANCEL_ORDER, order_id=order_id
    )

    assert outcome is RunOutcome.PARKED
    parked = await harness.persisted(saga.saga_id)
    assert parked.state is SagaState.RUNNING
    assert parked.step("release_stock").status is StepStatus.RUNNING
    assert parked.step("release_stock").last_error is not None

    outcome, _ = await harness.resume(saga.saga_id)

    assert outcome is RunOutcome.ENDED
    assert (await harness.persisted(saga.saga_id)).state is SagaState.SUCCEEDED
    assert harness.world.reservations[order_id] == "RELEASED"


async def test_cancel_refused_after_the_pivot_needs_a_person(harness: Harness) -> None:
    order_id = await _placed(harness)
    harness.world.fail("inventory.release", error("FAILED_PRECONDITION", "INVALID_TRANSITION"))

    _, saga = await harness.start(CancelOrder("cancel-1", order_id, "x"), SagaKind.CANCEL_ORDER, order_id=order_id)

    stored = await harness.persisted(saga.saga_id)
    assert stored.state is SagaState.COMPENSATION_FAILED
    assert stored.failed_step == "release_stock"
    assert harness.world.count("payments.list") == 0


async def test_each_step_is_timed_once_with_its_retries_and_backoff(harness: Harness) -> None:
    async def sleep(seconds: float) -> None:
        harness.clock.advance(seconds)

    engine = SagaEngine(
        {SagaKind.PLACE_ORDER: place_order_saga(harness.world.participants)},
        harness.store,
        action_retry=RetryPolicy(max_attempts=3, base_seconds=0.1, cap_seconds=1.0),
        observer=harness.observer,
        clock=harness.clock.wall,
        sleep=sleep,
        jitter=lambda: 0.5,
        timer=harness.clock.monotonic,
    )
    harness.world.fail("pricing.quote", unavailable())
    command = place()
    saga = engine.new_saga(
        saga_id=new_id(), request_id=command.request_id, kind=SagaKind.PLACE_ORDER, payload=command,
        fingerprint=codec.fingerprint(command),
    )  # fmt: skip
    await harness.store.create(saga)

    assert await engine.run(saga, fresh=True) is RunOutcome.ENDED

    assert [step for step, _ in harness.observer.timings] == STEPS
    timings = dict(harness.observer.timings)
    assert timings["quote"] == pytest.approx(0.075)  # one backoff: half of 0.1 fixed, half jittered at 0.5
    assert all(seconds == 0 for step, seconds in harness.observer.timings if step != "quote")


def test_the_prometheus_observer_records_under_the_suites_shared_names() -> None:
    observer = PrometheusObserver()

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = sample("oms_saga_step_duration_seconds_count", kind="place_order", step="quote")
    ended = sample("oms_saga_outcomes_total", kind="place_order", state="FAILED", step="quote", reason="X_TEST")
    undone = sample("oms_saga_compensations_total", kind="place_order", step="quote", outcome="refused")

    observer.step_timed(SagaKind.PLACE_ORDER, "quote", 0.2)
    observer.saga_ended(SagaKind.PLACE_ORDER, SagaState.FAILED, "quote", "X_TEST")
    observer.step_compensated(SagaKind.PLACE_ORDER, "quote", "refused")

    assert sample("oms_saga_step_duration_seconds_count", kind="place_order", step="quote") == before + 1
    assert (
        sample("oms_saga_outcomes_total", kind="place_order", state="FAILED", step="quote", reason="X_TEST")
        == ended + 1
    )
    assert sample("oms_saga_compensations_total", kind="place_order", step="quote", outcome="refused") == undone + 1

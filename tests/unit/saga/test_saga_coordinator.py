"""The coordinator: one saga per request id, one outcome for every caller, deadlines, recovery, hand-over."""

from __future__ import annotations

import asyncio
import time

import pytest

from services.saga.application.commands import CancelOrder, GetSaga, ListSagas
from services.saga.application.coordinator import Coordinator, CoordinatorSettings
from services.saga.domain.errors import CoordinatorBusy, PlacementInProgress, SagaInProgress, SagaNotFound
from services.saga.domain.model import SagaKind, SagaState
from shared.kernel.errors import FailedPrecondition, InvalidArgument, Unavailable
from shared.kernel.ids import new_id
from tests.unit.saga.conftest import Harness
from tests.unit.saga.saga_fakes import FakeStore, error, place, unavailable


def coordinator(harness: Harness, store: FakeStore | None = None, **settings: float) -> Coordinator:
    store = store or harness.store
    return Coordinator(harness.engine(store), store, CoordinatorSettings(**settings))  # type: ignore[arg-type]


def soon(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


async def test_place_order_returns_the_succeeded_saga(harness: Harness) -> None:
    saga = await coordinator(harness).place_order(place(), deadline=soon())

    assert saga.state is SagaState.SUCCEEDED
    assert harness.world.orders[saga.data["order_id"]] == "PAID"


async def test_a_failed_saga_raises_the_participants_error_with_the_saga_in_its_metadata(harness: Harness) -> None:
    harness.world.fail("inventory.reserve", error("FAILED_PRECONDITION", "INSUFFICIENT_STOCK", sku="SKU-1"))

    with pytest.raises(FailedPrecondition) as caught:
        await coordinator(harness).place_order(place(), deadline=soon())

    assert caught.value.reason == "INSUFFICIENT_STOCK"
    assert caught.value.metadata["sku"] == "SKU-1"
    assert caught.value.metadata["step"] == "reserve_stock"
    assert caught.value.metadata["compensated"] == "true"
    assert caught.value.metadata["saga_id"] in harness.db.rows


async def test_retries_exhausted_surface_as_unavailable(harness: Harness) -> None:
    harness.world.fail("pricing.quote", *[unavailable()] * 3)

    with pytest.raises(Unavailable) as caught:
        await coordinator(harness).place_order(place(), deadline=soon())

    assert caught.value.metadata["step"] == "quote"


async def test_a_failure_whose_undo_must_wait_is_answered_at_once(harness: Harness) -> None:
    harness.world.authorizing = True  # the provider never answers: the payment stays AUTHORIZING
    runner = coordinator(harness)

    with pytest.raises(Unavailable) as caught:
        await runner.place_order(place("slow"), deadline=soon())
    with pytest.raises(Unavailable) as again:
        await runner.place_order(place("slow"), deadline=soon())

    assert caught.value.reason == "PROVIDER_UNAVAILABLE"
    assert caught.value.metadata["compensated"] == "pending"
    assert caught.value.metadata["step"] == "authorize_payment"
    assert (again.value.reason, again.value.metadata) == (caught.value.reason, caught.value.metadata)
    saga = await harness.persisted(caught.value.metadata["saga_id"])
    assert saga.state is SagaState.COMPENSATING


async def test_concurrent_duplicates_share_one_saga_and_one_outcome(harness: Harness) -> None:
    runner = coordinator(harness)
    command = place("same")

    sagas = await asyncio.gather(*(runner.place_order(command, deadline=soon()) for _ in range(10)))

    assert len(harness.db.rows) == 1
    assert len({s.saga_id for s in sagas}) == 1
    assert len(harness.world.orders) == 1
    assert harness.world.count("orders.create") == 1


async def test_concurrent_duplicates_of_a_failing_request_all_get_the_failure(harness: Harness) -> None:
    harness.world.fail("payments.authorize", error("FAILED_PRECONDITION", "PAYMENT_DECLINED"))
    runner = coordinator(harness)

    results = await asyncio.gather(
        *(runner.place_order(place("same"), deadline=soon()) for _ in range(5)), return_exceptions=True
    )

    assert all(isinstance(r, FailedPrecondition) and r.reason == "PAYMENT_DECLINED" for r in results)
    assert len(harness.world.orders) == 1


async def test_the_same_request_id_with_other_arguments_is_refused(harness: Harness) -> None:
    runner = coordinator(harness)
    await runner.place_order(place("k"), deadline=soon())

    with pytest.raises(InvalidArgument) as caught:
        await runner.place_order(place("k", buyer_remark="other"), deadline=soon())

    assert caught.value.reason == "IDEMPOTENCY_KEY_REUSED"
    assert [v.field for v in caught.value.violations] == ["request_id"]


async def test_bad_input_is_refused_before_anything_is_stored(harness: Harness) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await coordinator(harness).place_order(place(channel="ebay"), deadline=soon())

    assert [v.field for v in caught.value.violations] == ["channel"]
    assert harness.db.rows == {}


async def test_a_caller_past_its_deadline_gets_saga_in_progress_and_the_saga_goes_on(harness: Harness) -> None:
    gate, entered = harness.world.gate("payments.capture")
    runner = coordinator(harness, deadline_margin_seconds=0.0)

    with pytest.raises(SagaInProgress) as caught:
        await runner.place_order(place(), deadline=time.monotonic() + 0.05)
    await entered.wait()
    gate.set()
    saga = await runner.wait(caught.value.metadata["saga_id"], deadline=soon())

    assert saga.state is SagaState.SUCCEEDED
    assert caught.value.metadata["state"] == "RUNNING"


async def test_past_its_capacity_a_coordinator_refuses_new_placements_and_starts_nothing(harness: Harness) -> None:
    gate, entered = harness.world.gate("payments.capture")
    runner = coordinator(harness, max_running=1)
    first = asyncio.create_task(runner.place_order(place(), deadline=soon()))
    await entered.wait()

    with pytest.raises(CoordinatorBusy) as refused:
        await runner.place_order(place(), deadline=soon())

    assert refused.value.reason == "SAGA_OVERLOADED"
    assert len(harness.store.db.rows) == 1  # the refused request stored nothing
    gate.set()
    assert (await first).state is SagaState.SUCCEEDED
    assert (await runner.place_order(place(), deadline=soon())).state is SagaState.SUCCEEDED


async def test_recovery_finishes_sagas_a_dead_coordinator_left(harness: Harness) -> None:
    dead = coordinator(harness, FakeStore(harness.db, "dead"))
    gate, entered = harness.world.gate("inventory.reserve")
    waiting = asyncio.ensure_future(dead.place_order(place(), deadline=soon()))
    await entered.wait()
    waiting.cancel()
    await dead.close(0)  # the process goes away; its run is cancelled mid-step
    harness.world.gates.clear()
    gate.set()
    successor = coordinator(harness, FakeStore(harness.db, "b"))

    assert await successor.recover_once() == 1
    (saga_id,) = harness.db.rows
    saga = await successor.wait(saga_id, deadline=soon())

    assert saga.state is SagaState.SUCCEEDED
    assert saga.step("reserve_stock").attempts == 2
    assert len(harness.world.orders) == 1


async def test_nothing_is_recovered_while_its_lease_is_held(harness: Harness) -> None:
    gate, entered = harness.world.gate("inventory.reserve")
    owner = coordinator(harness)
    running = asyncio.ensure_future(owner.place_order(place(), deadline=soon()))
    await entered.wait()
    other = coordinator(harness, FakeStore(harness.db, "b"))

    assert await other.recover_once() == 0
    gate.set()
    assert (await running).state is SagaState.SUCCEEDED


async def test_a_duplicate_takes_over_a_saga_whose_coordinator_died(harness: Harness) -> None:
    dead = coordinator(harness, FakeStore(harness.db, "dead"))
    gate, entered = harness.world.gate("pricing.quote")
    waiting = asyncio.ensure_future(dead.place_order(place("again"), deadline=soon()))
    await entered.wait()
    waiting.cancel()
    await dead.close(0)
    harness.world.gates.clear()
    gate.set()

    saga = await coordinator(harness, FakeStore(harness.db, "b")).place_order(place("again"), deadline=soon())

    assert saga.state is SagaState.SUCCEEDED
    assert len(harness.db.rows) == 1


async def test_cancelling_an_order_still_being_placed_is_refused(harness: Harness) -> None:
    gate, entered = harness.world.gate("payments.authorize")
    runner = coordinator(harness)
    placing = asyncio.ensure_future(runner.place_order(place(), deadline=soon()))
    await entered.wait()
    (order_id,) = harness.world.orders

    with pytest.raises(PlacementInProgress) as caught:
        await runner.cancel_order(CancelOrder(new_id(), order_id, "changed mind"), deadline=soon())
    gate.set()
    await placing
    cancelled = await runner.cancel_order(CancelOrder(new_id(), order_id, "changed mind"), deadline=soon())

    assert caught.value.reason == "SAGA_IN_PROGRESS"
    assert cancelled.kind is SagaKind.CANCEL_ORDER and cancelled.state is SagaState.SUCCEEDED
    assert harness.world.orders[order_id] == "CANCELLED"


async def test_get_and_list(harness: Harness) -> None:
    runner = coordinator(harness)
    first = await runner.place_order(place("one"), deadline=soon())
    second = await runner.place_order(place("two"), deadline=soon())

    assert (await runner.get_saga(GetSaga(request_id="one"))).saga_id == first.saga_id
    assert (await runner.get_saga(GetSaga(order_id=second.data["order_id"]))).saga_id == second.saga_id
    with pytest.raises(SagaNotFound):
        await runner.get_saga(GetSaga(saga_id=new_id()))
    page, token = await runner.list_sagas(ListSagas(page_size=1))
    rest, end = await runner.list_sagas(ListSagas(page_size=1, page_token=token))
    assert {page[0].saga_id, rest[0].saga_id} == {first.saga_id, second.saga_id}
    assert token and end == ""


async def test_close_hands_unfinished_sagas_over_at_once(harness: Harness) -> None:
    gate, entered = harness.world.gate("orders.create")
    runner = coordinator(harness)
    waiting = asyncio.ensure_future(runner.place_order(place(), deadline=soon()))
    await entered.wait()

    await runner.close(0)
    waiting.cancel()
    gate.set()

    other = FakeStore(harness.db, "b")
    (claimed,) = await other.claim_expired(10)  # no need to wait for the lease to run out
    assert claimed.step("create_order").attempts == 1

"""The saga store on real PostgreSQL: creation races, fenced writes, lease claims by two coordinators, resume."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from oms.events.v1 import events_pb2 as envelope_pb2
from oms.saga.v1 import events_pb2
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.saga.adapters.repository import SagaUnitOfWork, SqlSagaStore
from services.saga.application.cancel_order import cancel_order_saga
from services.saga.application.coordinator import Coordinator
from services.saga.application.engine import RunOutcome, SagaEngine
from services.saga.application.place_order import place_order_saga
from services.saga.domain.errors import LeaseLost
from services.saga.domain.model import Saga, SagaKind, SagaState, StepStatus, Transition
from services.saga.domain.retry import RetryPolicy
from shared.db import session_factory
from shared.kernel import codec
from shared.kernel.ids import new_id
from tests.unit.saga.saga_fakes import FakeWorld, declined, place

LEASE = 30.0


@pytest.fixture(scope="module")
async def database_url(service_database) -> str:
    return await service_database("saga")


@pytest.fixture(scope="module")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture
async def clean(engine: AsyncEngine) -> None:
    """Claims look at every saga in the database: start each test from an empty one."""
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE sagas, saga_steps, outbox"))


def store(engine: AsyncEngine, owner: str, lease: float = LEASE) -> SqlSagaStore:
    sessions = session_factory(engine)
    return SqlSagaStore(
        engine,
        lambda: SagaUnitOfWork(sessions, source="saga", stream="test.saga", owner=owner, lease_seconds=lease),
        owner=owner,
        lease_seconds=lease,
    )


def saga_engine(world: FakeWorld, saga_store: SqlSagaStore) -> SagaEngine:
    participants = world.participants
    return SagaEngine(
        {SagaKind.PLACE_ORDER: place_order_saga(participants), SagaKind.CANCEL_ORDER: cancel_order_saga(participants)},
        saga_store,
        action_retry=RetryPolicy(2, 0.0, 0.0),
        compensation_retry=RetryPolicy(2, 0.0, 0.0),
    )


def new_saga(runner: SagaEngine, request_id: str | None = None, **changes: object) -> Saga:
    command = place(request_id or new_id(), **changes)
    return runner.new_saga(
        saga_id=new_id(),
        request_id=command.request_id,
        kind=SagaKind.PLACE_ORDER,
        payload=command,
        fingerprint=codec.fingerprint(command),
    )


async def test_a_saga_round_trips_with_its_steps_and_text_outside_the_bmp(engine: AsyncEngine, clean: None) -> None:
    saga_store = store(engine, "a")
    runner = saga_engine(FakeWorld(), saga_store)
    saga = new_saga(runner)

    created, same = await saga_store.create(saga)
    loaded = await saga_store.get(saga.saga_id)

    assert created and same is saga
    assert loaded is not None
    assert loaded.payload == saga.payload
    assert loaded.payload.placement.customer.name == "张伟𠮷"
    assert loaded.state is SagaState.RUNNING
    assert [(s.name, s.status, s.attempts) for s in loaded.steps][:2] == [
        ("upsert_customer", StepStatus.RUNNING, 1),
        ("quote", StepStatus.PENDING, 0),
    ]
    assert loaded.steps[0].started_at == saga.steps[0].started_at
    assert await saga_store.find(request_id=saga.request_id) is not None


async def test_concurrent_creates_of_one_request_make_one_saga(engine: AsyncEngine, clean: None) -> None:
    saga_store = store(engine, "a")
    runner = saga_engine(FakeWorld(), saga_store)
    request_id = new_id()

    results = await asyncio.gather(*(saga_store.create(new_saga(runner, request_id)) for _ in range(10)))

    assert sum(created for created, _ in results) == 1
    assert len({saga.saga_id for _, saga in results}) == 1
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM sagas WHERE request_id = :r"), {"r": request_id}) == 1


async def test_a_whole_saga_runs_on_the_store_and_its_end_reaches_the_outbox(engine: AsyncEngine, clean: None) -> None:
    world = FakeWorld()
    saga_store = store(engine, "a")
    runner = saga_engine(world, saga_store)
    saga = new_saga(runner)
    await saga_store.create(saga)

    assert await runner.run(saga, fresh=True) is RunOutcome.ENDED

    loaded = await saga_store.get(saga.saga_id)
    assert loaded is not None and loaded.state is SagaState.SUCCEEDED
    assert all(s.status is StepStatus.SUCCEEDED and s.finished_at is not None for s in loaded.steps)
    assert loaded.data["order_id"] in world.orders
    assert loaded.payload.placement.payment_method.token == ""  # not kept once the saga has ended
    assert await saga_store.find(order_id=loaded.data["order_id"], kind=SagaKind.PLACE_ORDER) is not None
    (event,) = await outbox(engine)
    assert isinstance(event, events_pb2.OrderPlacementSucceeded)
    assert event.order_id == loaded.data["order_id"] and event.total.amount_minor == loaded.data["total_minor"]


async def test_a_failed_saga_records_why_and_emits_failure_and_compensation(engine: AsyncEngine, clean: None) -> None:
    world = FakeWorld()
    world.fail("payments.authorize", declined())
    saga_store = store(engine, "a")
    runner = saga_engine(world, saga_store)
    saga = new_saga(runner)
    await saga_store.create(saga)

    await runner.run(saga, fresh=True)

    loaded = await saga_store.get(saga.saga_id)
    assert loaded is not None and loaded.state is SagaState.FAILED
    assert loaded.failed_step == "authorize_payment"
    assert loaded.failure is not None and loaded.failure.reason == "PAYMENT_DECLINED"
    assert loaded.step("reserve_stock").status is StepStatus.COMPENSATED
    events = {type(e).__name__: e for e in await outbox(engine)}
    assert set(events) == {"OrderPlacementFailed", "SagaCompensated"}
    failed, compensated = events["OrderPlacementFailed"], events["SagaCompensated"]
    assert isinstance(failed, events_pb2.OrderPlacementFailed) and failed.reason == "PAYMENT_DECLINED"
    assert failed.compensated
    assert isinstance(compensated, events_pb2.SagaCompensated)
    # The declined authorization is checked by its void too (nothing was held, so nothing was voided).
    assert list(compensated.compensated_steps) == ["authorize_payment", "reserve_stock", "create_order"]


async def test_writes_of_a_coordinator_that_lost_the_lease_are_refused(engine: AsyncEngine, clean: None) -> None:
    first, second = store(engine, "a"), store(engine, "b")
    runner = saga_engine(FakeWorld(), first)
    saga = new_saga(runner)
    await first.create(saga)
    await first.park(saga.saga_id, 0)  # the lease runs out now
    assert await second.claim(saga.saga_id) is not None

    saga.succeed_step("upsert_customer", {"customer_id": "x", "customer_tier": "VIP"}, saga.created_at)
    with pytest.raises(LeaseLost):
        await first.save(saga.flush(saga.created_at))

    loaded = await second.get(saga.saga_id)
    assert loaded is not None and loaded.step("upsert_customer").status is StepStatus.RUNNING


async def test_a_held_lease_cannot_be_claimed(engine: AsyncEngine, clean: None) -> None:
    first, second = store(engine, "a"), store(engine, "b")
    saga = new_saga(saga_engine(FakeWorld(), first))
    await first.create(saga)

    assert await second.claim(saga.saga_id) is None
    assert await second.claim_expired(10) == []
    assert await first.renew([saga.saga_id]) == {saga.saga_id}
    assert await second.renew([saga.saga_id]) == set()


async def test_two_coordinators_claiming_at_once_never_take_the_same_saga(engine: AsyncEngine, clean: None) -> None:
    dead = store(engine, "dead")
    runner = saga_engine(FakeWorld(), dead)
    sagas = [new_saga(runner) for _ in range(40)]
    for saga in sagas:
        await dead.create(saga)
        await dead.park(saga.saga_id, 0)
    first, second = store(engine, "a"), store(engine, "b")

    rounds = await asyncio.gather(*(s.claim_expired(7) for _ in range(4) for s in (first, second)))

    taken = [saga.saga_id for batch in rounds for saga in batch]
    assert len(taken) == len(set(taken)) == 40
    async with engine.connect() as connection:
        owners = dict((await connection.execute(text("SELECT lease_owner, count(*) FROM sagas GROUP BY 1"))).all())
    assert set(owners) <= {"a", "b"}
    assert sum(owners.values()) == 40


class CrashingStore:
    """The store of a coordinator that dies right after its ``crash_at``-th write."""

    def __init__(self, inner: SqlSagaStore, crash_at: int) -> None:
        self._inner = inner
        self._left = crash_at

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def save(self, transition: Transition) -> None:
        await self._inner.save(transition)
        self._left -= 1
        if self._left == 0:
            raise ConnectionError("coordinator died")


async def test_a_second_coordinator_resumes_what_a_dead_one_left_at_every_write(
    engine: AsyncEngine, clean: None
) -> None:
    world = FakeWorld()
    dead = store(engine, "dead")
    sagas = []
    for crash_at in range(1, 7):
        runner = saga_engine(world, CrashingStore(dead, crash_at))  # type: ignore[arg-type]
        saga = new_saga(runner)
        await dead.create(saga)
        with pytest.raises(ConnectionError):
            await runner.run(saga, fresh=True)
        await dead.park(saga.saga_id, 0)  # its lease runs out
        sagas.append(saga)
    successor_store = store(engine, "b")
    successor = Coordinator(saga_engine(world, successor_store), successor_store)

    assert await successor.recover_once() == 6
    done = [await successor.wait(s.saga_id, deadline=None) for s in sagas]

    assert [s.state for s in done] == [SagaState.SUCCEEDED] * 6
    assert len({s.data["order_id"] for s in done}) == 6
    assert all(world.orders[s.data["order_id"]] == "PAID" for s in done)
    assert len(world.orders) == len(world.payments) == 6  # a repeated step made nothing twice
    assert await successor.recover_once() == 0


async def test_listing_filters_by_state_and_pages_newest_first(engine: AsyncEngine, clean: None) -> None:
    saga_store = store(engine, "a")
    runner = saga_engine(FakeWorld(), saga_store)
    sagas = [new_saga(runner) for _ in range(5)]
    for saga in sagas:
        await saga_store.create(saga)
    await runner.run(sagas[0], fresh=True)

    running = await saga_store.list([SagaState.RUNNING], 3, "")
    rest = await saga_store.list([SagaState.RUNNING], 3, running[-1].saga_id)
    succeeded = await saga_store.list([SagaState.SUCCEEDED], 10, "")

    # Saga ids are time-ordered (UUIDv7), so id order is creation order, to the millisecond.
    newest_first = sorted((s.saga_id for s in sagas[1:]), reverse=True)
    assert [s.saga_id for s in running + rest] == newest_first
    assert [s.saga_id for s in succeeded] == [sagas[0].saga_id]
    assert len(await saga_store.list([], 10, "")) == 5


async def outbox(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT envelope FROM outbox ORDER BY created_at, id"))).all()
    found = []
    for (raw,) in rows:
        envelope = envelope_pb2.EventEnvelope.FromString(raw)
        for kind in (
            events_pb2.OrderPlacementSucceeded,
            events_pb2.OrderPlacementFailed,
            events_pb2.SagaCompensated,
            events_pb2.SagaCompensationFailed,
        ):
            if envelope.payload.Is(kind.DESCRIPTOR):
                event = kind()
                envelope.payload.Unpack(event)
                found.append(event)
    return found

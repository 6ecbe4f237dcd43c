"""Fixtures of the saga unit tests: an engine over fake participants and an in-memory store."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.saga.application.cancel_order import cancel_order_saga
from services.saga.application.engine import RunOutcome, SagaEngine
from services.saga.application.execute_refund import execute_refund_saga
from services.saga.application.place_order import place_order_saga
from services.saga.domain.model import Saga, SagaKind
from services.saga.domain.retry import RetryPolicy
from shared.kernel import codec
from shared.kernel.ids import new_id
from tests.unit.saga.saga_fakes import Clock, FakeDatabase, FakeStore, FakeWorld, RecordingObserver, RecordingSleep


@dataclass
class Harness:
    world: FakeWorld
    clock: Clock
    db: FakeDatabase
    store: FakeStore
    observer: RecordingObserver
    sleep: RecordingSleep

    def engine(self, store: FakeStore | None = None) -> SagaEngine:
        participants = self.world.participants
        return SagaEngine(
            {
                SagaKind.PLACE_ORDER: place_order_saga(participants, reservation_ttl_seconds=900),
                SagaKind.CANCEL_ORDER: cancel_order_saga(participants),
                SagaKind.EXECUTE_REFUND: execute_refund_saga(participants),
            },
            store or self.store,
            action_retry=RetryPolicy(max_attempts=3, base_seconds=0.1, cap_seconds=1.0),
            compensation_retry=RetryPolicy(max_attempts=4, base_seconds=0.1, cap_seconds=1.0),
            observer=self.observer,
            clock=self.clock.wall,
            sleep=self.sleep,
            jitter=lambda: 0.5,
        )

    async def start(
        self, command: object, kind: SagaKind = SagaKind.PLACE_ORDER, **data: str
    ) -> tuple[RunOutcome, Saga]:
        engine = self.engine()
        saga = engine.new_saga(
            saga_id=new_id(),
            request_id=command.request_id,  # type: ignore[attr-defined]
            kind=kind,
            payload=command,
            fingerprint=codec.fingerprint(command),
            data=data,
        )
        created, saga = await self.store.create(saga)
        assert created
        return await engine.run(saga, fresh=True), saga

    async def resume(self, saga_id: str, store: FakeStore | None = None) -> tuple[RunOutcome, Saga]:
        store = store or self.store
        saga = await store.get(saga_id)
        assert saga is not None
        return await self.engine(store).run(saga), saga

    async def persisted(self, saga_id: str) -> Saga:
        saga = await self.store.get(saga_id)
        assert saga is not None
        return saga


@pytest.fixture
def harness() -> Harness:
    clock = Clock()
    db = FakeDatabase(clock)
    return Harness(FakeWorld(), clock, db, FakeStore(db, "coordinator-a"), RecordingObserver(), RecordingSleep())

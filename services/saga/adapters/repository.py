"""The saga store on PostgreSQL: one statement per transition, leases claimed with conditional updates.

Every write that moves a saga is fenced by its lease (``WHERE lease_owner = :owner``) and extends it,
so a coordinator that lost a saga to another cannot write over it. Claims of expired leases are
single ``UPDATE ... RETURNING`` statements (``FOR UPDATE SKIP LOCKED`` for the batch claim), so two
coordinators never take the same saga. Non-terminal transitions run in autocommit (one round trip);
the terminal one runs in the unit of work so its integration events reach the outbox atomically.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import greenlet_spawn

from services.saga.adapters.events import integration_events
from services.saga.application.commands import CancelOrder, ExecuteRefund, PlaceOrder
from services.saga.application.place_order import ORDER_ID
from services.saga.domain.errors import LeaseLost
from services.saga.domain.model import Saga, SagaKind, SagaState, StepError, StepRecord, StepStatus, Transition
from shared.db import UnitOfWork
from shared.kernel import codec

COMMAND_TYPES: dict[SagaKind, type] = {
    SagaKind.PLACE_ORDER: PlaceOrder,
    SagaKind.CANCEL_ORDER: CancelOrder,
    SagaKind.EXECUTE_REFUND: ExecuteRefund,
}
AGGREGATE_TYPE = "saga"
ACTIVE = "('RUNNING', 'COMPENSATING')"
LEASE_UNTIL = "now() + make_interval(secs => :lease)"

_COLUMNS = """
    s.saga_id, s.request_id, s.kind, s.state, s.fingerprint, s.payload, s.data, s.failed_step, s.failure,
    s.created_at, s.updated_at,
    (SELECT jsonb_agg(jsonb_build_object(
        'name', t.name, 'position', t.position, 'status', t.status, 'attempts', t.attempts,
        'compensation_attempts', t.compensation_attempts, 'last_error', t.last_error,
        'started_at', t.started_at, 'finished_at', t.finished_at) ORDER BY t.position)
     FROM saga_steps t WHERE t.saga_id = s.saga_id) AS steps
"""

_CREATE = text(f"""
WITH inserted AS (
    INSERT INTO sagas (saga_id, request_id, kind, state, fingerprint, payload, data, order_id,
                       lease_owner, lease_expires_at, created_at, updated_at)
    VALUES (:saga_id, :request_id, :kind, :state, :fingerprint, CAST(CAST(:payload AS text) AS jsonb),
            CAST(CAST(:data AS text) AS jsonb), CAST(:order_id AS uuid), :owner, {LEASE_UNTIL}, :now, :now)
    ON CONFLICT (request_id) DO NOTHING
    RETURNING saga_id
), steps AS (
    INSERT INTO saga_steps (saga_id, name, position, status, attempts, compensation_attempts, started_at)
    SELECT inserted.saga_id, s.name, s.position, s.status, s.attempts, 0, s.started_at
    FROM inserted CROSS JOIN jsonb_to_recordset(CAST(CAST(:steps AS text) AS jsonb))
        AS s(name text, position int, status text, attempts int, started_at timestamptz)
)
SELECT saga_id FROM inserted
""")


def _save_statement(*, terminal: bool) -> Any:
    # A saga that has ended no longer needs the buyer's payment token: blank it in the same write.
    forget_token = ", payload = jsonb_set(payload, '{placement,payment_method,token}', '\"\"', false)"
    return text(f"""
WITH saga AS (
    UPDATE sagas SET
        state = :state,
        data = data || CAST(CAST(:patch AS text) AS jsonb),
        order_id = COALESCE(CAST(:order_id AS uuid), order_id),
        failed_step = :failed_step,
        failure = CAST(CAST(:failure AS text) AS jsonb),
        updated_at = :now,
        lease_expires_at = {LEASE_UNTIL}
        {forget_token if terminal else ""}
    WHERE saga_id = :saga_id AND lease_owner = :owner
    RETURNING saga_id
), steps AS (
    UPDATE saga_steps AS t SET
        status = s.status, attempts = s.attempts, compensation_attempts = s.compensation_attempts,
        last_error = s.last_error, started_at = s.started_at, finished_at = s.finished_at
    FROM saga, jsonb_to_recordset(CAST(CAST(:steps AS text) AS jsonb)) AS s(
        name text, status text, attempts int, compensation_attempts int, last_error jsonb,
        started_at timestamptz, finished_at timestamptz)
    WHERE t.saga_id = saga.saga_id AND t.name = s.name
)
SELECT count(*) FROM saga
""")


_SAVE = _save_statement(terminal=False)
_SAVE_TERMINAL = _save_statement(terminal=True)
_GET = text(f"SELECT {_COLUMNS} FROM sagas s WHERE s.saga_id = :saga_id")
_FIND_BY_REQUEST = text(f"SELECT {_COLUMNS} FROM sagas s WHERE s.request_id = :request_id")
_FIND_BY_ORDER = text(
    f"SELECT {_COLUMNS} FROM sagas s WHERE s.order_id = :order_id AND s.kind = :kind ORDER BY s.saga_id DESC LIMIT 1"
)
_LIST = text(f"""
SELECT {_COLUMNS} FROM sagas s
WHERE (cardinality(CAST(:states AS text[])) = 0 OR s.state = ANY(CAST(:states AS text[])))
  AND (CAST(:before AS uuid) IS NULL OR s.saga_id < CAST(:before AS uuid))
ORDER BY s.saga_id DESC
LIMIT :limit
""")
_CLAIM = text(f"""
UPDATE sagas AS s SET lease_owner = :owner, lease_expires_at = {LEASE_UNTIL}
WHERE s.saga_id = :saga_id AND s.state IN {ACTIVE} AND s.lease_expires_at < now()
RETURNING {_COLUMNS}
""")
_CLAIM_EXPIRED = text(f"""
WITH candidates AS (
    SELECT saga_id FROM sagas
    WHERE state IN {ACTIVE} AND lease_expires_at < now()
    ORDER BY lease_expires_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE sagas AS s SET lease_owner = :owner, lease_expires_at = {LEASE_UNTIL}
FROM candidates c
WHERE s.saga_id = c.saga_id
RETURNING {_COLUMNS}
""")
# A saga that ended since the renewal was asked for still counts as held (no false "lease lost").
_RENEW = text(f"""
UPDATE sagas SET lease_expires_at = {LEASE_UNTIL}
WHERE saga_id = ANY(CAST(:ids AS uuid[])) AND lease_owner = :owner
RETURNING saga_id
""")
_PARK = text("""
UPDATE sagas SET lease_expires_at = now() + make_interval(secs => :delay)
WHERE saga_id = :saga_id AND lease_owner = :owner AND state IN ('RUNNING', 'COMPENSATING')
""")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _dumps(value: Any) -> str | None:
    return None if value is None else codec.dumps(value)


def _instant(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _error(value: Any) -> StepError | None:
    plain = _json(value)
    return None if plain is None else codec.from_plain(StepError, plain)


def _step_plain(step: StepRecord) -> dict[str, Any]:
    return {
        "name": step.name,
        "position": step.position,
        "status": step.status.value,
        "attempts": step.attempts,
        "compensation_attempts": step.compensation_attempts,
        "last_error": codec.to_plain(step.last_error) if step.last_error else None,
        "started_at": step.started_at.isoformat() if step.started_at else None,
        "finished_at": step.finished_at.isoformat() if step.finished_at else None,
    }


def saga_from_row(row: Any) -> Saga:
    kind = SagaKind(row.kind)
    steps = [
        StepRecord(
            name=s["name"],
            position=s["position"],
            status=StepStatus(s["status"]),
            attempts=s["attempts"],
            compensation_attempts=s["compensation_attempts"],
            last_error=_error(s["last_error"]),
            started_at=_instant(s["started_at"]),
            finished_at=_instant(s["finished_at"]),
        )
        for s in _json(row.steps) or []
    ]
    return Saga(
        saga_id=str(row.saga_id),
        request_id=row.request_id,
        kind=kind,
        payload=codec.from_plain(COMMAND_TYPES[kind], _json(row.payload)),
        fingerprint=row.fingerprint,
        steps=steps,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state=SagaState(row.state),
        data=dict(_json(row.data)),
        failed_step=row.failed_step,
        failure=_error(row.failure),
    )


_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")


@dataclass(frozen=True)
class NativeStatement:
    """A statement in asyncpg's own form ($1, $2 ...) and the names its positions stand for."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: TextClause) -> NativeStatement:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        return cls(_PARAMETER.sub(number, statement.text), tuple(names))

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        return [parameters[name] for name in self.names]


_NATIVE_CREATE = NativeStatement.of(_CREATE)
_NATIVE_SAVE = NativeStatement.of(_SAVE)


def _create_parameters(saga: Saga, owner: str, lease: float) -> dict[str, Any]:
    return {
        "saga_id": saga.saga_id,
        "request_id": saga.request_id,
        "kind": saga.kind.value,
        "state": saga.state.value,
        "fingerprint": saga.fingerprint,
        "payload": codec.dumps(saga.payload),
        "data": codec.dumps(saga.data),
        "order_id": saga.data.get(ORDER_ID),
        "owner": owner,
        "lease": lease,
        "now": saga.created_at,
        "steps": json.dumps([_step_plain(s) for s in saga.steps], ensure_ascii=False),
    }


def _save_parameters(transition: Transition, owner: str, lease: float) -> dict[str, Any]:
    return {
        "saga_id": transition.saga_id,
        "owner": owner,
        "lease": lease,
        "state": transition.state.value,
        # Step outputs are plain data already (strings, numbers, lists, dicts): no walk through the codec.
        "patch": json.dumps(dict(transition.data_patch), ensure_ascii=False, separators=(",", ":")),
        "order_id": transition.data_patch.get(ORDER_ID),
        "failed_step": transition.failed_step,
        "failure": _dumps(transition.failure),
        "now": transition.now,
        "steps": json.dumps([_step_plain(s) for s in transition.steps], ensure_ascii=False),
    }


class SqlSagaRepository:
    """The statements, on whatever runs them: an autocommit connection or a unit of work's session."""

    def __init__(self, executor: AsyncConnection | AsyncSession, *, owner: str, lease_seconds: float) -> None:
        self._db = executor
        self._owner = owner
        self._lease = lease_seconds

    async def create(self, saga: Saga) -> bool:
        result = await self._db.execute(_CREATE, _create_parameters(saga, self._owner, self._lease))
        return result.first() is not None

    async def save(self, transition: Transition) -> None:
        statement = _SAVE_TERMINAL if transition.terminal else _SAVE
        result = await self._db.execute(statement, _save_parameters(transition, self._owner, self._lease))
        if result.scalar_one() == 0:
            raise LeaseLost(transition.saga_id)

    async def get(self, saga_id: str) -> Saga | None:
        row = (await self._db.execute(_GET, {"saga_id": saga_id})).first()
        return saga_from_row(row) if row else None

    async def find_by_request(self, request_id: str) -> Saga | None:
        row = (await self._db.execute(_FIND_BY_REQUEST, {"request_id": request_id})).first()
        return saga_from_row(row) if row else None

    async def find_by_order(self, order_id: str, kind: SagaKind) -> Saga | None:
        row = (await self._db.execute(_FIND_BY_ORDER, {"order_id": order_id, "kind": kind.value})).first()
        return saga_from_row(row) if row else None

    async def list(self, states: Sequence[SagaState], limit: int, before: str) -> list[Saga]:
        rows = await self._db.execute(
            _LIST, {"states": [s.value for s in states], "before": before or None, "limit": limit}
        )
        return [saga_from_row(r) for r in rows]

    async def claim(self, saga_id: str) -> Saga | None:
        row = (await self._db.execute(_CLAIM, {"saga_id": saga_id, "owner": self._owner, "lease": self._lease})).first()
        return saga_from_row(row) if row else None

    async def claim_expired(self, limit: int) -> list[Saga]:
        rows = await self._db.execute(_CLAIM_EXPIRED, {"limit": limit, "owner": self._owner, "lease": self._lease})
        return sorted((saga_from_row(r) for r in rows), key=lambda s: s.saga_id)

    async def renew(self, saga_ids: Sequence[str]) -> set[str]:
        rows = await self._db.execute(_RENEW, {"ids": list(saga_ids), "owner": self._owner, "lease": self._lease})
        return {str(r.saga_id) for r in rows}

    async def park(self, saga_id: str, delay_seconds: float) -> None:
        await self._db.execute(_PARK, {"saga_id": saga_id, "owner": self._owner, "delay": delay_seconds})


class SagaUnitOfWork(UnitOfWork):
    """The shared unit of work with the saga repository of one coordinator; for writes that emit events."""

    sagas: SqlSagaRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        source: str,
        stream: str,
        owner: str,
        lease_seconds: float,
    ) -> None:
        super().__init__(sessions, source=source, stream=stream)
        self._owner = owner
        self._lease_seconds = lease_seconds

    def _open(self) -> None:
        self.sagas = SqlSagaRepository(self.session, owner=self._owner, lease_seconds=self._lease_seconds)


class SqlSagaStore:
    """The SagaStore port for one coordinator (``owner``) over PostgreSQL."""

    def __init__(
        self,
        engine: AsyncEngine,
        unit_of_work: Callable[[], SagaUnitOfWork],
        *,
        owner: str,
        lease_seconds: float,
    ) -> None:
        # Single statements need no transaction around them: autocommit saves the BEGIN/COMMIT round trips.
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._raw_engine = engine
        self._unit_of_work = unit_of_work
        self.owner = owner
        self.lease_seconds = lease_seconds

    def _repository(self, connection: AsyncConnection) -> SqlSagaRepository:
        return SqlSagaRepository(connection, owner=self.owner, lease_seconds=self.lease_seconds)

    async def _native(self, statement: NativeStatement, parameters: dict[str, Any]) -> Any:
        """One statement on the driver's connection, straight from SQLAlchemy's pool: the hot path skips
        building a Connection around it (about half the CPU of a step's write). No transaction is opened,
        so the statement commits on its own and the connection goes back clean."""
        pooled = await self._raw_engine.raw_connection()
        try:
            return await pooled.driver_connection.fetchval(statement.sql, *statement.arguments(parameters))
        finally:
            # Checking in may close an overflow connection, which awaits the driver: run it where SQLAlchemy can.
            await greenlet_spawn(pooled.close)

    async def create(self, saga: Saga) -> tuple[bool, Saga]:
        if await self._native(_NATIVE_CREATE, _create_parameters(saga, self.owner, self.lease_seconds)):
            return True, saga
        async with self._engine.connect() as connection:
            existing = await self._repository(connection).find_by_request(saga.request_id)
        if existing is None:  # only if the row was deleted in between, which nothing does
            raise RuntimeError(f"saga of request {saga.request_id} vanished")
        return False, existing

    async def save(self, transition: Transition) -> None:
        if transition.ended is None:
            held = await self._native(_NATIVE_SAVE, _save_parameters(transition, self.owner, self.lease_seconds))
            if not held:
                raise LeaseLost(transition.saga_id)
            return
        async with self._unit_of_work() as uow:
            await uow.sagas.save(transition)
            events = integration_events(transition.ended)
            if events:
                uow.emit(*events, aggregate_type=AGGREGATE_TYPE, aggregate_id=transition.saga_id)
            await uow.commit()

    async def _read(self, method: Callable[[SqlSagaRepository], Any]) -> Any:
        async with self._engine.connect() as connection:
            return await method(self._repository(connection))

    async def get(self, saga_id: str) -> Saga | None:
        return await self._read(lambda r: r.get(saga_id))

    async def find(self, *, request_id: str = "", order_id: str = "", kind: SagaKind | None = None) -> Saga | None:
        if request_id:
            return await self._read(lambda r: r.find_by_request(request_id))
        return await self._read(lambda r: r.find_by_order(order_id, kind or SagaKind.PLACE_ORDER))

    async def list(self, states: Sequence[SagaState], limit: int, before: str) -> list[Saga]:
        return await self._read(lambda r: r.list(states, limit, before))

    async def claim(self, saga_id: str) -> Saga | None:
        return await self._read(lambda r: r.claim(saga_id))

    async def claim_expired(self, limit: int) -> list[Saga]:
        return await self._read(lambda r: r.claim_expired(limit))

    async def renew(self, saga_ids: Sequence[str]) -> set[str]:
        return await self._read(lambda r: r.renew(saga_ids))

    async def park(self, saga_id: str, delay_seconds: float) -> None:
        await self._read(lambda r: r.park(saga_id, delay_seconds))

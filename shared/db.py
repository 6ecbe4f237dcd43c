"""Database access: the async engine and the unit of work (transaction, outbox writes, idempotency)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

import orjson
from google.protobuf import any_pb2, message
from oms.common.v1 import common_pb2
from oms.events.v1 import events_pb2
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from shared.context import current_call
from shared.grpc.convert import timestamp_out
from shared.kernel import codec
from shared.kernel.errors import Aborted, FieldViolation, InvalidArgument
from shared.kernel.ids import new_id
from shared.settings import ServiceSettings
from shared.tables import idempotency_keys
from shared.telemetry.events import trace_headers

R = TypeVar("R")

OUTBOX_CHANNEL = "oms_outbox"

# One round trip writes every event of the transaction and wakes the relays (delivered at commit).
WRITE_OUTBOX = text(
    "WITH written AS (INSERT INTO outbox (id, stream, event_type, aggregate_id, envelope)"
    " SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:streams AS text[]), CAST(:types AS text[]),"
    " CAST(:aggregates AS text[]), CAST(:envelopes AS bytea[])) RETURNING 1)"
    f" SELECT pg_notify('{OUTBOX_CHANNEL}', count(*)::text) FROM written"
)


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    """An asyncpg-backed engine with a pool sized for one service process."""
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        connect_args={"server_settings": {"application_name": f"oms-{settings.service_name}", "timezone": "UTC"}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def json_rows(rows: Sequence[Any]) -> str:
    """Rows (dicts or dataclasses holding text, numbers, datetimes, enums, UUIDs) as one JSON text: the
    parameter of a set-wise statement (``json_populate_recordset``) that writes a whole batch at once."""
    return orjson.dumps(rows).decode()


def utc_now() -> datetime:
    return datetime.now(UTC)


def envelopes_for(
    events: Iterable[message.Message], *, source: str, aggregate_type: str, aggregate_id: str, now: datetime
) -> list[events_pb2.EventEnvelope]:
    """Wrap the integration events of one aggregate at one moment: what they share (time, trace context,
    baggage, request id, actor, peer) is read once for all of them; each gets its own id."""
    carrier = trace_headers()
    call = current_call.get()
    shared_fields = {
        "source": source,
        "occurred_at": timestamp_out(now),
        "traceparent": carrier.get("traceparent", ""),
        "tracestate": carrier.get("tracestate", ""),
        "baggage": carrier.get("baggage", ""),
        "request_id": call.request_id,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "actor": common_pb2.Actor(subject=call.subject, role=call.role),
        "peer": call.peer,
    }
    envelopes = []
    for event in events:
        payload = any_pb2.Any()
        payload.Pack(event)
        envelopes.append(
            events_pb2.EventEnvelope(id=new_id(), type=event.DESCRIPTOR.full_name, payload=payload, **shared_fields)
        )
    return envelopes


class UnitOfWork:
    """One database transaction: rolls back unless committed; writes emitted events to the outbox on commit.

    Subclasses attach repositories in ``_open`` (called with ``self.session`` ready).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, source: str, stream: str) -> None:
        self._sessions = sessions
        self.source = source
        self.stream = stream
        self.session: AsyncSession
        self._pending: list[events_pb2.EventEnvelope] = []
        self._claimed_request: str | None = None
        self._committed = False

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._pending = []
        self._claimed_request = None
        self._committed = False
        self._open()
        return self

    def _open(self) -> None:
        """Attach repositories to ``self.session``; the base has none."""

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        if self._pending:
            await self.session.execute(
                WRITE_OUTBOX,
                {
                    "ids": [e.id for e in self._pending],
                    "streams": [self.stream] * len(self._pending),
                    "types": [e.type for e in self._pending],
                    "aggregates": [e.aggregate_id for e in self._pending],
                    "envelopes": [e.SerializeToString() for e in self._pending],
                },
            )
        await self.session.commit()
        self._committed = True
        self._pending = []

    async def rollback(self) -> None:
        await self.session.rollback()
        self._pending = []

    def emit(self, *events: message.Message, aggregate_type: str, aggregate_id: str) -> None:
        """Queue integration events; they reach the outbox in this transaction at commit."""
        self._pending.extend(
            envelopes_for(
                events, source=self.source, aggregate_type=aggregate_type, aggregate_id=aggregate_id, now=utc_now()
            )
        )

    async def replay(self, command: Any, result_type: type[R]) -> R | None:
        """Claim ``command.request_id`` for this transaction, or return the result it already produced.

        A concurrent duplicate blocks on the claim until the first transaction ends: if it committed, the
        duplicate gets its result; if it rolled back, the duplicate takes the claim and runs.
        """
        request_id = getattr(command, "request_id", "")
        if not request_id:
            raise InvalidArgument.field("request_id", "is required (the idempotency key of a mutating call)")
        operation = type(command).__name__
        fingerprint = codec.fingerprint(command)
        claimed = await self.session.execute(
            text(
                "INSERT INTO idempotency_keys (request_id, operation, fingerprint) VALUES (:r, :o, :f)"
                " ON CONFLICT (request_id) DO NOTHING RETURNING request_id"
            ),
            {"r": request_id, "o": operation, "f": fingerprint},
        )
        if claimed.first() is not None:
            self._claimed_request = request_id
            return None
        row = (
            await self.session.execute(
                select(idempotency_keys.c.operation, idempotency_keys.c.fingerprint, idempotency_keys.c.result).where(
                    idempotency_keys.c.request_id == request_id
                )
            )
        ).one()
        if row.operation != operation or row.fingerprint != fingerprint:
            raise InvalidArgument(
                f"request_id {request_id} was already used with other arguments",
                reason="IDEMPOTENCY_KEY_REUSED",
                violations=[FieldViolation("request_id", "was already used with other arguments")],
            )
        if row.result is None:
            raise Aborted(f"request {request_id} finished without a recorded result; retry with a new id")
        return codec.loads(result_type, row.result)

    async def remember(self, command: Any, result: Any) -> None:
        """Record ``result`` as the answer to ``command.request_id`` (committed with the work)."""
        request_id = command.request_id
        if self._claimed_request != request_id:
            raise RuntimeError("remember() needs a replay() claim of the same request in this unit of work")
        await self.session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.request_id == request_id)
            .values(result=codec.dumps(result))
        )

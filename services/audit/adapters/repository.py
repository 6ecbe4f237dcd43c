"""The audit repository on PostgreSQL: batched appends under chain-head locks, keyset queries, retention."""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.adapters.tables import audit_chains, audit_checkpoints, audit_entries
from services.audit.application.commands import EntryFilter
from services.audit.domain.chain import changes_json
from services.audit.domain.model import Actor, AuditEntry, ChainHead, Change, Checkpoint

E = audit_entries.c


def entry_row(entry: AuditEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "chain": entry.chain,
        "sequence": entry.sequence,
        "recorded_at": entry.recorded_at,
        "actor_subject": entry.actor.subject,
        "actor_role": entry.actor.role,
        "peer_address": entry.peer_address,
        "occurred_at": entry.occurred_at,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "changes": changes_json(entry.changes),
        "trace_id": entry.trace_id,
        "request_id": entry.request_id,
        "source_event_id": entry.source_event_id or None,
        "source_event_type": entry.source_event_type,
        "payload_json": entry.payload_json,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def entry_of(row: Any) -> AuditEntry:
    return AuditEntry(
        entry_id=str(row.entry_id),
        chain=row.chain,
        sequence=row.sequence,
        recorded_at=row.recorded_at,
        actor=Actor(row.actor_subject, row.actor_role),
        peer_address=row.peer_address,
        occurred_at=row.occurred_at,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        action=row.action,
        changes=tuple(Change(c["field"], c["before"], c["after"]) for c in json.loads(row.changes)),
        trace_id=row.trace_id,
        request_id=row.request_id,
        source_event_id=row.source_event_id or "",
        source_event_type=row.source_event_type,
        payload_json=row.payload_json,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_heads(self, chains: Sequence[str]) -> dict[str, ChainHead]:
        names = sorted(set(chains))
        await self._session.execute(
            text("INSERT INTO audit_chains (chain) SELECT unnest(CAST(:names AS text[])) ON CONFLICT DO NOTHING"),
            {"names": names},
        )
        # ORDER BY before FOR UPDATE: every transaction locks heads in name order, so batches never deadlock.
        rows = await self._session.execute(
            select(audit_chains.c.chain, audit_chains.c.last_sequence, audit_chains.c.last_hash)
            .where(audit_chains.c.chain.in_(names))
            .order_by(audit_chains.c.chain)
            .with_for_update()
        )
        return {row.chain: ChainHead(row.chain, row.last_sequence, row.last_hash) for row in rows}

    async def recorded_events(self, event_ids: Sequence[str]) -> set[str]:
        if not event_ids:
            return set()
        rows = await self._session.execute(select(E.source_event_id).where(E.source_event_id.in_(list(event_ids))))
        return {row.source_event_id for row in rows}

    async def add(self, entries: Sequence[AuditEntry], heads: Sequence[ChainHead]) -> None:
        if not entries:
            return
        await self._session.execute(insert(audit_entries), [entry_row(e) for e in entries])
        await self._session.execute(
            text(
                "UPDATE audit_chains SET last_sequence = moved.last_sequence, last_hash = moved.last_hash,"
                " updated_at = now()"
                " FROM unnest(CAST(:chains AS text[]), CAST(:sequences AS bigint[]), CAST(:hashes AS text[]))"
                " AS moved(chain, last_sequence, last_hash)"
                " WHERE audit_chains.chain = moved.chain"
            ),
            {
                "chains": [h.chain for h in heads],
                "sequences": [h.last_sequence for h in heads],
                "hashes": [h.last_hash for h in heads],
            },
        )

    async def get(self, entry_id: str) -> AuditEntry | None:
        row = (await self._session.execute(select(audit_entries).where(E.entry_id == entry_id))).first()
        return entry_of(row) if row else None

    async def query(self, query: EntryFilter, after: tuple[datetime, str] | None, limit: int) -> list[AuditEntry]:
        conditions = []
        if query.entity_type:
            conditions.append(E.entity_type == query.entity_type)
        if query.entity_id:
            conditions.append(E.entity_id == query.entity_id)
        if query.actor_subject:
            conditions.append(E.actor_subject == query.actor_subject)
        if query.occurred_after is not None:
            conditions.append(E.occurred_at >= query.occurred_after)
        if query.occurred_before is not None:
            conditions.append(E.occurred_at < query.occurred_before)
        key = tuple_(E.occurred_at, E.entry_id)
        if after is not None:
            # A plain tuple takes the columns' types (timestamptz, uuid) for its bound values.
            conditions.append(key < after if query.newest_first else key > after)
        order = [E.occurred_at.desc(), E.entry_id.desc()] if query.newest_first else [E.occurred_at, E.entry_id]
        statement = select(audit_entries).order_by(*order).limit(limit)
        if conditions:
            statement = statement.where(*conditions)
        return [entry_of(row) for row in await self._session.execute(statement)]

    async def chains(self) -> list[str]:
        rows = await self._session.execute(select(audit_chains.c.chain).order_by(audit_chains.c.chain))
        return [row.chain for row in rows]

    async def head(self, chain: str) -> ChainHead | None:
        row = (
            await self._session.execute(
                select(audit_chains.c.last_sequence, audit_chains.c.last_hash).where(audit_chains.c.chain == chain)
            )
        ).first()
        return ChainHead(chain, row.last_sequence, row.last_hash) if row else None

    async def latest_checkpoint(self, chain: str) -> Checkpoint | None:
        row = (
            await self._session.execute(
                select(audit_checkpoints)
                .where(audit_checkpoints.c.chain == chain)
                .order_by(audit_checkpoints.c.through_sequence.desc())
                .limit(1)
            )
        ).first()
        if row is None:
            return None
        return Checkpoint(
            chain=row.chain,
            through_sequence=row.through_sequence,
            through_hash=row.through_hash,
            through_entry_id=str(row.through_entry_id),
            through_recorded_at=row.through_recorded_at,
            removed=row.removed,
            cutoff=row.cutoff,
            retention_days=row.retention_days,
            forced=row.forced,
            created_at=row.created_at,
        )

    async def entry_at(self, chain: str, sequence: int) -> AuditEntry | None:
        row = (
            await self._session.execute(select(audit_entries).where(E.chain == chain, E.sequence == sequence))
        ).first()
        return entry_of(row) if row else None

    async def entries(self, chain: str, from_sequence: int, to_sequence: int | None, limit: int) -> list[AuditEntry]:
        statement = select(audit_entries).where(E.chain == chain, E.sequence >= from_sequence)
        if to_sequence is not None:
            statement = statement.where(E.sequence <= to_sequence)
        rows = await self._session.execute(statement.order_by(E.sequence).limit(limit))
        return [entry_of(row) for row in rows]

    async def lock_pruning(self, chain: str) -> None:
        key = zlib.crc32(f"oms-audit-prune:{chain}".encode())
        await self._session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})

    async def expired_through(self, chain: str, after_sequence: int, cutoff: datetime, limit: int) -> int | None:
        oldest = (
            select(E.sequence, E.recorded_at)
            .where(E.chain == chain, E.sequence > after_sequence)
            .order_by(E.sequence)
            .limit(limit)
            .cte("oldest")
        )
        first_kept = select(func.min(oldest.c.sequence) - 1).where(oldest.c.recorded_at >= cutoff).scalar_subquery()
        last = select(func.max(oldest.c.sequence)).scalar_subquery()
        return await self._session.scalar(select(func.coalesce(first_kept, last)))

    async def prune(self, checkpoint: Checkpoint, after_sequence: int) -> int:
        covered = and_(
            E.chain == checkpoint.chain, E.sequence > after_sequence, E.sequence <= checkpoint.through_sequence
        )
        await self._session.execute(
            insert(audit_checkpoints).values(
                chain=checkpoint.chain,
                through_sequence=checkpoint.through_sequence,
                through_hash=checkpoint.through_hash,
                through_entry_id=checkpoint.through_entry_id,
                through_recorded_at=checkpoint.through_recorded_at,
                removed=select(func.count()).select_from(audit_entries).where(covered).scalar_subquery(),
                cutoff=checkpoint.cutoff,
                retention_days=checkpoint.retention_days,
                forced=checkpoint.forced,
                created_at=checkpoint.created_at,
            )
        )
        removed = await self._session.execute(audit_entries.delete().where(covered))
        return removed.rowcount

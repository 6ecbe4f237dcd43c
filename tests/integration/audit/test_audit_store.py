"""The audit trail in PostgreSQL: the database refuses changes, Verify finds rows tampered with behind its back,
retention removes old entries only through checkpoints, and `oms audit verify` reports all of it."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import grpc
import oms_client
import pytest
from oms.audit.v1 import audit_pb2
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.audit.adapters.cli import verify_command
from services.audit.adapters.unit_of_work import AuditUnitOfWork
from services.audit.application import handlers
from services.audit.application.commands import VerifyChains
from services.audit.domain.chain import entry_hash
from services.audit.domain.model import Actor, Change, Checkpoint, EntryDraft
from services.audit.domain.retention import RetentionPolicy
from shared.db import session_factory, utc_now
from shared.kernel.ids import new_id
from tests.integration.audit.conftest import append_request, chain_name

pb = audit_pb2


async def append_many(client, chain: str, count: int) -> list[pb.AuditEntry]:
    return [(await client.Append(append_request(chain))).entry for _ in range(count)]


async def behind_the_triggers(engine: AsyncEngine, statement: str, **parameters) -> None:
    """What someone with the database's owner or superuser rights could do: switch the triggers off, write."""
    async with engine.begin() as connection:
        await connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        await connection.execute(text(statement), parameters)
        await connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))


async def refused(engine: AsyncEngine, statement: str, **parameters) -> str:
    with pytest.raises(DBAPIError) as error:
        async with engine.begin() as connection:
            await connection.execute(text(statement), parameters)
    return str(error.value.orig)


async def broken_link(client, chain: str) -> pb.BrokenLink:
    report = await client.Verify(pb.VerifyRequest(chain=chain))
    assert not report.intact
    [result] = report.chains
    assert result.HasField("broken")
    return result.broken


async def test_the_database_refuses_to_change_or_remove_entries(client, engine):
    chain = chain_name("order")
    first, _ = await append_many(client, chain, 2)
    assert "append-only" in await refused(engine, "UPDATE audit_entries SET entity_id = 'x' WHERE chain = :c", c=chain)
    assert "retention checkpoint" in await refused(engine, "DELETE FROM audit_entries WHERE chain = :c", c=chain)
    assert "append-only" in await refused(engine, "TRUNCATE audit_entries CASCADE")
    assert "append-only" in await refused(engine, "DELETE FROM audit_chains WHERE chain = :c", c=chain)
    assert "only moves forward" in await refused(
        engine, "UPDATE audit_chains SET last_sequence = 1 WHERE chain = :c", c=chain
    )
    assert "append-only" in await refused(engine, "DELETE FROM audit_checkpoints")
    assert "append-only" in await refused(engine, "UPDATE audit_checkpoints SET removed = 0")
    forged_checkpoint = (
        "INSERT INTO audit_checkpoints (chain, through_sequence, through_hash, through_entry_id,"
        " through_recorded_at, removed, cutoff, retention_days, forced, created_at)"
        " VALUES (:c, 1, :h, :e, now(), 1, :cutoff, 180, :forced, now())"
    )
    assert "existing entry" in await refused(
        engine, forged_checkpoint, c=chain, h="ab" * 32, e=first.entry_id, cutoff=utc_now(), forced=True
    )
    assert "not past the retention cutoff" in await refused(
        engine,
        forged_checkpoint,
        c=chain,
        h=first.hash,
        e=first.entry_id,
        cutoff=utc_now() - timedelta(days=1),
        forced=True,
    )
    assert "must be forced" in await refused(
        engine, forged_checkpoint, c=chain, h=first.hash, e=first.entry_id, cutoff=utc_now(), forced=False
    )
    assert (await client.Verify(pb.VerifyRequest(chain=chain))).intact


async def test_verify_names_the_first_altered_entry_with_expected_and_found_hash(client, engine, new_uow):
    chain = chain_name("order")
    entries = await append_many(client, chain, 5)
    victim = entries[2]
    await behind_the_triggers(
        engine,
        "UPDATE audit_entries SET entity_id = 'forged', action = 'nothing' WHERE entry_id = :e",
        e=victim.entry_id,
    )
    link = await broken_link(client, chain)
    assert link.kind == pb.BREAK_KIND_HASH_MISMATCH
    assert (link.entry_id, link.sequence) == (victim.entry_id, 3)
    assert link.found == victim.hash
    async with new_uow() as uow:
        tampered = await uow.entries.get(victim.entry_id)
    assert tampered.entity_id == "forged"
    assert link.expected == entry_hash(tampered) != victim.hash
    assert (await client.Verify(pb.VerifyRequest(chain=chain, to_sequence=2))).intact
    # A range after the break is anchored on the stored hash of the entry before it, so it checks out:
    # a range proves only itself, which is why the whole chain is what auditors verify.
    assert (await client.Verify(pb.VerifyRequest(chain=chain, from_sequence=4))).intact


async def test_verify_finds_a_rehashed_forgery_at_the_next_link(client, engine, new_uow):
    chain = chain_name("order")
    entries = await append_many(client, chain, 4)
    async with new_uow() as uow:
        original = await uow.entries.get(entries[1].entry_id)
    forged = replace(original, entity_id="forged", changes=(Change("total", 100, 1),))
    await behind_the_triggers(
        engine,
        "UPDATE audit_entries SET entity_id = :i, changes = :c, hash = :h WHERE entry_id = :e",
        i=forged.entity_id,
        c='[{"after":1,"before":100,"field":"total"}]',
        h=entry_hash(forged),
        e=forged.entry_id,
    )
    link = await broken_link(client, chain)
    assert link.kind == pb.BREAK_KIND_PREV_HASH_MISMATCH
    assert (link.entry_id, link.sequence) == (entries[2].entry_id, 3)
    assert (link.expected, link.found) == (entry_hash(forged), entries[1].hash)


async def test_verify_finds_removed_entries(client, engine):
    middle, tail = chain_name("order"), chain_name("order")
    gap = await append_many(client, middle, 4)
    await behind_the_triggers(engine, "DELETE FROM audit_entries WHERE entry_id = :e", e=gap[1].entry_id)
    link = await broken_link(client, middle)
    assert link.kind == pb.BREAK_KIND_SEQUENCE_GAP
    assert (link.entry_id, link.sequence, link.expected, link.found) == (gap[2].entry_id, 3, "2", "3")
    end = await append_many(client, tail, 3)
    await behind_the_triggers(engine, "DELETE FROM audit_entries WHERE entry_id = :e", e=end[2].entry_id)
    link = await broken_link(client, tail)
    assert link.kind == pb.BREAK_KIND_HEAD_MISMATCH
    assert (link.entry_id, link.sequence) == (end[1].entry_id, 2)
    assert (link.expected, link.found) == (end[2].hash, end[1].hash)


@pytest.fixture
async def own_database(service_database) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of one test, for what looks at every chain (retention, the CLI)."""
    url = await service_database("audit")
    engine = create_async_engine(url)
    yield url, engine
    await engine.dispose()


def draft(chain: str, entity_id: str) -> EntryDraft:
    return EntryDraft(
        entry_id=new_id(),
        actor=Actor("orders", "service"),
        peer_address="",
        occurred_at=utc_now(),
        entity_type=chain,
        entity_id=entity_id,
        action="OrderPlaced",
        source_event_id=new_id(),
        source_event_type="oms.orders.v1.OrderPlaced",
        payload_json='{"order_id":"𠮷"}',
    )


async def test_retention_removes_old_entries_behind_a_checkpoint_and_verify_still_holds(own_database):
    _, engine = own_database
    sessions = session_factory(engine)

    def new_uow() -> AuditUnitOfWork:
        return AuditUnitOfWork(sessions, source="audit", stream="test.audit")

    now = utc_now()
    for age_days, entity in [(400, "o-1"), (250, "o-2"), (200, "o-3"), (181, "o-4"), (179, "o-5"), (0, "o-6")]:
        async with new_uow() as uow:
            await handlers.record(uow, [draft("order", entity)], now - timedelta(days=age_days))
            await uow.commit()
    async with new_uow() as uow:
        await handlers.record(uow, [draft("payment", "p-1")], now)
        await uow.commit()

    made = await handlers.prune_expired(RetentionPolicy(), new_uow, now=now, batch=3)
    assert [(c.chain, c.through_sequence, c.removed, c.forced) for c in made] == [
        ("order", 3, 3, False),
        ("order", 4, 1, False),
    ]
    async with engine.connect() as connection:
        left = (await connection.execute(text("SELECT entity_id FROM audit_entries ORDER BY entity_id"))).all()
        checkpoints = await connection.scalar(text("SELECT count(*) FROM audit_checkpoints"))
    assert [row.entity_id for row in left] == ["o-5", "o-6", "p-1"]
    assert checkpoints == 2
    report = await handlers.verify_chains(VerifyChains(), new_uow())
    assert report.intact
    assert [(c.chain, c.first_sequence, c.entries_checked) for c in report.chains] == [
        ("order", 5, 2),
        ("payment", 1, 1),
    ]
    assert await handlers.prune_expired(RetentionPolicy(), new_uow, now=now) == []
    assert "retention checkpoint" in await refused(engine, "DELETE FROM audit_entries WHERE entity_id = 'o-5'")

    forced = await handlers.prune_expired(RetentionPolicy(30, forced=True), new_uow, now=now + timedelta(days=31))
    assert [(c.chain, c.through_sequence, c.retention_days) for c in forced] == [("order", 6, 30), ("payment", 1, 30)]
    report = await handlers.verify_chains(VerifyChains(), new_uow())
    assert report.intact
    assert [c.entries_checked for c in report.chains] == [0, 0]
    async with new_uow() as uow:
        await handlers.record(uow, [draft("order", "o-7")], now)
        await uow.commit()
    report = await handlers.verify_chains(VerifyChains(chain="order"), new_uow())
    assert report.intact and report.chains[0].first_sequence == 7


async def test_the_database_refuses_an_unforced_checkpoint_inside_the_minimum(own_database):
    _, engine = own_database
    sessions = session_factory(engine)
    now = utc_now()
    async with AuditUnitOfWork(sessions, source="audit", stream="test.audit") as uow:
        [entry] = await handlers.record(uow, [draft("order", "o-1")], now - timedelta(days=30))
        await uow.commit()
    checkpoint = Checkpoint(
        chain="order",
        through_sequence=1,
        through_hash=entry.hash,
        through_entry_id=entry.entry_id,
        through_recorded_at=entry.recorded_at,
        removed=0,
        cutoff=now - timedelta(days=10),
        retention_days=10,
        forced=False,
        created_at=now,
    )
    with pytest.raises(DBAPIError) as error:
        async with AuditUnitOfWork(sessions, source="audit", stream="test.audit") as uow:
            await uow.entries.prune(checkpoint, 0)
    assert "must be forced" in str(error.value.orig)


async def test_the_cli_verifies_every_chain_and_exits_non_zero_on_a_break(own_database):
    url, engine = own_database
    out = io.StringIO()
    assert await verify_command(url, out=out) == 0
    assert "no audit chains yet" in out.getvalue()
    sessions = session_factory(engine)
    async with AuditUnitOfWork(sessions, source="audit", stream="test.audit") as uow:
        recorded = await handlers.record(
            uow, [draft("order", f"o-{i}") for i in range(3)] + [draft("payment", "p-1")], utc_now()
        )
        await uow.commit()
    out = io.StringIO()
    assert await verify_command(url, out=out) == 0
    assert "order: intact, 3 entries (1..3)" in out.getvalue()
    assert out.getvalue().rstrip().endswith("audit trail intact")

    await behind_the_triggers(
        engine, "UPDATE audit_entries SET entity_id = 'x' WHERE entry_id = :e", e=recorded[1].entry_id
    )
    out = io.StringIO()
    assert await verify_command(url, out=out) == 1
    report = out.getvalue()
    assert f"order: BROKEN at sequence 2 (entry {recorded[1].entry_id}): HASH_MISMATCH" in report
    assert f"found {recorded[1].hash}" in report
    assert "payment: intact" in report
    assert report.rstrip().endswith("AUDIT TRAIL BROKEN")

    out = io.StringIO()
    assert await verify_command(url, chain="refund", out=out) == 2
    assert "no entries" in out.getvalue()
    unreachable = url.rsplit("/", 1)[0].rsplit("@", 1)[0] + "@127.0.0.1:1/nowhere"
    out = io.StringIO()
    assert await verify_command(unreachable, out=out) == 2
    assert out.getvalue().startswith("cannot verify")


async def test_verify_of_an_unknown_chain_over_grpc_is_not_found(client):
    with pytest.raises(oms_client.OmsRpcError) as missing:
        await client.Verify(pb.VerifyRequest(chain=chain_name("none")))
    assert missing.value.code == grpc.StatusCode.NOT_FOUND


async def test_the_same_events_recorded_concurrently_make_one_entry_each(own_database):
    _, engine = own_database
    sessions = session_factory(engine)
    drafts = [draft("order", f"o-{i}") for i in range(20)] + [draft("payment", "p-1")]

    async def record_all(order: list[EntryDraft]) -> int:
        async with AuditUnitOfWork(sessions, source="audit", stream="test.audit") as uow:
            recorded = await handlers.record(uow, order, utc_now())
            await uow.commit()
        return len(recorded)

    # The same events, some batches in reverse order: locks are taken in chain order, so none deadlock.
    counts = await asyncio.gather(*(record_all(drafts if i % 2 else drafts[::-1]) for i in range(6)))
    assert sorted(counts) == [0, 0, 0, 0, 0, 21]
    async with engine.connect() as connection:
        stored = await connection.scalar(text("SELECT count(*) FROM audit_entries"))
    assert stored == 21
    assert (await handlers.verify_chains(VerifyChains(), AuditUnitOfWork(sessions, source="audit", stream=""))).intact

"""Audit handlers against an in-memory unit of work: append, record, query, verify, prune."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.audit.application import handlers
from services.audit.application.commands import (
    AppendEntry,
    CallOrigin,
    EntryFilter,
    QueryEntries,
    VerifyChains,
)
from services.audit.domain.chain import BreakKind
from services.audit.domain.errors import AuditEntryNotFound, ChainNotFound
from services.audit.domain.model import Actor, AuditEntry, ChainHead, Change, Checkpoint, EntryDraft
from services.audit.domain.retention import RetentionPolicy
from shared.kernel import codec
from shared.kernel.errors import InvalidArgument, PermissionDenied
from shared.kernel.ids import new_id

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class MemoryAudit:
    """The state a database would hold: entries, heads, checkpoints, idempotency records."""

    def __init__(self) -> None:
        self.entries: dict[str, AuditEntry] = {}
        self.heads: dict[str, ChainHead] = {}
        self.checkpoints: list[Checkpoint] = []
        self.results: dict[str, tuple[str, str | None]] = {}


class MemoryRepository:
    def __init__(self, state: MemoryAudit) -> None:
        self.state = state
        self.locked: list[list[str]] = []

    async def lock_heads(self, chains: Sequence[str]) -> dict[str, ChainHead]:
        self.locked.append(list(chains))
        return {c: self.state.heads.get(c, ChainHead(c)) for c in chains}

    async def recorded_events(self, event_ids: Sequence[str]) -> set[str]:
        known = {e.source_event_id for e in self.state.entries.values()}
        return {i for i in event_ids if i in known}

    async def add(self, entries, heads) -> None:
        for entry in entries:
            self.state.entries[entry.entry_id] = entry
        for head in heads:
            self.state.heads[head.chain] = head

    async def get(self, entry_id: str) -> AuditEntry | None:
        return self.state.entries.get(entry_id)

    async def query(self, query: EntryFilter, after, limit: int) -> list[AuditEntry]:
        def matches(e: AuditEntry) -> bool:
            return (
                (not query.entity_type or e.entity_type == query.entity_type)
                and (not query.entity_id or e.entity_id == query.entity_id)
                and (not query.actor_subject or e.actor.subject == query.actor_subject)
                and (query.occurred_after is None or e.occurred_at >= query.occurred_after)
                and (query.occurred_before is None or e.occurred_at < query.occurred_before)
            )

        found = sorted(
            (e for e in self.state.entries.values() if matches(e)),
            key=lambda e: (e.occurred_at, e.entry_id),
            reverse=query.newest_first,
        )
        if after is not None:
            found = [e for e in found if ((e.occurred_at, e.entry_id) < after) == query.newest_first]
            found = [e for e in found if (e.occurred_at, e.entry_id) != after]
        return found[:limit]

    async def chains(self) -> list[str]:
        return sorted(self.state.heads)

    async def head(self, chain: str) -> ChainHead | None:
        return self.state.heads.get(chain)

    async def latest_checkpoint(self, chain: str) -> Checkpoint | None:
        mine = [c for c in self.state.checkpoints if c.chain == chain]
        return max(mine, key=lambda c: c.through_sequence, default=None)

    async def entry_at(self, chain: str, sequence: int) -> AuditEntry | None:
        return next((e for e in self.state.entries.values() if (e.chain, e.sequence) == (chain, sequence)), None)

    async def entries(self, chain: str, from_sequence: int, to_sequence: int | None, limit: int) -> list[AuditEntry]:
        last = to_sequence if to_sequence is not None else float("inf")
        mine = [e for e in self.state.entries.values() if e.chain == chain and from_sequence <= e.sequence <= last]
        return sorted(mine, key=lambda e: e.sequence)[:limit]

    async def lock_pruning(self, chain: str) -> None:
        return None

    async def expired_through(self, chain: str, after_sequence: int, cutoff: datetime, limit: int) -> int | None:
        window = await self.entries(chain, after_sequence + 1, None, limit)
        if not window:
            return None
        through = after_sequence
        for entry in window:
            if entry.recorded_at >= cutoff:
                break
            through = entry.sequence
        return through

    async def prune(self, checkpoint: Checkpoint, after_sequence: int) -> int:
        self.state.checkpoints.append(checkpoint)
        doomed = [
            e.entry_id
            for e in self.state.entries.values()
            if e.chain == checkpoint.chain and after_sequence < e.sequence <= checkpoint.through_sequence
        ]
        for entry_id in doomed:
            del self.state.entries[entry_id]
        return len(doomed)


class MemoryUnitOfWork:
    def __init__(self, state: MemoryAudit) -> None:
        self.state = state
        self.entries = MemoryRepository(state)
        self.committed = False
        self.snapshots = 0

    async def __aenter__(self):
        self.committed = False
        return self

    async def __aexit__(self, *exc_info) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True

    async def snapshot(self) -> None:
        self.snapshots += 1

    async def replay(self, command, result_type):
        stored = self.state.results.get(command.request_id)
        if stored is None:
            self.state.results[command.request_id] = (codec.fingerprint(command), None)
            return None
        if stored[0] != codec.fingerprint(command):
            raise InvalidArgument.field("request_id", "was already used", reason="IDEMPOTENCY_KEY_REUSED")
        return codec.loads(result_type, stored[1])

    async def remember(self, command, result) -> None:
        self.state.results[command.request_id] = (codec.fingerprint(command), codec.dumps(result))


@pytest.fixture
def state() -> MemoryAudit:
    return MemoryAudit()


@pytest.fixture
def uow(state) -> MemoryUnitOfWork:
    return MemoryUnitOfWork(state)


def event_draft(entity_type="order", entity_id="o-1", event_id=None, occurred_at=NOW) -> EntryDraft:
    return EntryDraft(
        entry_id=new_id(),
        actor=Actor("orders", "service"),
        peer_address="",
        occurred_at=occurred_at,
        entity_type=entity_type,
        entity_id=entity_id,
        action="OrderPlaced",
        source_event_id=event_id or new_id(),
        source_event_type="oms.orders.v1.OrderPlaced",
    )


def append(request_id="op-1", **overrides) -> AppendEntry:
    fields = {
        "request_id": request_id,
        "actor_subject": "li.na",
        "actor_role": "supervisor",
        "peer_address": "",
        "entity_type": "order",
        "entity_id": "o-1",
        "action": "order.unlock",
        "changes": (Change("locked", True, False),),
        "note": "warehouse asked for it, 工单 𠮷",
    }
    fields.update(overrides)
    return AppendEntry(**fields)


ORIGIN = CallOrigin(peer_address="ipv4:10.1.2.3:5555", trace_id="ab" * 16)


async def test_record_locks_each_chain_once_per_batch_and_skips_redelivered_events(uow, state):
    first = [event_draft("order"), event_draft("payment"), event_draft("order", "o-2")]
    async with uow:
        recorded = await handlers.record(uow, first, NOW)
    assert [(e.chain, e.sequence) for e in recorded] == [("order", 1), ("payment", 1), ("order", 2)]
    assert uow.entries.locked == [["order", "payment"]]
    again = [first[1], event_draft("order", event_id=first[0].source_event_id), event_draft("order", "o-3")]
    async with uow:
        recorded = await handlers.record(uow, [*again, again[2]], NOW)
    assert [(e.chain, e.entity_id, e.sequence) for e in recorded] == [("order", "o-3", 3)]
    assert len(state.entries) == 4
    assert state.heads["order"].last_sequence == 3


async def test_append_builds_the_entry_from_the_command_and_the_call(uow, state):
    entry = await handlers.append_entry(append(), ORIGIN, uow, now=NOW)
    assert uow.committed
    assert entry.actor == Actor("li.na", "supervisor")
    assert entry.peer_address == ORIGIN.peer_address
    assert entry.trace_id == ORIGIN.trace_id
    assert entry.occurred_at == NOW
    assert entry.source_event_id == ""
    assert entry.payload_json == '{"note": "warehouse asked for it, 工单 𠮷"}'
    assert (entry.chain, entry.sequence) == ("order", 1)
    assert state.entries[entry.entry_id] == entry


async def test_append_replays_the_first_entry_even_from_another_connection(uow, state):
    first = await handlers.append_entry(append(), ORIGIN, uow, now=NOW)
    later = NOW + timedelta(seconds=5)
    again = await handlers.append_entry(append(), CallOrigin("ipv4:10.1.2.3:6000", "cd" * 16), uow, now=later)
    assert again == first
    assert len(state.entries) == 1
    with pytest.raises(InvalidArgument) as refused:
        await handlers.append_entry(append(entity_id="o-2"), ORIGIN, uow, now=NOW)
    assert refused.value.reason == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"request_id": ""}, "request_id"),
        ({"actor_subject": ""}, "actor.subject"),
        ({"entity_type": "Order"}, "entity_type"),
        ({"entity_id": ""}, "entity_id"),
        ({"action": "x" * 101}, "action"),
        ({"note": "a\x00"}, "note"),
        ({"changes": (Change("", 1, 2),)}, "changes[0].field"),
        ({"changes": (Change("a", 1, 2), Change("b", float("nan"), 2))}, "changes[1].before"),
        ({"changes": (Change("a", None, float("inf")),)}, "changes[0].after"),
        ({"occurred_at": NOW + timedelta(hours=1)}, "occurred_at"),
    ],
)
async def test_append_refuses_bad_input_before_touching_the_store(uow, state, overrides, field):
    with pytest.raises(InvalidArgument) as refused:
        await handlers.append_entry(append(**overrides), ORIGIN, uow, now=NOW)
    assert refused.value.violations[0].field == field
    assert state.entries == {} and state.results == {}


async def test_get_entry(uow):
    entry = await handlers.append_entry(append(), ORIGIN, uow, now=NOW)
    assert await handlers.get_entry(entry.entry_id.upper(), uow) == entry
    with pytest.raises(AuditEntryNotFound):
        await handlers.get_entry(new_id(), uow)
    with pytest.raises(InvalidArgument) as refused:
        await handlers.get_entry("nope", uow)
    assert refused.value.violations[0].field == "entry_id"


async def test_query_pages_through_every_match_once(uow):
    drafts = [event_draft("order", "o-1", occurred_at=NOW + timedelta(seconds=i)) for i in range(7)]
    async with uow:
        await handlers.record(uow, [*drafts, event_draft("order", "o-2")], NOW)
    for newest_first in (False, True):
        wanted = EntryFilter(entity_type="order", entity_id="o-1", newest_first=newest_first)
        seen, token = [], ""
        for _ in range(10):
            page = await handlers.query_entries(QueryEntries(wanted, page_size=3, page_token=token), uow)
            seen.extend(page.entries)
            token = page.next_page_token
            if not token:
                break
        expected = [d.entry_id for d in drafts]
        assert [e.entry_id for e in seen] == (expected[::-1] if newest_first else expected)


@pytest.mark.parametrize(
    ("wanted", "field"),
    [
        (EntryFilter(entity_id="o-1"), "entity_type"),
        (EntryFilter(entity_type="Order"), "entity_type"),
        (EntryFilter(occurred_after=NOW, occurred_before=NOW), "occurred_before"),
    ],
)
async def test_query_refuses_bad_filters(uow, wanted, field):
    with pytest.raises(InvalidArgument) as refused:
        await handlers.query_entries(QueryEntries(wanted), uow)
    assert refused.value.violations[0].field == field


async def test_verify_reports_each_chain_in_a_snapshot(uow, state):
    async with uow:
        await handlers.record(uow, [event_draft("order") for _ in range(5)] + [event_draft("payment")], NOW)
    report = await handlers.verify_chains(VerifyChains(), uow, page=2)
    assert report.intact
    assert [(c.chain, c.entries_checked) for c in report.chains] == [("order", 5), ("payment", 1)]
    assert uow.snapshots == 1
    victim = next(e for e in state.entries.values() if (e.chain, e.sequence) == ("order", 4))
    state.entries[victim.entry_id] = replace(victim, entity_id="o-forged")
    report = await handlers.verify_chains(VerifyChains(chain="order"), uow, page=2)
    assert not report.intact
    [order] = report.chains
    assert (order.broken.kind, order.broken.entry_id, order.broken.sequence) == (
        BreakKind.HASH_MISMATCH,
        victim.entry_id,
        4,
    )
    ranged = await handlers.verify_chains(VerifyChains(chain="order", from_sequence=2, to_sequence=3), uow)
    assert ranged.intact
    assert (ranged.chains[0].first_sequence, ranged.chains[0].last_sequence) == (2, 3)


async def test_verify_refuses_bad_ranges_and_unknown_chains(uow):
    for command, field in [
        (VerifyChains(chain="Bad"), "chain"),
        (VerifyChains(from_sequence=-1), "from_sequence"),
        (VerifyChains(to_sequence=-1), "to_sequence"),
        (VerifyChains(from_sequence=5, to_sequence=4), "to_sequence"),
    ]:
        with pytest.raises(InvalidArgument) as refused:
            await handlers.verify_chains(command, uow)
        assert refused.value.violations[0].field == field
    with pytest.raises(ChainNotFound):
        await handlers.verify_chains(VerifyChains(chain="refund"), uow)


async def test_prune_removes_only_expired_entries_behind_checkpoints_and_verify_still_holds(state):
    clock = itertools.count()
    days = [400, 300, 200, 190, 100, 10]
    for age in days:
        uow = MemoryUnitOfWork(state)
        async with uow:
            await handlers.record(uow, [event_draft("order")], NOW - timedelta(days=age, seconds=next(clock)))
    made = await handlers.prune_expired(RetentionPolicy(180), lambda: MemoryUnitOfWork(state), now=NOW, batch=3)
    assert [(c.through_sequence, c.removed) for c in made] == [(3, 3), (4, 1)]
    assert made[-1].through_hash == state.checkpoints[-1].through_hash
    assert sorted(e.sequence for e in state.entries.values()) == [5, 6]
    report = await handlers.verify_chains(VerifyChains(), MemoryUnitOfWork(state))
    assert report.intact
    assert report.chains[0].first_sequence == 5
    assert await handlers.prune_expired(RetentionPolicy(180), lambda: MemoryUnitOfWork(state), now=NOW) == []
    forced = await handlers.prune_expired(RetentionPolicy(7, forced=True), lambda: MemoryUnitOfWork(state), now=NOW)
    assert [(c.through_sequence, c.forced, c.retention_days) for c in forced] == [(6, True, 7)]
    assert (await handlers.verify_chains(VerifyChains(), MemoryUnitOfWork(state))).intact


def test_only_delegating_roles_record_for_someone_else():
    caller = Actor("li.na", "finance")
    assert handlers.acting_actor(None, "", caller) == caller
    assert handlers.acting_actor(Actor("li.na", "finance"), "", caller) == caller
    for named, peer in [(Actor("zhang.wei", "finance"), ""), (Actor("li.na", "admin"), ""), (None, "203.0.113.9")]:
        with pytest.raises(PermissionDenied) as refused:
            handlers.acting_actor(named, peer, caller)
        assert refused.value.reason == "ACTOR_NOT_CALLER"
    gateway = Actor("gateway", "service")
    assert handlers.acting_actor(Actor("zhang.wei", "customer_service"), "203.0.113.9", gateway) == Actor(
        "zhang.wei", "customer_service"
    )
    assert handlers.acting_actor(None, "", Actor("root", "admin")) == Actor("root", "admin")
    with pytest.raises(InvalidArgument) as refused:
        handlers.acting_actor(Actor("", "admin"), "", gateway)
    assert refused.value.violations[0].field == "actor.subject"

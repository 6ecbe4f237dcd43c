"""Audit use cases: record events and operator actions on the chains, query, verify, prune by retention."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from services.audit.application import pagination
from services.audit.application.commands import (
    AppendEntry,
    CallOrigin,
    EntryPage,
    QueryEntries,
    VerificationReport,
    VerifyChains,
)
from services.audit.application.ports import AuditUnitOfWork
from services.audit.domain import rules
from services.audit.domain.chain import GENESIS, Anchor, ChainVerification, ChainVerifier, seal_batch
from services.audit.domain.errors import AuditEntryNotFound, ChainNotFound
from services.audit.domain.model import Actor, AuditEntry, Checkpoint, EntryDraft
from services.audit.domain.retention import RetentionPolicy
from shared.kernel.errors import InvalidArgument, PermissionDenied
from shared.kernel.ids import is_valid_id, new_id

# Roles that act for others: the gateway records what its users did, an admin may correct attribution.
DELEGATING_ROLES = frozenset({"service", "admin"})
# Operators may log what they did a moment ago on a machine whose clock runs slightly ahead.
CLOCK_SKEW = timedelta(minutes=5)
VERIFY_PAGE = 1000
PRUNE_BATCH = 10_000


async def record(uow: AuditUnitOfWork, drafts: Sequence[EntryDraft], recorded_at: datetime) -> list[AuditEntry]:
    """Seal ``drafts`` onto their chains inside the caller's open transaction; returns the new entries.

    Each chain's head is locked once for the whole batch, so appends to a chain are serialised and a batch
    costs one lock per chain. A draft whose source event already has an entry (a redelivery) is skipped;
    the check runs after the locks, when no other transaction can be adding the same event to the chain.
    """
    unique: dict[str, EntryDraft] = {}
    keyed: list[EntryDraft] = []
    for draft in drafts:
        if not draft.source_event_id:
            keyed.append(draft)
        elif draft.source_event_id not in unique:
            unique[draft.source_event_id] = draft
            keyed.append(draft)
    if not keyed:
        return []
    heads = await uow.entries.lock_heads(sorted({d.chain for d in keyed}))
    seen = await uow.entries.recorded_events(list(unique))
    fresh = [d for d in keyed if not d.source_event_id or d.source_event_id not in seen]
    if not fresh:
        return []
    entries, moved = seal_batch(fresh, heads, recorded_at)
    await uow.entries.add(entries, list(moved.values()))
    return entries


def acting_actor(named: Actor | None, peer_address: str, caller: Actor) -> Actor:
    """Who an Append records: the caller, or the actor it names when the caller may act for others.

    A caller that may not delegate can neither name someone else nor claim another peer address: the trail
    would otherwise say whatever its writer wanted.
    """
    if named is not None and named.role and not named.subject:
        raise InvalidArgument.field("actor.subject", "is required when an actor is named")
    delegating = caller.role in DELEGATING_ROLES
    if named is not None and named.subject and named != caller and not delegating:
        raise PermissionDenied(
            f"role {caller.role} records only its own actions",
            reason="ACTOR_NOT_CALLER",
            metadata={"role": caller.role},
        )
    if peer_address and not delegating:
        raise PermissionDenied(
            f"role {caller.role} may not set peer_address", reason="ACTOR_NOT_CALLER", metadata={"role": caller.role}
        )
    return named if named is not None and named.subject else caller


def operator_draft(command: AppendEntry, origin: CallOrigin, *, now: datetime, entry_id: str) -> EntryDraft:
    """Check an Append request and describe its entry; InvalidArgument names the first bad field."""
    rules.check_text("actor.subject", command.actor_subject, rules.MAX_SUBJECT)
    rules.check_text("actor.role", command.actor_role, rules.MAX_ROLE, required=False)
    rules.check_text("peer_address", command.peer_address, rules.MAX_PEER, required=False)
    rules.check_entity_type("entity_type", command.entity_type)
    rules.check_text("entity_id", command.entity_id, rules.MAX_ENTITY_ID)
    rules.check_text("action", command.action, rules.MAX_ACTION)
    rules.check_text("note", command.note, rules.MAX_NOTE, required=False)
    if len(command.changes) > rules.MAX_CHANGES:
        raise InvalidArgument.field("changes", f"must hold at most {rules.MAX_CHANGES} fields")
    for index, change in enumerate(command.changes):
        rules.check_text(f"changes[{index}].field", change.field, rules.MAX_FIELD)
        for side in ("before", "after"):
            _check_json_value(f"changes[{index}].{side}", getattr(change, side))
    occurred_at = command.occurred_at or now
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidArgument.field("occurred_at", "must not be in the future")
    return EntryDraft(
        entry_id=entry_id,
        actor=Actor(command.actor_subject, command.actor_role),
        peer_address=command.peer_address or rules.clean_text(origin.peer_address, rules.MAX_PEER),
        occurred_at=occurred_at,
        entity_type=command.entity_type,
        entity_id=command.entity_id,
        action=command.action,
        changes=command.changes,
        trace_id=origin.trace_id,
        request_id=command.request_id,
        payload_json=json.dumps({"note": command.note} if command.note else {}, ensure_ascii=False),
    )


def _check_json_value(field: str, value: object) -> None:
    # The hash is over canonical JSON, where NaN and infinities have no form (NUL is escaped, so it may stay).
    try:
        json.dumps(value, allow_nan=False)
    except (ValueError, TypeError) as error:
        raise InvalidArgument.field(field, "must be a JSON value without NaN or infinity") from error


async def append_entry(
    command: AppendEntry,
    origin: CallOrigin,
    uow: AuditUnitOfWork,
    *,
    now: datetime,
    entry_id: Callable[[], str] = new_id,
) -> AuditEntry:
    """Append an operator action; idempotent on request_id (a replay returns the first entry)."""
    if not command.request_id:
        raise InvalidArgument.field("request_id", "is required (the idempotency key of a mutating call)")
    rules.check_text("request_id", command.request_id, rules.MAX_ENTITY_ID)
    draft = operator_draft(command, origin, now=now, entry_id=entry_id())
    async with uow:
        if (previous := await uow.replay(command, AuditEntry)) is not None:
            return previous
        [entry] = await record(uow, [draft], now)
        await uow.remember(command, entry)
        await uow.commit()
    return entry


async def get_entry(entry_id: str, uow: AuditUnitOfWork) -> AuditEntry:
    if not is_valid_id(entry_id):
        raise InvalidArgument.field("entry_id", "must be a UUID")
    async with uow:
        entry = await uow.entries.get(entry_id.lower())
    if entry is None:
        raise AuditEntryNotFound(entry_id)
    return entry


def _check_filter(query: QueryEntries) -> None:
    wanted = query.filter
    if wanted.entity_type:
        rules.check_entity_type("entity_type", wanted.entity_type)
    if wanted.entity_id:
        if not wanted.entity_type:
            raise InvalidArgument.field("entity_type", "is required when entity_id is given")
        rules.check_text("entity_id", wanted.entity_id, rules.MAX_ENTITY_ID)
    rules.check_text("actor_subject", wanted.actor_subject, rules.MAX_SUBJECT, required=False)
    if wanted.occurred_after and wanted.occurred_before and wanted.occurred_before <= wanted.occurred_after:
        raise InvalidArgument.field("occurred_before", "must be after occurred_after")


async def query_entries(query: QueryEntries, uow: AuditUnitOfWork) -> EntryPage:
    """One page of entries matching the filter, in (occurred_at, entry_id) order."""
    _check_filter(query)
    size = pagination.page_size(query.page_size)
    cursor = pagination.decode(query.page_token, query.filter)
    async with uow:
        found = await uow.entries.query(query.filter, cursor, size + 1)
    page = found[:size]
    token = ""
    if len(found) > size:
        last = page[-1]
        token = pagination.encode(last.occurred_at, last.entry_id, query.filter)
    return EntryPage(tuple(page), token)


def _check_verify(command: VerifyChains) -> None:
    if command.chain:
        rules.check_entity_type("chain", command.chain)
    if command.from_sequence < 0:
        raise InvalidArgument.field("from_sequence", "must not be negative")
    if command.to_sequence < 0:
        raise InvalidArgument.field("to_sequence", "must not be negative")
    if command.to_sequence and command.to_sequence < command.from_sequence:
        raise InvalidArgument.field("to_sequence", "must not be before from_sequence")


async def verify_chains(command: VerifyChains, uow: AuditUnitOfWork, *, page: int = VERIFY_PAGE) -> VerificationReport:
    """Recompute the chains in one read-only snapshot and report the first broken link of each."""
    _check_verify(command)
    async with uow:
        await uow.snapshot()
        chains = [command.chain] if command.chain else await uow.entries.chains()
        results = [await _verify_chain(uow, chain, command, page) for chain in chains]
    return VerificationReport(tuple(results))


async def _verify_chain(uow: AuditUnitOfWork, chain: str, command: VerifyChains, page: int) -> ChainVerification:
    head = await uow.entries.head(chain)
    if head is None:
        raise ChainNotFound(chain)
    checkpoint = await uow.entries.latest_checkpoint(chain)
    floor = Anchor(checkpoint.through_sequence, checkpoint.through_hash) if checkpoint else GENESIS
    start = max(command.from_sequence, floor.sequence + 1)
    verifier = ChainVerifier(chain, floor)
    if start > floor.sequence + 1:
        before = await uow.entries.entry_at(chain, start - 1)
        if before is None:
            verifier.missing_start(start - 1)
            return verifier.result()
        verifier = ChainVerifier(chain, Anchor(before.sequence, before.hash))
    # Reading to the end (not to the head's sequence) so entries slipped in after the head show up too.
    end = command.to_sequence or None
    cursor = start
    while end is None or cursor <= end:
        batch = await uow.entries.entries(chain, cursor, end, page)
        if not batch or not all(verifier.feed(e) for e in batch):
            break
        cursor = batch[-1].sequence + 1
    if end is None or end >= head.last_sequence:
        verifier.check_head(head)
    return verifier.result()


async def prune_expired(
    policy: RetentionPolicy, uow_factory: Callable[[], AuditUnitOfWork], *, now: datetime, batch: int = PRUNE_BATCH
) -> list[Checkpoint]:
    """Remove entries past the retention window, oldest first per chain, each batch behind a checkpoint.

    Every batch is its own short transaction, so appends to the chain are never held up for long.
    """
    cutoff = policy.cutoff(now)
    async with uow_factory() as uow:
        chains = await uow.entries.chains()
    made: list[Checkpoint] = []
    for chain in chains:
        while (checkpoint := await _prune_batch(uow_factory(), chain, policy, cutoff, now, batch)) is not None:
            made.append(checkpoint)
            if checkpoint.removed < batch:
                break
    return made


async def _prune_batch(
    uow: AuditUnitOfWork, chain: str, policy: RetentionPolicy, cutoff: datetime, now: datetime, batch: int
) -> Checkpoint | None:
    async with uow:
        await uow.entries.lock_pruning(chain)
        previous = await uow.entries.latest_checkpoint(chain)
        floor = previous.through_sequence if previous else 0
        through = await uow.entries.expired_through(chain, floor, cutoff, batch)
        if through is None or through <= floor:
            return None
        last = await uow.entries.entry_at(chain, through)
        if last is None:
            # A gap where entries should be: Verify reports it; retention must not paper over it.
            return None
        checkpoint = Checkpoint(
            chain=chain,
            through_sequence=through,
            through_hash=last.hash,
            through_entry_id=last.entry_id,
            through_recorded_at=last.recorded_at,
            removed=0,
            cutoff=cutoff,
            retention_days=policy.days,
            forced=policy.forced,
            created_at=now,
        )
        removed = await uow.entries.prune(checkpoint, floor)
        await uow.commit()
    return replace(checkpoint, removed=removed)

"""The hash chain: canonical encoding of an entry, sealing drafts onto chain heads, and verification."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from services.audit.domain.model import GENESIS_HASH, AuditEntry, ChainHead, Change, EntryDraft

# Bumped only with a new encoding; entries hashed with an older one keep verifying with it.
ENCODING_VERSION = 1


def instant(moment: datetime) -> str:
    """A UTC time in the one textual form the hash sees (microseconds, as PostgreSQL keeps them)."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def changes_json(changes: Sequence[Change]) -> str:
    """The changed fields as canonical JSON, in their given order (the order is part of the record)."""
    return _canonical([{"field": c.field, "before": c.before, "after": c.after} for c in changes])


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def canonical_bytes(entry: AuditEntry) -> bytes:
    """The bytes the hash covers: every field of the entry, including prev_hash, but not the hash itself."""
    document = {
        "v": ENCODING_VERSION,
        "entry_id": entry.entry_id,
        "chain": entry.chain,
        "sequence": entry.sequence,
        "recorded_at": instant(entry.recorded_at),
        "actor_subject": entry.actor.subject,
        "actor_role": entry.actor.role,
        "peer_address": entry.peer_address,
        "occurred_at": instant(entry.occurred_at),
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "action": entry.action,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in entry.changes],
        "trace_id": entry.trace_id,
        "request_id": entry.request_id,
        "source_event_id": entry.source_event_id,
        "source_event_type": entry.source_event_type,
        "payload_json": entry.payload_json,
        "prev_hash": entry.prev_hash,
    }
    return _canonical(document).encode("utf-8")


def entry_hash(entry: AuditEntry) -> str:
    """hex SHA-256 of the canonical encoding."""
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


def seal(draft: EntryDraft, head: ChainHead, recorded_at: datetime) -> AuditEntry:
    """The draft as the next entry after ``head``, with its hash computed."""
    if draft.chain != head.chain:
        raise ValueError(f"draft of chain {draft.chain!r} cannot follow head of {head.chain!r}")
    unsealed = AuditEntry(
        entry_id=draft.entry_id,
        chain=head.chain,
        sequence=head.last_sequence + 1,
        recorded_at=recorded_at,
        actor=draft.actor,
        peer_address=draft.peer_address,
        occurred_at=draft.occurred_at,
        entity_type=draft.entity_type,
        entity_id=draft.entity_id,
        action=draft.action,
        changes=draft.changes,
        trace_id=draft.trace_id,
        request_id=draft.request_id,
        source_event_id=draft.source_event_id,
        source_event_type=draft.source_event_type,
        payload_json=draft.payload_json,
        prev_hash=head.last_hash,
        hash="",
    )
    return replace(unsealed, hash=entry_hash(unsealed))


def seal_batch(
    drafts: Sequence[EntryDraft], heads: Mapping[str, ChainHead], recorded_at: datetime
) -> tuple[list[AuditEntry], dict[str, ChainHead]]:
    """Seal ``drafts`` in order onto ``heads`` (one per chain they name); returns the entries and the new heads."""
    moved = dict(heads)
    entries = []
    for draft in drafts:
        entry = seal(draft, moved[draft.chain], recorded_at)
        moved[draft.chain] = ChainHead(draft.chain, entry.sequence, entry.hash)
        entries.append(entry)
    return entries, {chain: moved[chain] for chain in {d.chain for d in drafts}}


class BreakKind(enum.Enum):
    HASH_MISMATCH = "HASH_MISMATCH"
    PREV_HASH_MISMATCH = "PREV_HASH_MISMATCH"
    SEQUENCE_GAP = "SEQUENCE_GAP"
    HEAD_MISMATCH = "HEAD_MISMATCH"


@dataclass(frozen=True)
class BrokenLink:
    """Where a chain stops being trustworthy, with what was expected there and what was found."""

    kind: BreakKind
    entry_id: str
    sequence: int
    expected: str
    found: str
    detail: str


@dataclass(frozen=True)
class Anchor:
    """The trusted link before the first entry to check: the checkpoint, the genesis, or a stored entry."""

    sequence: int
    hash: str


GENESIS = Anchor(0, GENESIS_HASH)


@dataclass(frozen=True)
class ChainVerification:
    chain: str
    first_sequence: int
    last_sequence: int
    entries_checked: int
    last_hash: str
    broken: BrokenLink | None

    @property
    def intact(self) -> bool:
        return self.broken is None


class ChainVerifier:
    """Checks the entries of one chain fed in sequence order (page by page); stops at the first break."""

    def __init__(self, chain: str, anchor: Anchor) -> None:
        self.chain = chain
        self._expected_sequence = anchor.sequence + 1
        self._last_hash = anchor.hash
        self._last_entry_id = ""
        self._first = 0
        self._last = 0
        self._checked = 0
        self.broken: BrokenLink | None = None

    def feed(self, entry: AuditEntry) -> bool:
        """Check the next entry; False once the chain is broken (later entries prove nothing)."""
        if self.broken is not None:
            return False
        if entry.sequence != self._expected_sequence:
            self.broken = BrokenLink(
                BreakKind.SEQUENCE_GAP,
                entry.entry_id,
                entry.sequence,
                str(self._expected_sequence),
                str(entry.sequence),
                f"entry {self._expected_sequence} of chain {self.chain} is missing; the next one is {entry.sequence}",
            )
            return False
        if entry.prev_hash != self._last_hash:
            self.broken = BrokenLink(
                BreakKind.PREV_HASH_MISMATCH,
                entry.entry_id,
                entry.sequence,
                self._last_hash,
                entry.prev_hash,
                f"entry {entry.sequence} does not link to the hash of entry {entry.sequence - 1}",
            )
            return False
        recomputed = entry_hash(entry)
        if recomputed != entry.hash:
            self.broken = BrokenLink(
                BreakKind.HASH_MISMATCH,
                entry.entry_id,
                entry.sequence,
                recomputed,
                entry.hash,
                f"entry {entry.sequence} was altered after it was recorded",
            )
            return False
        if not self._checked:
            self._first = entry.sequence
        self._checked += 1
        self._last = entry.sequence
        self._last_hash = entry.hash
        self._last_entry_id = entry.entry_id
        self._expected_sequence += 1
        return True

    def missing_start(self, sequence: int) -> None:
        """The entry a range should start after is gone, so nothing anchors the range."""
        if self.broken is None:
            self.broken = BrokenLink(
                BreakKind.SEQUENCE_GAP,
                "",
                sequence,
                str(sequence),
                "",
                f"entry {sequence} of chain {self.chain} is missing, so the range after it has no anchor",
            )

    def check_head(self, head: ChainHead) -> None:
        """After the last entry: the head must name it, or entries were removed from (or added to) the end."""
        if self.broken is not None:
            return
        if head.last_sequence != self._expected_sequence - 1 or head.last_hash != self._last_hash:
            self.broken = BrokenLink(
                BreakKind.HEAD_MISMATCH,
                self._last_entry_id,
                self._expected_sequence - 1,
                head.last_hash,
                self._last_hash,
                f"the head of chain {self.chain} names entry {head.last_sequence} but the last entry is "
                f"{self._expected_sequence - 1}",
            )

    def result(self) -> ChainVerification:
        return ChainVerification(
            chain=self.chain,
            first_sequence=self._first,
            last_sequence=self._last,
            entries_checked=self._checked,
            last_hash=self._last_hash if self._checked else "",
            broken=self.broken,
        )

"""The audit trail's values: who acted, what changed, entry drafts, sealed chain entries, heads, checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64
SYSTEM_ROLE = "service"


@dataclass(frozen=True)
class Actor:
    """Who did it: an authenticated subject and the role it acted in."""

    subject: str
    role: str = ""


@dataclass(frozen=True)
class Change:
    """One changed field; ``before`` and ``after`` are JSON values (None when the field did not exist)."""

    field: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True)
class EntryDraft:
    """An entry as described by an event or an operator, before it takes its place in a chain."""

    entry_id: str
    actor: Actor
    peer_address: str
    occurred_at: datetime
    entity_type: str
    entity_id: str
    action: str
    changes: tuple[Change, ...] = ()
    trace_id: str = ""
    request_id: str = ""
    source_event_id: str = ""
    source_event_type: str = ""
    payload_json: str = "{}"

    @property
    def chain(self) -> str:
        # One chain per entity type: appends of different contexts never wait on one lock, and a chain
        # is the history an auditor reads ("every change to orders").
        return self.entity_type


@dataclass(frozen=True)
class AuditEntry:
    """A sealed entry: its draft's fields plus its place in the chain and the hashes that bind it there."""

    entry_id: str
    chain: str
    sequence: int
    recorded_at: datetime
    actor: Actor
    peer_address: str
    occurred_at: datetime
    entity_type: str
    entity_id: str
    action: str
    changes: tuple[Change, ...]
    trace_id: str
    request_id: str
    source_event_id: str
    source_event_type: str
    payload_json: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainHead:
    """The end of a chain: the sequence and hash the next entry links to."""

    chain: str
    last_sequence: int = 0
    last_hash: str = GENESIS_HASH


@dataclass(frozen=True)
class Checkpoint:
    """Retention removed the entries of ``chain`` up to ``through_sequence``; the last one had ``through_hash``."""

    chain: str
    through_sequence: int
    through_hash: str
    through_entry_id: str
    through_recorded_at: datetime
    removed: int
    cutoff: datetime
    retention_days: int
    forced: bool
    created_at: datetime

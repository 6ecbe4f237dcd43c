"""Commands, queries and results of the audit use cases (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.audit.domain.chain import ChainVerification
from services.audit.domain.model import AuditEntry, Change


@dataclass(frozen=True)
class AppendEntry:
    """Record an operator action. Its fields are what the caller chose, so a retry fingerprints the same."""

    request_id: str
    actor_subject: str
    actor_role: str
    peer_address: str
    entity_type: str
    entity_id: str
    action: str
    changes: tuple[Change, ...] = ()
    occurred_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class CallOrigin:
    """What the transport knows about a call but a retry may change (connection port, trace): kept out of
    the idempotency fingerprint."""

    peer_address: str = ""
    trace_id: str = ""


@dataclass(frozen=True)
class EntryFilter:
    entity_type: str = ""
    entity_id: str = ""
    actor_subject: str = ""
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    newest_first: bool = False


@dataclass(frozen=True)
class QueryEntries:
    filter: EntryFilter
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class EntryPage:
    entries: tuple[AuditEntry, ...]
    next_page_token: str


@dataclass(frozen=True)
class VerifyChains:
    """Verify one chain (or every chain when empty), optionally only sequences [from, to]."""

    chain: str = ""
    from_sequence: int = 0
    to_sequence: int = 0


@dataclass(frozen=True)
class VerificationReport:
    chains: tuple[ChainVerification, ...]

    @property
    def intact(self) -> bool:
        return all(c.intact for c in self.chains)

"""The ports the audit handlers need: the entry repository and the unit of work around it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, Self, TypeVar

from services.audit.application.commands import EntryFilter
from services.audit.domain.model import AuditEntry, ChainHead, Checkpoint

R = TypeVar("R")


class AuditRepository(Protocol):
    async def lock_heads(self, chains: Sequence[str]) -> dict[str, ChainHead]:
        """The heads of ``chains`` (created empty when new), locked until the transaction ends, in name order."""

    async def recorded_events(self, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` already have an entry."""

    async def add(self, entries: Sequence[AuditEntry], heads: Sequence[ChainHead]) -> None:
        """Insert sealed entries and move the (locked) heads past them."""

    async def get(self, entry_id: str) -> AuditEntry | None: ...

    async def query(self, query: EntryFilter, after: tuple[datetime, str] | None, limit: int) -> list[AuditEntry]:
        """Entries matching ``query`` in (occurred_at, entry_id) order (descending if newest_first), after the
        cursor."""

    async def chains(self) -> list[str]: ...

    async def head(self, chain: str) -> ChainHead | None: ...

    async def latest_checkpoint(self, chain: str) -> Checkpoint | None: ...

    async def entry_at(self, chain: str, sequence: int) -> AuditEntry | None: ...

    async def entries(self, chain: str, from_sequence: int, to_sequence: int | None, limit: int) -> list[AuditEntry]:
        """Up to ``limit`` entries of ``chain`` with from_sequence <= sequence (<= to_sequence), in order."""

    async def lock_pruning(self, chain: str) -> None:
        """Serialise retention runs of one chain (appends are not blocked)."""

    async def expired_through(self, chain: str, after_sequence: int, cutoff: datetime, limit: int) -> int | None:
        """The last sequence of the run of entries after ``after_sequence`` (at most ``limit``) all recorded
        before ``cutoff``; None when there is none."""

    async def prune(self, checkpoint: Checkpoint, after_sequence: int) -> int:
        """Record ``checkpoint``, then remove the entries it covers after ``after_sequence``; returns how many."""


class AuditUnitOfWork(Protocol):
    entries: AuditRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    async def commit(self) -> None: ...

    async def snapshot(self) -> None:
        """Make this (fresh) transaction a read-only snapshot, so multi-statement reads agree."""

    async def replay(self, command: Any, result_type: type[R]) -> R | None: ...

    async def remember(self, command: Any, result: Any) -> None: ...

"""The unit of work of audit: the shared transaction with the entry repository attached."""

from __future__ import annotations

from services.audit.adapters.repository import SqlAuditRepository
from shared.db import UnitOfWork


class AuditUnitOfWork(UnitOfWork):
    entries: SqlAuditRepository

    def _open(self) -> None:
        self.entries = SqlAuditRepository(self.session)

    async def snapshot(self) -> None:
        # Must run before any statement of the transaction: it picks the connection's isolation level.
        await self.session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )

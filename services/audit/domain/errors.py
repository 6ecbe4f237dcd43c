"""Errors of the audit context, each with the stable reason clients match on."""

from __future__ import annotations

from shared.kernel.errors import InvalidArgument, NotFound


class AuditEntryNotFound(NotFound):
    reason = "AUDIT_ENTRY_NOT_FOUND"

    def __init__(self, entry_id: str) -> None:
        super().__init__(f"audit entry {entry_id} does not exist", metadata={"entry_id": entry_id})


class ChainNotFound(NotFound):
    reason = "AUDIT_CHAIN_NOT_FOUND"

    def __init__(self, chain: str) -> None:
        super().__init__(f"audit chain {chain!r} has no entries", metadata={"chain": chain})


class RetentionBelowMinimum(InvalidArgument):
    """Audit entries are kept at least 180 days (DOMAIN.md section 6) unless an operator forces less."""

    reason = "RETENTION_BELOW_MINIMUM"

    def __init__(self, days: int, minimum: int) -> None:
        super().__init__(
            f"retention of {days} days is below the minimum of {minimum}; force it explicitly to go lower",
            metadata={"days": str(days), "minimum": str(minimum)},
        )

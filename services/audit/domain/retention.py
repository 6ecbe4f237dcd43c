"""The retention policy: how long entries are kept (at least 180 days unless explicitly forced)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.audit.domain.errors import RetentionBelowMinimum
from shared.kernel.errors import InvalidArgument

MINIMUM_RETENTION_DAYS = 180
DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class RetentionPolicy:
    """Entries recorded more than ``days`` ago may be removed (through a checkpoint, never silently)."""

    days: int = DEFAULT_RETENTION_DAYS
    forced: bool = False

    def __post_init__(self) -> None:
        if type(self.days) is not int or self.days < 1:
            raise InvalidArgument.field("retention_days", "must be a positive whole number of days")
        if self.days < MINIMUM_RETENTION_DAYS and not self.forced:
            raise RetentionBelowMinimum(self.days, MINIMUM_RETENTION_DAYS)

    def cutoff(self, now: datetime) -> datetime:
        """Entries recorded before this instant are past the window."""
        return now - timedelta(days=self.days)

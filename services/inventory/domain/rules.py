"""The breaker and pressure rules, with the users' numbers as defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class BreakerPolicy:
    """Pause a SKU when reservations of it fail ``threshold`` times within ``window`` (3 in 5 minutes)."""

    threshold: int = 3
    window: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("breaker threshold must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("breaker window must be positive")

    def window_start(self, now: datetime) -> datetime:
        """Failures at or before this instant no longer count."""
        return now - self.window

    def recent(self, failures: tuple[datetime, ...], now: datetime) -> tuple[datetime, ...]:
        """The failures still inside the window, oldest first."""
        start = self.window_start(now)
        return tuple(sorted(f for f in failures if f > start))

    def trips(self, failures_in_window: int) -> bool:
        return failures_in_window >= self.threshold


@dataclass(frozen=True)
class PressurePolicy:
    """Flag a SKU when reserved-but-unshipped exceeds ``threshold_percent`` of what is available (30%)."""

    threshold_percent: int = 30

    def __post_init__(self) -> None:
        if not 0 <= self.threshold_percent <= 10_000:
            raise ValueError("pressure threshold must be between 0 and 10000 percent")

    def is_high(self, reserved: int, available: int) -> bool:
        # Integer arithmetic: reserved / available > p / 100 without division or floats.
        return reserved * 100 > self.threshold_percent * available

"""Latency percentiles and the per-second timeline of a run (pure; times are seconds from the run start)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted samples (0.0 when there are none)."""
    if not ordered:
        return 0.0
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction {fraction} is outside [0, 1]")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class LatencySummary:
    """Count and percentiles of a set of durations, in seconds."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, samples: Iterable[float]) -> LatencySummary:
        ordered = sorted(samples)
        if not ordered:
            return cls(0, 0.0, 0.0, 0.0, 0.0, 0.0)
        return cls(
            count=len(ordered),
            p50=percentile(ordered, 0.50),
            p95=percentile(ordered, 0.95),
            p99=percentile(ordered, 0.99),
            max=ordered[-1],
            mean=sum(ordered) / len(ordered),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "p50_ms": round(self.p50 * 1000, 3),
            "p95_ms": round(self.p95 * 1000, 3),
            "p99_ms": round(self.p99 * 1000, 3),
            "max_ms": round(self.max * 1000, 3),
            "mean_ms": round(self.mean * 1000, 3),
        }


@dataclass
class Bucket:
    """What happened in one second of the run: arrivals by their due time, answers by their arrival time."""

    second: int
    offered: int = 0
    not_sent: int = 0
    ok: int = 0
    refused: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.ok + self.refused + self.errors


class Timeline:
    """Counts per whole second since the start; grows as the run goes on."""

    def __init__(self) -> None:
        self._buckets: list[Bucket] = []

    def _at(self, offset: float) -> Bucket:
        second = max(0, int(offset))
        while len(self._buckets) <= second:
            self._buckets.append(Bucket(len(self._buckets)))
        return self._buckets[second]

    def offered(self, due: float) -> None:
        self._at(due).offered += 1

    def not_sent(self, due: float) -> None:
        self._at(due).not_sent += 1

    def answered(self, finished: float, latency: float, outcome: str) -> None:
        bucket = self._at(finished)
        if outcome == "ok":
            bucket.ok += 1
        elif outcome == "refused":
            bucket.refused += 1
        else:
            bucket.errors += 1
        bucket.latencies.append(latency)

    @property
    def buckets(self) -> list[Bucket]:
        return list(self._buckets)

    def last_complete(self, now: float) -> Bucket | None:
        """The last whole second before ``now`` (for the progress line)."""
        second = int(now) - 1
        return self._buckets[second] if 0 <= second < len(self._buckets) else None

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for bucket in self._buckets:
            summary = LatencySummary.of(bucket.latencies)
            rows.append(
                {
                    "second": bucket.second,
                    "offered": bucket.offered,
                    "not_sent": bucket.not_sent,
                    "ok": bucket.ok,
                    "refused": bucket.refused,
                    "errors": bucket.errors,
                    "p50_ms": round(summary.p50 * 1000, 3),
                    "p99_ms": round(summary.p99 * 1000, 3),
                    "max_ms": round(summary.max * 1000, 3),
                }
            )
        return rows

"""The open-model arrival clock: when each request is due, fixed in advance and independent of replies.

A closed loop (send, wait, send) slows down with the system and so hides its latency; here arrivals
are planned on the clock, and latency is measured from the planned time, not from when a busy sender
got round to sending (coordinated omission).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """``rate`` arrivals/s from ``start`` (inclusive) to ``end`` (exclusive) seconds into the run."""

    start: float
    end: float
    rate: float


@dataclass(frozen=True)
class RateProfile:
    """A constant rate, or a stepped ramp: ``steps`` equal steps up to ``peak`` over ``ramp`` seconds
    (the first step at peak/steps), then the peak until ``duration``."""

    peak: float
    duration: float
    ramp: float = 0.0
    steps: int = 1

    def segments(self) -> list[Segment]:
        if self.ramp <= 0 or self.steps <= 1:
            return [Segment(0.0, self.duration, self.peak)]
        width = self.ramp / self.steps
        segments = [Segment(i * width, (i + 1) * width, self.peak * (i + 1) / self.steps) for i in range(self.steps)]
        if self.ramp < self.duration:
            segments.append(Segment(self.ramp, self.duration, self.peak))
        return segments

    def rate_at(self, offset: float) -> float:
        for segment in self.segments():
            if segment.start <= offset < segment.end:
                return segment.rate
        return 0.0

    def expected_arrivals(self) -> float:
        return sum((s.end - s.start) * s.rate for s in self.segments())


def arrival_offsets(
    profile: RateProfile, *, poisson: bool, rng: random.Random, limit: int | None = None
) -> Iterator[float]:
    """Seconds from the start at which each request is due, in order: evenly spaced within each step,
    or a Poisson process (exponential gaps; memoryless, so restarting it at each step is exact)."""
    produced = 0
    for segment in profile.segments():
        if segment.rate <= 0:
            continue
        if poisson:
            offset = segment.start + rng.expovariate(segment.rate)
            while offset < segment.end:
                if limit is not None and produced >= limit:
                    return
                yield offset
                produced += 1
                offset += rng.expovariate(segment.rate)
        else:
            # Computed from the index, not accumulated, so float error does not drift over long runs.
            index = 0
            while (offset := segment.start + index / segment.rate) < segment.end:
                if limit is not None and produced >= limit:
                    return
                yield offset
                produced += 1
                index += 1

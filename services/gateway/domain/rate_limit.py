"""Token buckets per client: a bucket refills at ``rate`` tokens a second up to ``burst``; a request takes one."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

# Refills are sums of float products; without a little slack 10 refills of 0.1 token would not make one.
_SLACK = 1e-9


@dataclass(frozen=True)
class BucketPolicy:
    """How fast a client may call: ``rate_per_second`` on average, ``burst`` at once."""

    rate_per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not self.rate_per_second > 0 or math.isinf(self.rate_per_second):
            raise ValueError("rate_per_second must be a positive finite number")
        if self.burst < 1:
            raise ValueError("burst must be at least 1")


@dataclass(frozen=True)
class Bucket:
    """The tokens a client has left, as of ``updated_at`` (seconds on a monotonic clock)."""

    tokens: float
    updated_at: float


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass; if not, after how many whole seconds one token will be there."""

    allowed: bool
    remaining: int
    retry_after_seconds: int


def full_bucket(policy: BucketPolicy, now: float) -> Bucket:
    return Bucket(float(policy.burst), now)


def refill(bucket: Bucket, policy: BucketPolicy, now: float) -> Bucket:
    """The bucket at ``now``; a clock that goes backwards adds nothing and does not move ``updated_at`` back."""
    elapsed = max(0.0, now - bucket.updated_at)
    tokens = min(float(policy.burst), bucket.tokens + elapsed * policy.rate_per_second)
    return Bucket(tokens, max(now, bucket.updated_at))


def take(bucket: Bucket, policy: BucketPolicy, now: float) -> tuple[Bucket, Decision]:
    """Take one token at ``now`` if there is one; returns the bucket after and the decision."""
    current = refill(bucket, policy, now)
    if current.tokens + _SLACK >= 1.0:
        after = Bucket(max(0.0, current.tokens - 1.0), current.updated_at)
        return after, Decision(allowed=True, remaining=int(after.tokens + _SLACK), retry_after_seconds=0)
    wait = (1.0 - current.tokens) / policy.rate_per_second
    return current, Decision(allowed=False, remaining=0, retry_after_seconds=max(1, math.ceil(wait)))


class RateLimiter:
    """The buckets of every client of one process.

    At most ``max_clients`` buckets are kept; beyond that the least recently seen client is forgotten.
    A forgotten client starts again with a full bucket, which is what it would have after being idle for
    ``burst / rate`` seconds, so forgetting only ever favours clients that have been quiet the longest.
    Calls are synchronous, so on one event loop no two checks interleave.
    """

    def __init__(self, policy: BucketPolicy, *, max_clients: int = 100_000) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        self.policy = policy
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def check(self, client: str, now: float) -> Decision:
        bucket = self._buckets.pop(client, None) or full_bucket(self.policy, now)
        after, decision = take(bucket, self.policy, now)
        self._buckets[client] = after
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return decision

    def __len__(self) -> int:
        return len(self._buckets)

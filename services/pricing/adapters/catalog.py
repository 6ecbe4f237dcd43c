"""The promotion catalogue of the quote path: ACTIVE promotions and shipping rules kept in memory.

Freshness: a snapshot lives ``ttl`` seconds (5 by default) and is dropped at once when this process
activates or deactivates a promotion or sets a shipping rule. Other replicas see such a change within the
TTL; a quote they issue meanwhile is still checked against every floor, so a stale snapshot can never sell
below a floor. Reloads are single-flight: one query pair per process per TTL, however many quotes wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from services.pricing.application.ports import CatalogSnapshot, PricingUnitOfWork

# Promotions whose window ended longer ago than this leave the snapshot (their coupons turn UNKNOWN).
EXPIRED_COUPON_MEMORY = timedelta(days=30)


def database_loader(
    unit_of_work: Callable[[], PricingUnitOfWork], clock: Callable[[], datetime]
) -> Callable[[], Awaitable[CatalogSnapshot]]:
    async def load() -> CatalogSnapshot:
        async with unit_of_work() as uow:
            active = await uow.promotions.active()
            rules = await uow.shipping.all()
        horizon = clock() - EXPIRED_COUPON_MEMORY
        kept = tuple(p for p in active if p.definition.ends_at is None or p.definition.ends_at > horizon)
        return CatalogSnapshot(kept, tuple(rules))

    return load


class CachedPromotionCatalog:
    def __init__(
        self,
        load: Callable[[], Awaitable[CatalogSnapshot]],
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._snapshot: CatalogSnapshot | None = None
        self._expires = 0.0
        self._generation = 0
        self._lock = asyncio.Lock()

    def _fresh(self) -> CatalogSnapshot | None:
        if self._snapshot is not None and self._monotonic() < self._expires:
            return self._snapshot
        return None

    async def snapshot(self) -> CatalogSnapshot:
        if (cached := self._fresh()) is not None:
            return cached
        async with self._lock:
            if (cached := self._fresh()) is not None:
                return cached
            generation = self._generation
            loaded = await self._load()
            # An invalidation during the load means it may predate the change: serve it once, keep none.
            if generation == self._generation:
                self._snapshot = loaded
                self._expires = self._monotonic() + self._ttl
            return loaded

    def invalidate(self) -> None:
        self._generation += 1
        self._snapshot = None

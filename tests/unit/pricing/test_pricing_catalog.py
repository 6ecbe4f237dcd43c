"""The in-memory promotion catalogue: TTL, invalidation, single-flight reloads."""

from __future__ import annotations

import asyncio

from services.pricing.adapters.catalog import CachedPromotionCatalog
from services.pricing.application.ports import CatalogSnapshot


class Loader:
    def __init__(self) -> None:
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self) -> CatalogSnapshot:
        self.calls += 1
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return CatalogSnapshot((), ())


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_snapshot_is_served_from_memory_until_the_ttl_passes():
    loader, ticks = Loader(), Ticks()
    catalog = CachedPromotionCatalog(loader, ttl_seconds=5, monotonic=ticks)
    await catalog.snapshot()
    ticks.now += 4.9
    await catalog.snapshot()
    assert loader.calls == 1
    ticks.now += 0.2
    await catalog.snapshot()
    assert loader.calls == 2


async def test_invalidation_forces_a_reload():
    loader = Loader()
    catalog = CachedPromotionCatalog(loader, ttl_seconds=60)
    await catalog.snapshot()
    catalog.invalidate()
    await catalog.snapshot()
    assert loader.calls == 2


async def test_concurrent_misses_load_once():
    loader = Loader()
    loader.gate = asyncio.Event()
    catalog = CachedPromotionCatalog(loader, ttl_seconds=60)
    waiting = [asyncio.create_task(catalog.snapshot()) for _ in range(20)]
    await loader.started.wait()
    loader.gate.set()
    await asyncio.gather(*waiting)
    assert loader.calls == 1


async def test_a_load_overtaken_by_an_invalidation_is_not_kept():
    loader = Loader()
    loader.gate = asyncio.Event()
    catalog = CachedPromotionCatalog(loader, ttl_seconds=60)
    first = asyncio.create_task(catalog.snapshot())
    await loader.started.wait()
    catalog.invalidate()
    loader.gate.set()
    await first
    await catalog.snapshot()
    assert loader.calls == 2

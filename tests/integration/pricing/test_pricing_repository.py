"""The pricing repositories on real PostgreSQL: scope queries, no-op upserts, the quote purge."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.pricing.adapters.unit_of_work import PricingUnitOfWork
from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import Scope
from services.pricing.domain.quote import Quote
from services.pricing.domain.quoting import PricedBasket
from shared.db import create_engine, session_factory, utc_now
from shared.kernel.ids import new_id
from shared.settings import ServiceSettings


@pytest.fixture(scope="module")
async def engine(service_database, redis_url: str) -> AsyncIterator[AsyncEngine]:
    settings = ServiceSettings(
        service_name="pricing", database_url=await service_database("pricing"), redis_url=redis_url
    )
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine):
    sessions = session_factory(engine)
    return lambda: PricingUnitOfWork(sessions, source="pricing", stream="repo.pricing")


async def test_upsert_returns_only_changes_and_scope_selects_skus_and_categories(uow) -> None:
    tag = new_id()[-8:]
    rows = [
        SkuPrice(f"A-{tag}", "CNY", 1_000, 100, 500, category=f"sofa-{tag}"),
        SkuPrice(f"B-{tag}", "CNY", 2_000, 100, 500),
        SkuPrice(f"C-{tag}", "CNY", 3_000, 100, 500),
        SkuPrice(f"A-{tag}", "USD", 150, 10, 50, category=f"sofa-{tag}"),
    ]
    now = utc_now()
    async with uow() as work:
        assert len(await work.prices.upsert_many(rows, now)) == 4
        assert await work.prices.upsert_many(rows, now) == []
        changed = await work.prices.upsert_many([SkuPrice(f"B-{tag}", "CNY", 2_100, 100, 500)], now)
        assert [(p.sku, p.version) for p in changed] == [(f"B-{tag}", 2)]
        covered = await work.prices.covered_by(Scope(skus=(f"C-{tag}",), categories=(f"sofa-{tag}",)), "CNY")
        assert sorted(p.sku for p in covered) == [f"A-{tag}", f"C-{tag}"]
        everything = await work.prices.covered_by(Scope(all_skus=True), "USD")
        assert f"A-{tag}" in {p.sku for p in everything} and {p.currency for p in everything} == {"USD"}
        await work.commit()


async def test_purge_deletes_only_quotes_expired_before_the_cutoff(uow) -> None:
    now = utc_now()
    empty = PricedBasket("CNY", (), 0, 0, 0, 0, (), (), "", ())
    old = Quote(new_id(), empty, now - timedelta(days=3), now - timedelta(days=2))
    fresh = Quote(new_id(), empty, now, now + timedelta(minutes=15))
    async with uow() as work:
        await work.quotes.add(old)
        await work.quotes.add(fresh)
        await work.commit()
    async with uow() as work:
        deleted = await work.quotes.purge(now - timedelta(days=1), 1_000)
        await work.commit()
    assert deleted >= 1
    async with uow() as work:
        assert await work.quotes.get(old.quote_id) is None
        assert await work.quotes.get(fresh.quote_id) == fresh

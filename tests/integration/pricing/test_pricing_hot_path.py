"""The quote hot path against real PostgreSQL: a constant number of statements whatever the basket size."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.pricing.adapters.catalog import CachedPromotionCatalog, database_loader
from services.pricing.adapters.unit_of_work import PricingUnitOfWork
from services.pricing.application import handlers
from services.pricing.application.commands import QuoteBasket, SetPrices
from services.pricing.domain.prices import PriceEntry
from services.pricing.domain.quoting import BasketLine
from shared.db import create_engine, session_factory, utc_now
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from shared.settings import ServiceSettings


@pytest.fixture(scope="module")
async def engine(service_database, redis_url: str) -> AsyncIterator[AsyncEngine]:
    settings = ServiceSettings(
        service_name="pricing", database_url=await service_database("pricing"), redis_url=redis_url
    )
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


async def test_quote_statements_do_not_grow_with_lines(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)

    def uow() -> PricingUnitOfWork:
        return PricingUnitOfWork(sessions, source="pricing", stream="hotpath.pricing")

    skus = [f"HOT-{i:03d}-{new_id()[-8:]}" for i in range(60)]
    entries = tuple(PriceEntry(s, Money(1_000 + i), Money(100), Money(500)) for i, s in enumerate(skus))
    await handlers.set_prices(SetPrices(new_id(), entries), uow(), utc_now)
    catalog = CachedPromotionCatalog(database_loader(uow, utc_now), ttl_seconds=60)
    await catalog.snapshot()

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        counts = []
        for size in (1, 60):
            statements.clear()
            lines = tuple(BasketLine(s, 2) for s in skus[:size])
            quote = await handlers.quote_basket(QuoteBasket(new_id(), lines), uow(), catalog, utc_now, new_id)
            assert len(quote.priced.lines) == size
            counts.append(len(statements))
            assert sum("FROM prices" in s for s in statements) == 1
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert counts[0] == counts[1]
    assert not any("promotions" in s for s in statements)  # promotions come from memory

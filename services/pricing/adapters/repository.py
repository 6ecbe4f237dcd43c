"""PostgreSQL repositories of pricing: bulk price upserts, one-query price reads, promotions, quotes, shipping."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.pricing.adapters.tables import promotions, quotes, shipping_rules
from services.pricing.application.ports import Cursor
from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import (
    Promotion,
    PromotionDefinition,
    PromotionKind,
    PromotionStatus,
    Scope,
)
from services.pricing.domain.quote import Quote
from services.pricing.domain.quoting import PricedBasket
from services.pricing.domain.shipping import ShippingRule
from shared.kernel import codec
from shared.kernel.errors import Aborted

PRICE_COLUMNS = "sku, currency, unit_price_minor, cost_minor, floor_minor, category, version, updated_at"

# One statement for the whole batch: arrays in, changed rows out. Rows whose values are already stored are
# left alone (no new version, no event), which is what makes SetPrices cheap to repeat.
UPSERT_PRICES = text(
    f"""
    INSERT INTO prices ({PRICE_COLUMNS})
    SELECT i.sku, i.currency, i.unit_price, i.cost, i.floor, i.category, 1, :now
    FROM unnest(
        CAST(:skus AS text[]), CAST(:currencies AS text[]), CAST(:units AS bigint[]),
        CAST(:costs AS bigint[]), CAST(:floors AS bigint[]), CAST(:categories AS text[])
    ) AS i(sku, currency, unit_price, cost, floor, category)
    ON CONFLICT (sku, currency) DO UPDATE SET
        unit_price_minor = EXCLUDED.unit_price_minor,
        cost_minor = EXCLUDED.cost_minor,
        floor_minor = EXCLUDED.floor_minor,
        category = EXCLUDED.category,
        version = prices.version + 1,
        updated_at = EXCLUDED.updated_at
    WHERE (prices.unit_price_minor, prices.cost_minor, prices.floor_minor, prices.category)
        IS DISTINCT FROM (EXCLUDED.unit_price_minor, EXCLUDED.cost_minor, EXCLUDED.floor_minor, EXCLUDED.category)
    RETURNING {PRICE_COLUMNS}
    """
)

SELECT_PRICES = text(
    f"SELECT {PRICE_COLUMNS} FROM prices WHERE currency = :currency AND sku = ANY(CAST(:skus AS text[]))"
)

SELECT_COVERED = text(
    f"""
    SELECT {PRICE_COLUMNS} FROM prices
    WHERE currency = :currency
      AND (:all_skus OR sku = ANY(CAST(:skus AS text[])) OR category = ANY(CAST(:categories AS text[])))
    ORDER BY sku
    """
)

LAUNCH_LOCK = zlib.crc32(b"oms-pricing-promotion-launch")


def _price(row: Any) -> SkuPrice:
    return SkuPrice(
        sku=row.sku,
        currency=row.currency,
        unit_price=row.unit_price_minor,
        cost=row.cost_minor,
        floor=row.floor_minor,
        category=row.category,
        version=row.version,
        updated_at=row.updated_at,
    )


class SqlPriceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get_many(self, skus: Sequence[str], currency: str) -> dict[str, SkuPrice]:
        rows = await self._session.execute(SELECT_PRICES, {"currency": currency, "skus": list(skus)})
        return {row.sku: _price(row) for row in rows}

    async def upsert_many(self, prices: Sequence[SkuPrice], now: datetime) -> list[SkuPrice]:
        # Sorted, so two batches touching the same SKUs lock them in the same order (no deadlock).
        ordered = sorted(prices, key=lambda p: (p.sku, p.currency))
        rows = await self._session.execute(
            UPSERT_PRICES,
            {
                "now": now,
                "skus": [p.sku for p in ordered],
                "currencies": [p.currency for p in ordered],
                "units": [p.unit_price for p in ordered],
                "costs": [p.cost for p in ordered],
                "floors": [p.floor for p in ordered],
                "categories": [p.category for p in ordered],
            },
        )
        return [_price(row) for row in rows]

    async def covered_by(self, scope: Scope, currency: str) -> list[SkuPrice]:
        rows = await self._session.execute(
            SELECT_COVERED,
            {
                "currency": currency,
                "all_skus": scope.all_skus,
                "skus": list(scope.skus),
                "categories": list(scope.categories),
            },
        )
        return [_price(row) for row in rows]


def _promotion_values(p: Promotion) -> dict[str, Any]:
    d = p.definition
    return {
        "promotion_id": p.promotion_id,
        "name": d.name,
        "currency": d.currency,
        "kind": d.kind.value if d.kind else "",
        "amount_off_minor": d.amount_off,
        "percent_off_bps": d.percent_off_bps,
        "threshold_minor": d.threshold,
        "all_skus": d.scope.all_skus,
        "skus": list(d.scope.skus),
        "categories": list(d.scope.categories),
        "eligible_tiers": list(d.eligible_tiers),
        "coupon_code": d.coupon_code,
        "stacking_group": d.stacking_group,
        "stackable_with": list(d.stackable_with),
        "starts_at": d.starts_at,
        "ends_at": d.ends_at,
        "max_combined_discount_bps": d.max_combined_discount_bps,
        "status": p.status.value,
        "version": p.version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def _promotion(row: Any) -> Promotion:
    definition = PromotionDefinition(
        name=row.name,
        currency=row.currency,
        kind=PromotionKind(row.kind),
        amount_off=row.amount_off_minor,
        percent_off_bps=row.percent_off_bps,
        threshold=row.threshold_minor,
        scope=Scope(row.all_skus, tuple(row.skus), tuple(row.categories)),
        eligible_tiers=tuple(row.eligible_tiers),
        coupon_code=row.coupon_code,
        stacking_group=row.stacking_group,
        stackable_with=tuple(row.stackable_with),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        max_combined_discount_bps=row.max_combined_discount_bps,
    )
    return Promotion(
        promotion_id=str(row.promotion_id),
        definition=definition,
        status=PromotionStatus(row.status),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlPromotionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, promotion: Promotion) -> bool:
        statement = (
            insert(promotions)
            .values(**_promotion_values(promotion))
            .on_conflict_do_nothing(index_elements=["coupon_code"], index_where=text("coupon_code <> ''"))
            .returning(promotions.c.promotion_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def get(self, promotion_id: str, *, lock: bool = False) -> Promotion | None:
        statement = select(promotions).where(promotions.c.promotion_id == promotion_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self._session.execute(statement)).first()
        return _promotion(row) if row is not None else None

    async def update_status(self, before: Promotion, after: Promotion, reason: str = "") -> None:
        result = await self._session.execute(
            update(promotions)
            .where(promotions.c.promotion_id == before.promotion_id, promotions.c.version == before.version)
            .values(status=after.status.value, status_reason=reason, version=after.version, updated_at=after.updated_at)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Aborted(f"promotion {before.promotion_id} changed concurrently; retry")

    async def active(self) -> list[Promotion]:
        rows = await self._session.execute(
            select(promotions)
            .where(promotions.c.status == PromotionStatus.ACTIVE.value)
            .order_by(promotions.c.promotion_id)
        )
        return [_promotion(row) for row in rows]

    async def list(self, status: PromotionStatus | None, after: Cursor | None, limit: int) -> list[Promotion]:
        statement = select(promotions)
        if status is not None:
            statement = statement.where(promotions.c.status == status.value)
        if after is not None:
            position = tuple_(promotions.c.created_at, promotions.c.promotion_id)
            last = tuple_(
                literal(after.created_at, promotions.c.created_at.type),
                literal(after.promotion_id, promotions.c.promotion_id.type),
            )
            statement = statement.where(position > last)
        statement = statement.order_by(promotions.c.created_at, promotions.c.promotion_id).limit(limit)
        return [_promotion(row) for row in await self._session.execute(statement)]

    async def lock_launches(self) -> None:
        await self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LAUNCH_LOCK})


class SqlQuoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, quote: Quote) -> None:
        await self._session.execute(
            insert(quotes).values(
                quote_id=quote.quote_id,
                currency=quote.priced.currency,
                total_minor=quote.priced.total,
                issued_at=quote.issued_at,
                valid_until=quote.valid_until,
                body=codec.to_plain(quote.priced),
            )
        )

    async def get(self, quote_id: str) -> Quote | None:
        row = (await self._session.execute(select(quotes).where(quotes.c.quote_id == quote_id))).first()
        if row is None:
            return None
        return Quote(str(row.quote_id), codec.from_plain(PricedBasket, row.body), row.issued_at, row.valid_until)

    async def purge(self, before: datetime, batch: int) -> int:
        """Delete up to ``batch`` quotes that expired before ``before``; how many went."""
        result = await self._session.execute(
            text(
                "DELETE FROM quotes WHERE quote_id IN"
                " (SELECT quote_id FROM quotes WHERE valid_until < :before LIMIT :batch)"
            ),
            {"before": before, "batch": batch},
        )
        return result.rowcount  # type: ignore[attr-defined, no-any-return]


class SqlShippingRuleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert(self, rule: ShippingRule, now: datetime) -> None:
        values = {
            "currency": rule.currency,
            "country": rule.country,
            "province": rule.province,
            "flat_fee_minor": rule.flat_fee,
            "free_over_minor": rule.free_over,
            "updated_at": now,
        }
        statement = insert(shipping_rules).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["currency", "country", "province"],
            set_={k: statement.excluded[k] for k in ("flat_fee_minor", "free_over_minor", "updated_at")},
        )
        await self._session.execute(statement)

    async def all(self) -> list[ShippingRule]:
        rows = await self._session.execute(select(shipping_rules))
        return [ShippingRule(r.currency, r.country, r.province, r.flat_fee_minor, r.free_over_minor) for r in rows]

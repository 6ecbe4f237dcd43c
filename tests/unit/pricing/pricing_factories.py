"""Builders of prices and promotions for the pricing unit tests (valid by construction, through the domain)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import (
    Promotion,
    PromotionDefinition,
    PromotionKind,
    PromotionStatus,
    Scope,
    normalize_definition,
)

NOW = datetime(2025, 11, 11, 12, 0, tzinfo=UTC)


def price(
    sku: str, unit: int, *, cost: int | None = None, floor: int | None = None, category: str = "", currency: str = "CNY"
) -> SkuPrice:
    return SkuPrice(
        sku=sku,
        currency=currency,
        unit_price=unit,
        cost=0 if cost is None else cost,
        floor=0 if floor is None else floor,
        category=category,
        version=1,
    )


def definition(
    *,
    amount_off: int | None = None,
    percent: int | None = None,
    threshold: int = 0,
    skus: Sequence[str] = (),
    categories: Sequence[str] = (),
    tiers: Sequence[str] = (),
    coupon: str = "",
    group: str = "",
    stackable_with: Sequence[str] = (),
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    cap_bps: int = 0,
    currency: str = "CNY",
    name: str = "promotion",
) -> PromotionDefinition:
    kind = PromotionKind.PERCENT_OFF if percent is not None else PromotionKind.AMOUNT_OFF
    return normalize_definition(
        PromotionDefinition(
            name=name,
            currency=currency,
            kind=kind,
            amount_off=amount_off or 0,
            percent_off_bps=percent or 0,
            threshold=threshold,
            scope=Scope(all_skus=not skus and not categories, skus=tuple(skus), categories=tuple(categories)),
            eligible_tiers=tuple(tiers),
            coupon_code=coupon,
            stacking_group=group,
            stackable_with=tuple(stackable_with),
            starts_at=starts_at,
            ends_at=ends_at,
            max_combined_discount_bps=cap_bps,
        )
    )


def promo(promotion_id: str, *, status: PromotionStatus = PromotionStatus.ACTIVE, **fields: object) -> Promotion:
    return Promotion(
        promotion_id=promotion_id,
        definition=definition(name=promotion_id, **fields),  # type: ignore[arg-type]
        status=status,
        version=1,
        created_at=NOW,
        updated_at=NOW,
    )

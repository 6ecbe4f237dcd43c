"""Commands, queries and results of the pricing use cases: frozen dataclasses, serialisable by shared.kernel.codec."""

from __future__ import annotations

from dataclasses import dataclass

from services.pricing.domain.launch import LaunchReport
from services.pricing.domain.prices import PriceEntry, SkuPrice
from services.pricing.domain.promotions import Promotion, PromotionDefinition, PromotionStatus
from services.pricing.domain.quoting import BasketLine
from services.pricing.domain.shipping import ShippingRule
from shared.kernel.money import Money


@dataclass(frozen=True)
class SetPrices:
    request_id: str
    entries: tuple[PriceEntry, ...]


@dataclass(frozen=True)
class PricesSet:
    prices: tuple[SkuPrice, ...]
    changed_count: int


@dataclass(frozen=True)
class GetPrices:
    skus: tuple[str, ...]
    currency: str = ""


@dataclass(frozen=True)
class PricesFound:
    prices: tuple[SkuPrice, ...]
    missing_skus: tuple[str, ...]


@dataclass(frozen=True)
class SetShippingRule:
    request_id: str
    country: str
    province: str
    flat_fee: Money
    free_over: Money | None = None


@dataclass(frozen=True)
class ShippingRuleSet:
    rule: ShippingRule


@dataclass(frozen=True)
class QuoteBasket:
    request_id: str
    lines: tuple[BasketLine, ...]
    currency: str = ""
    customer_tier: str = ""
    coupon_codes: tuple[str, ...] = ()
    country: str = ""
    province: str = ""


@dataclass(frozen=True)
class GetQuote:
    quote_id: str


@dataclass(frozen=True)
class CreatePromotion:
    request_id: str
    definition: PromotionDefinition


@dataclass(frozen=True)
class GetPromotion:
    promotion_id: str


@dataclass(frozen=True)
class ListPromotions:
    status: PromotionStatus | None = None
    page_size: int = 0
    page_token: str = ""


@dataclass(frozen=True)
class PromotionPage:
    promotions: tuple[Promotion, ...]
    next_page_token: str


@dataclass(frozen=True)
class ValidatePromotionLaunch:
    """Exactly one of ``promotion_id`` (a stored promotion) and ``draft`` (a definition not stored yet)."""

    promotion_id: str = ""
    draft: PromotionDefinition | None = None


@dataclass(frozen=True)
class ActivatePromotion:
    request_id: str
    promotion_id: str


@dataclass(frozen=True)
class PromotionActivation:
    promotion: Promotion
    launch_check: LaunchReport


@dataclass(frozen=True)
class DeactivatePromotion:
    request_id: str
    promotion_id: str
    reason: str = ""

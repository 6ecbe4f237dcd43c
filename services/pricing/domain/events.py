"""Domain events of pricing; adapters/events.py turns them into the integration events of the contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import Promotion, PromotionStatus
from services.pricing.domain.quote import Quote


@dataclass(frozen=True)
class PriceChanged:
    price: SkuPrice
    changed_at: datetime


@dataclass(frozen=True)
class PromotionActivated:
    promotion: Promotion
    combinations_checked: int
    activated_at: datetime


@dataclass(frozen=True)
class PromotionDeactivated:
    promotion: Promotion
    previous_status: PromotionStatus
    reason: str
    deactivated_at: datetime


@dataclass(frozen=True)
class QuoteIssued:
    quote: Quote


DomainEvent = PriceChanged | PromotionActivated | PromotionDeactivated | QuoteIssued

"""The unit of work of pricing: the shared transaction with the pricing repositories and event publishing."""

from __future__ import annotations

from services.pricing.adapters.events import integration_event
from services.pricing.adapters.repository import (
    SqlPriceRepository,
    SqlPromotionRepository,
    SqlQuoteRepository,
    SqlShippingRuleRepository,
)
from services.pricing.domain.events import DomainEvent
from shared.db import UnitOfWork


class PricingUnitOfWork(UnitOfWork):
    prices: SqlPriceRepository
    promotions: SqlPromotionRepository
    quotes: SqlQuoteRepository
    shipping: SqlShippingRuleRepository

    def _open(self) -> None:
        self.prices = SqlPriceRepository(self.session)
        self.promotions = SqlPromotionRepository(self.session)
        self.quotes = SqlQuoteRepository(self.session)
        self.shipping = SqlShippingRuleRepository(self.session)

    def publish(self, *events: DomainEvent) -> None:
        for event in events:
            proto, aggregate_type, aggregate_id = integration_event(event)
            self.emit(proto, aggregate_type=aggregate_type, aggregate_id=aggregate_id)

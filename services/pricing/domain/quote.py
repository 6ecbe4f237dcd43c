"""A stored quote: the priced basket with an id and a validity, so the price cannot change under an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.pricing.domain.errors import QuoteExpired
from services.pricing.domain.quoting import PricedBasket

DEFAULT_VALIDITY = timedelta(minutes=15)


@dataclass(frozen=True)
class Quote:
    quote_id: str
    priced: PricedBasket
    issued_at: datetime
    valid_until: datetime

    @classmethod
    def issue(cls, quote_id: str, priced: PricedBasket, now: datetime, validity: timedelta = DEFAULT_VALIDITY) -> Quote:
        return cls(quote_id, priced, now, now + validity)

    def ensure_valid(self, now: datetime) -> Quote:
        """This quote while it holds; QuoteExpired once ``valid_until`` has passed."""
        if now > self.valid_until:
            raise QuoteExpired(self.quote_id, self.valid_until.isoformat())
        return self

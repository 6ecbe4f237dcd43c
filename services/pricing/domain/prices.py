"""The price of a SKU in one currency: list price, cost and floor, in integer minor units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.pricing.domain.validation import (
    MAX_SKU_LENGTH,
    Violations,
    check_amount,
    check_identifier,
)
from shared.kernel.money import Money

MAX_PRICES_PER_CALL = 1000
MAX_CATEGORY_LENGTH = 64


@dataclass(frozen=True)
class SkuPrice:
    """What one unit sells for (``unit_price``), what it costs the merchant, and the lowest net price allowed."""

    sku: str
    currency: str
    unit_price: int
    cost: int
    floor: int
    category: str = ""
    version: int = 0
    updated_at: datetime | None = None

    def same_values(self, other: SkuPrice) -> bool:
        return (self.unit_price, self.cost, self.floor, self.category) == (
            other.unit_price,
            other.cost,
            other.floor,
            other.category,
        )


@dataclass(frozen=True)
class PriceEntry:
    """One SKU's values as a caller sends them to SetPrices (checked by :func:`check_price_entries`)."""

    sku: str
    unit_price: Money
    cost: Money
    floor: Money
    category: str = ""


def check_price_entries(entries: Sequence[PriceEntry]) -> list[SkuPrice]:
    """Validate a SetPrices batch (every violation at once) and return the prices to store."""
    violations = Violations()
    if not entries:
        violations.add("prices", "at least one price is required")
    elif len(entries) > MAX_PRICES_PER_CALL:
        violations.add("prices", f"at most {MAX_PRICES_PER_CALL} prices per call")
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(entries[:MAX_PRICES_PER_CALL]):
        path = f"prices[{i}]"
        check_identifier(entry.sku, f"{path}.sku", violations, max_length=MAX_SKU_LENGTH, what="SKU")
        key = (entry.sku, entry.unit_price.currency)
        if entry.sku and key in seen:
            violations.add(f"{path}.sku", "is repeated in this call")
        seen.add(key)
        check_amount(entry.unit_price.amount_minor, f"{path}.unit_price.amount_minor", violations)
        check_amount(entry.cost.amount_minor, f"{path}.cost.amount_minor", violations)
        check_amount(entry.floor.amount_minor, f"{path}.floor.amount_minor", violations)
        for name, amount in (("cost", entry.cost), ("floor", entry.floor)):
            if amount.currency != entry.unit_price.currency:
                violations.add(
                    f"{path}.{name}.currency", f"must be the unit price's currency {entry.unit_price.currency}"
                )
        if 0 <= entry.unit_price.amount_minor < entry.floor.amount_minor:
            violations.add(f"{path}.floor", "must not be above the unit price")
        if entry.category:
            check_identifier(
                entry.category, f"{path}.category", violations, max_length=MAX_CATEGORY_LENGTH, what="category"
            )
    violations.raise_if_any()
    return [
        SkuPrice(
            sku=e.sku,
            currency=e.unit_price.currency,
            unit_price=e.unit_price.amount_minor,
            cost=e.cost.amount_minor,
            floor=e.floor.amount_minor,
            category=e.category,
        )
        for e in entries
    ]

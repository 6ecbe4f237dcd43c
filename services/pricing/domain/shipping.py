"""Shipping as data: a flat fee per currency and region, waived over a threshold; the most specific rule wins."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from services.pricing.domain.validation import Violations, check_amount, check_text
from shared.kernel.money import Money

_COUNTRY = re.compile(r"[A-Z]{2}")
MAX_PROVINCE_LENGTH = 64


@dataclass(frozen=True)
class ShippingRule:
    """The fee of orders in ``currency`` shipped to ``country``/``province`` (empty means any)."""

    currency: str
    country: str
    province: str
    flat_fee: int
    free_over: int | None = None

    def fee(self, merchandise_total: int) -> int:
        if self.free_over is not None and merchandise_total >= self.free_over:
            return 0
        return self.flat_fee


def normalize_country(country: str) -> str:
    return country.strip().upper()


def check_shipping_rule(
    country: str, province: str, flat_fee: Money, free_over: Money | None, prefix: str = "rule"
) -> ShippingRule:
    """Validate a rule as sent to SetShippingRule and return its canonical form."""
    v = Violations()
    country = normalize_country(country)
    province = province.strip()
    if country and not _COUNTRY.fullmatch(country):
        v.add(f"{prefix}.country", "must be an ISO 3166-1 alpha-2 code such as CN, or empty for any country")
    if province and not country:
        v.add(f"{prefix}.province", "a province needs a country")
    check_text(province, f"{prefix}.province", v, max_length=MAX_PROVINCE_LENGTH, required=False)
    check_amount(flat_fee.amount_minor, f"{prefix}.flat_fee.amount_minor", v)
    if free_over is not None:
        check_amount(free_over.amount_minor, f"{prefix}.free_over.amount_minor", v)
        if free_over.currency != flat_fee.currency:
            v.add(f"{prefix}.free_over.currency", f"must be the flat fee's currency {flat_fee.currency}")
    v.raise_if_any()
    return ShippingRule(
        currency=flat_fee.currency,
        country=country,
        province=province,
        flat_fee=flat_fee.amount_minor,
        free_over=None if free_over is None else free_over.amount_minor,
    )


def choose_rule(rules: Iterable[ShippingRule], currency: str, country: str, province: str) -> ShippingRule | None:
    """The most specific rule for the destination: country and province, then country, then any."""
    country = normalize_country(country)
    province = province.strip()
    best: ShippingRule | None = None
    best_rank = -1
    for rule in rules:
        if rule.currency != currency:
            continue
        if rule.country and rule.country != country:
            continue
        if rule.province and rule.province != province:
            continue
        rank = (2 if rule.province else 0) + (1 if rule.country else 0)
        if rank > best_rank:
            best, best_rank = rule, rank
    return best

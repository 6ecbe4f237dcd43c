"""Promotion definitions (validation, canonical form), lifecycle, stacking, prices and shipping rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from pricing_factories import NOW, definition, promo

from services.pricing.domain.errors import PromotionWindowOver
from services.pricing.domain.prices import PriceEntry, check_price_entries
from services.pricing.domain.promotions import (
    DEFAULT_GROUP,
    PromotionDefinition,
    PromotionKind,
    PromotionStatus,
    Scope,
    normalize_definition,
)
from services.pricing.domain.quote import Quote
from services.pricing.domain.shipping import check_shipping_rule
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.money import Money


def fields_of(error: pytest.ExceptionInfo[InvalidArgument]) -> set[str]:
    return {v.field for v in error.value.violations}


def test_definition_is_canonical():
    d = definition(percent=1_000, skus=["B", "A", "B"], tiers=["vip", "CUSTOMER_TIER_GOLD"], stackable_with=["z", "y"])
    assert d.scope.skus == ("A", "B")
    assert d.eligible_tiers == ("GOLD", "VIP")
    assert d.stacking_group == DEFAULT_GROUP
    assert d.stackable_with == ("y", "z")
    assert normalize_definition(d) == d


def test_every_bad_field_is_named():
    bad = PromotionDefinition(
        name=" ",
        currency="yuan",
        kind=None,
        threshold=-1,
        scope=Scope(all_skus=True, skus=("A",)),
        eligible_tiers=("",),
        coupon_code=" C",
        stacking_group="g",
        stackable_with=("g",),
        starts_at=NOW,
        ends_at=NOW,
        max_combined_discount_bps=10_001,
    )
    with pytest.raises(InvalidArgument) as caught:
        normalize_definition(bad)
    assert fields_of(caught) == {
        "promotion.name",
        "promotion.currency",
        "promotion.benefit",
        "promotion.threshold.amount_minor",
        "promotion.scope",
        "promotion.eligible_tiers[0]",
        "promotion.coupon_code",
        "promotion.stackable_with[0]",
        "promotion.ends_at",
        "promotion.max_combined_discount_bps",
    }


def test_benefit_bounds():
    base = definition(amount_off=1)
    with pytest.raises(InvalidArgument) as zero:
        normalize_definition(replace(base, amount_off=0))
    assert fields_of(zero) == {"promotion.amount_off.amount_minor"}
    with pytest.raises(InvalidArgument) as too_much:
        normalize_definition(replace(base, kind=PromotionKind.PERCENT_OFF, percent_off_bps=10_001), prefix="draft")
    assert fields_of(too_much) == {"draft.percent_off_bps"}
    with pytest.raises(InvalidArgument) as empty_scope:
        normalize_definition(replace(base, scope=Scope()))
    assert fields_of(empty_scope) == {"promotion.scope"}


def test_names_outside_the_bmp_are_fine():
    assert definition(amount_off=1, name="𠮷野家 满1000减100").name == "𠮷野家 满1000减100"


def test_lifecycle():
    draft = promo("p", status=PromotionStatus.DRAFT, percent=100)
    active = draft.activated(NOW)
    assert active.status is PromotionStatus.ACTIVE and active.version == 2
    with pytest.raises(InvalidTransition):
        active.activated(NOW)
    inactive = active.deactivated(NOW)
    assert inactive.status is PromotionStatus.INACTIVE
    with pytest.raises(InvalidTransition):
        inactive.deactivated(NOW)
    assert inactive.activated(NOW).status is PromotionStatus.ACTIVE
    assert draft.deactivated(NOW).status is PromotionStatus.INACTIVE


def test_a_promotion_whose_window_is_over_cannot_be_activated():
    over = promo("p", status=PromotionStatus.DRAFT, percent=100, ends_at=NOW)
    with pytest.raises(PromotionWindowOver):
        over.activated(NOW)


def test_liveness_follows_status_and_window():
    p = promo("p", percent=100, starts_at=NOW, ends_at=NOW + timedelta(hours=1))
    assert p.is_live(NOW)
    assert not p.is_live(NOW + timedelta(hours=1))
    assert not p.is_live(NOW - timedelta(seconds=1))
    assert not replace(p, status=PromotionStatus.DRAFT).is_live(NOW)


def test_price_entries_validation():
    good = PriceEntry("SOFA-1", Money(120_000), Money(70_000), Money(80_000), "furniture")
    assert check_price_entries([good])[0].floor == 80_000
    bad = [
        PriceEntry("", Money(-1), Money(0), Money(0)),
        PriceEntry("A", Money(100), Money(10, "USD"), Money(200)),
        good,
        good,
    ]
    with pytest.raises(InvalidArgument) as caught:
        check_price_entries(bad)
    assert fields_of(caught) == {
        "prices[0].sku",
        "prices[0].unit_price.amount_minor",
        "prices[1].cost.currency",
        "prices[1].floor",
        "prices[3].sku",
    }
    with pytest.raises(InvalidArgument):
        check_price_entries([])


def test_shipping_rule_validation():
    rule = check_shipping_rule("cn", " 浙江省 ", Money(1_000), Money(9_900))
    assert (rule.country, rule.province, rule.flat_fee, rule.free_over) == ("CN", "浙江省", 1_000, 9_900)
    with pytest.raises(InvalidArgument) as caught:
        check_shipping_rule("", "浙江省", Money(-1), Money(1, "USD"))
    assert fields_of(caught) == {"rule.province", "rule.flat_fee.amount_minor", "rule.free_over.currency"}


def test_quote_validity():
    from services.pricing.domain.errors import QuoteExpired
    from services.pricing.domain.quoting import PricedBasket

    priced = PricedBasket("CNY", (), 0, 0, 0, 0, (), (), "", ())
    q = Quote.issue("q", priced, NOW)
    assert q.valid_until == NOW + timedelta(minutes=15)
    assert q.ensure_valid(q.valid_until) is q
    with pytest.raises(QuoteExpired):
        q.ensure_valid(q.valid_until + timedelta(microseconds=1))

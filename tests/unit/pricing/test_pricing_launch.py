"""The launch check: combinations a promotion can join, against floor and cost, and its soundness."""

from __future__ import annotations

import random
from datetime import timedelta
from fractions import Fraction

import pytest
from pricing_factories import NOW, price, promo

from services.pricing.domain.launch import (
    MAX_PARTNERS,
    LaunchCheckTooWide,
    ViolationKind,
    check_launch,
    worst_unit_discount,
)
from services.pricing.domain.promotions import PromotionStatus
from services.pricing.domain.quoting import BasketLine, PricingPolicy, check_basket, price_basket

SOFA = price("SOFA-1", 120_000, cost=70_000, floor=80_000, category="furniture")


def test_sofa_incident_the_second_promotion_that_stacks_by_mistake_is_blocked():
    store = promo("store", amount_off=30_000, threshold=100_000, group="store", stackable_with=["platform"])
    platform = promo(
        "platform", amount_off=30_000, threshold=100_000, coupon="P300", group="platform", stackable_with=["store"]
    )
    first = check_launch(store, [], [SOFA], now=NOW)
    assert first.ok and first.combinations_checked == 1
    second = check_launch(platform, [store], [SOFA], now=NOW)
    assert not second.ok
    assert second.violation_count == 1
    (violation,) = second.violations
    assert violation.promotion_ids == ("platform", "store")
    assert violation.worst_net_unit_price == 60_000
    assert violation.kinds == (ViolationKind.BELOW_FLOOR, ViolationKind.BELOW_COST)


def test_the_incident_as_reported_sofa_at_200_is_found():
    store = promo("store", amount_off=40_000, threshold=100_000, group="store", stackable_with=["platform"])
    platform = promo("platform", amount_off=60_000, coupon="P600", group="platform", stackable_with=["store"])
    report = check_launch(platform, [store], [SOFA], now=NOW)
    nets = {v.promotion_ids: v.worst_net_unit_price for v in report.violations}
    assert nets == {("platform",): 60_000, ("platform", "store"): 20_000}
    assert report.worst is not None and report.worst.promotion_ids == ("platform", "store")


def test_exclusive_promotions_are_never_simulated_together():
    store = promo("store", amount_off=30_000, threshold=100_000)
    other = promo("other", amount_off=30_000, coupon="C300")
    report = check_launch(other, [store], [SOFA], now=NOW)
    assert report.ok and report.combinations_checked == 1


def test_one_sided_stacking_declarations_do_not_combine():
    store = promo("store", amount_off=30_000, group="store")
    platform = promo("platform", amount_off=30_000, group="platform", stackable_with=["store"])
    assert check_launch(platform, [store], [SOFA], now=NOW).ok


def test_partners_that_cannot_be_live_together_are_left_out():
    base = {"amount_off": 30_000, "group": "g2", "stackable_with": ["g1"]}
    candidate = promo(
        "cand", amount_off=30_000, group="g1", stackable_with=["g2"], tiers=["VIP"], ends_at=NOW + timedelta(days=2)
    )
    partners = [
        promo("later", starts_at=NOW + timedelta(days=3), **base),
        promo("ended", ends_at=NOW - timedelta(seconds=1), **base),
        promo("gold", tiers=["GOLD"], **base),
        promo("draft", status=PromotionStatus.DRAFT, **base),
        promo("usd", currency="USD", **base),
    ]
    report = check_launch(candidate, partners, [SOFA], now=NOW)
    assert report.ok and report.combinations_checked == 1
    live = promo("vip", tiers=["VIP", "GOLD"], starts_at=NOW + timedelta(days=1), **base)
    assert not check_launch(candidate, [*partners, live], [SOFA], now=NOW).ok


def test_only_covered_skus_in_the_currency_are_checked():
    lamp = price("LAMP-1", 30_000, floor=29_000, category="lighting")
    usd = price("SOFA-1", 100, currency="USD")
    report = check_launch(promo("f", percent=5_000, categories=["furniture"]), [], [SOFA, lamp, usd], now=NOW)
    assert report.skus_checked == 1
    assert [v.sku for v in report.violations] == ["SOFA-1"]
    assert report.violations[0].worst_net_unit_price == 60_000


def test_threshold_spreads_the_amount_over_at_least_the_threshold():
    cheap = price("CUP", 30_000)
    p = promo("p", amount_off=10_000, threshold=100_000)
    assert worst_unit_discount(p, cheap.unit_price) == 3_000
    assert worst_unit_discount(p, 200_000) == 10_000
    assert worst_unit_discount(promo("q", amount_off=50_000), 30_000) == 30_000
    assert worst_unit_discount(promo("r", percent=1_234), 999) == Fraction(999 * 1_234, 10_000)
    assert worst_unit_discount(promo("s", amount_off=1, threshold=3), 1) == 1  # ceil(1/3)


def test_worst_first_and_limited_report():
    prices = [price(f"S{i:03d}", 10_000, floor=9_000 - i) for i in range(50)]
    report = check_launch(promo("p", percent=5_000), [], prices, now=NOW, limit=5)
    assert report.violation_count == 50
    assert [v.sku for v in report.violations] == ["S000", "S001", "S002", "S003", "S004"]


def test_too_many_stackable_partners_on_one_sku_is_refused_not_guessed():
    groups = [f"g{i}" for i in range(MAX_PARTNERS + 2)]
    everyone = [
        promo(f"p{i}", amount_off=1, group=g, stackable_with=[x for x in groups if x != g])
        for i, g in enumerate(groups)
    ]
    with pytest.raises(LaunchCheckTooWide):
        check_launch(everyone[0], everyone[1:], [SOFA], now=NOW)


@pytest.mark.parametrize("seed", range(60))
def test_no_quote_goes_below_the_worst_price_the_check_computes(seed: int):
    """Soundness: whatever basket, each line's net unit price is at least the bound for the set applied."""
    rng = random.Random(seed)
    skus = [f"S{i}" for i in range(6)]
    prices = {s: price(s, rng.randint(1, 40_000)) for s in skus}
    groups = ["g1", "g2", "g3"]
    promotions = []
    for i in range(rng.randint(1, 6)):
        group = rng.choice(groups)
        common = {
            "group": group,
            "stackable_with": [g for g in groups if g != group],
            "threshold": rng.choice([0, 5_000, 30_000, 90_000]),
            "skus": rng.sample(skus, rng.randint(0, 4)),
        }
        if rng.random() < 0.6:
            promotions.append(promo(f"p{i}", amount_off=rng.randint(1, 30_000), **common))
        else:
            promotions.append(promo(f"p{i}", percent=rng.randint(1, 9_000), **common))
    by_id = {p.promotion_id: p for p in promotions}
    lines = [BasketLine(s, rng.randint(1, 4)) for s in rng.sample(skus, rng.randint(1, 6))]
    result = price_basket(
        check_basket(lines, currency="CNY"), prices, promotions, [], now=NOW, policy=PricingPolicy(10_000)
    )
    applied = [by_id[a.promotion_id] for a in result.applied]
    for line in result.lines:
        covering = [p for p in applied if p.definition.scope.covers(line.sku, "")]
        bound = sum((worst_unit_discount(p, line.unit_price) for p in covering), Fraction(0))
        assert Fraction(line.discount, line.quantity) <= bound

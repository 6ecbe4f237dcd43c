"""The quote engine: promotion choice, stacking, caps, exact allocation, floors, coupons, shipping."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from pricing_factories import NOW, price, promo

from services.pricing.domain.errors import PriceBelowFloor, SkuNotPriced
from services.pricing.domain.quoting import (
    Basket,
    BasketLine,
    PricedBasket,
    PricingPolicy,
    RejectionReason,
    check_basket,
    price_basket,
)
from services.pricing.domain.shipping import ShippingRule
from shared.kernel.errors import InvalidArgument

SOFA = price("SOFA-1", 120_000, cost=70_000, floor=80_000, category="furniture")
LAMP = price("LAMP-1", 30_000, cost=10_000, floor=15_000, category="lighting")
MUG = price("MUG-1", 3_333, category="kitchen")
PRICES = {p.sku: p for p in (SOFA, LAMP, MUG)}


def basket(*lines: tuple[str, int], tier: str = "", coupons: tuple[str, ...] = (), province: str = "") -> Basket:
    return check_basket(
        [BasketLine(sku, qty) for sku, qty in lines],
        currency="CNY",
        customer_tier=tier,
        coupon_codes=coupons,
        country="CN" if province else "",
        province=province,
    )


def quote(b: Basket, promotions=(), shipping=(), policy: PricingPolicy = PricingPolicy(), prices=None) -> PricedBasket:
    return price_basket(b, prices or PRICES, list(promotions), list(shipping), now=NOW, policy=policy)


def reasons(result: PricedBasket) -> dict[str, RejectionReason]:
    return {r.promotion_id or r.coupon_code: r.reason for r in result.rejected}


def assert_consistent(result: PricedBasket) -> None:
    assert result.subtotal == sum(line.unit_price * line.quantity for line in result.lines)
    assert result.discount_total == sum(line.discount for line in result.lines)
    assert result.discount_total == sum(a.amount for a in result.applied)
    assert result.total == result.subtotal + result.shipping_fee - result.discount_total
    for line in result.lines:
        assert 0 <= line.discount <= line.unit_price * line.quantity
        assert line.line_total == line.unit_price * line.quantity - line.discount


def test_threshold_discount_applies_once_the_eligible_subtotal_reaches_it():
    result = quote(basket(("SOFA-1", 1)), [promo("p-1000-100", amount_off=10_000, threshold=100_000)])
    assert [a.promotion_id for a in result.applied] == ["p-1000-100"]
    assert result.lines[0].discount == 10_000
    assert result.total == 110_000
    assert_consistent(result)


def test_threshold_not_met_is_rejected_with_what_is_missing():
    result = quote(basket(("LAMP-1", 2)), [promo("p-1000-100", amount_off=10_000, threshold=100_000)])
    assert result.applied == ()
    assert reasons(result) == {"p-1000-100": RejectionReason.THRESHOLD_NOT_MET}
    assert "400.00 CNY" in result.rejected[0].detail
    assert result.total == 60_000


def test_within_the_default_group_only_the_best_single_promotion_applies():
    small = promo("a-small", amount_off=5_000, threshold=100_000)
    big = promo("b-big", percent=1_000)
    result = quote(basket(("SOFA-1", 1)), [small, big])
    assert [a.promotion_id for a in result.applied] == ["b-big"]
    assert result.discount_total == 12_000
    assert reasons(result) == {"a-small": RejectionReason.NOT_STACKABLE}
    assert "b-big" in result.rejected[0].detail


def test_promotions_stack_only_when_both_declare_the_other_group():
    store = promo("store", amount_off=10_000, threshold=100_000, group="store", stackable_with=["platform"])
    mutual = promo("platform", amount_off=5_000, group="platform", stackable_with=["store"])
    one_sided = promo("platform", amount_off=5_000, group="platform")
    both = quote(basket(("SOFA-1", 1)), [store, mutual])
    assert sorted(a.promotion_id for a in both.applied) == ["platform", "store"]
    assert both.discount_total == 15_000
    alone = quote(basket(("SOFA-1", 1)), [store, one_sided])
    assert [a.promotion_id for a in alone.applied] == ["store"]
    assert reasons(alone) == {"platform": RejectionReason.NOT_STACKABLE}


def test_the_best_combination_can_beat_the_best_single_promotion():
    # "solo" is the largest alone but stacks with nothing; the two stackable ones together give more.
    solo = promo("solo", amount_off=20_000, threshold=100_000, group="solo")
    first = promo("x", amount_off=15_000, group="g1", stackable_with=["g2"])
    second = promo("y", amount_off=15_000, group="g2", stackable_with=["g1"])
    result = quote(basket(("SOFA-1", 1)), [solo, first, second])
    assert sorted(a.promotion_id for a in result.applied) == ["x", "y"]
    assert result.discount_total == 30_000
    assert reasons(result) == {"solo": RejectionReason.NOT_STACKABLE}


def test_global_cap_trims_the_combined_discount_and_reports_it():
    a = promo("a", percent=3_000, group="g1", stackable_with=["g2", "g3"])
    b = promo("b", percent=3_000, group="g2", stackable_with=["g1", "g3"])
    c = promo("c", amount_off=100, group="g3", stackable_with=["g1", "g2"])
    result = quote(basket(("LAMP-1", 1)), [a, b, c], prices={"LAMP-1": price("LAMP-1", 30_000)})
    assert result.discount_total == 15_000  # 50% of the subtotal, not 60% + 1.00
    applied = {x.promotion_id: x for x in result.applied}
    assert applied["a"].amount == 9_000 and not applied["a"].capped
    assert applied["b"].amount == 6_000 and applied["b"].capped
    assert reasons(result) == {"c": RejectionReason.CAPPED}
    assert_consistent(result)


def test_a_promotions_own_cap_limits_any_set_it_joins():
    a = promo("a", percent=2_000, group="g1", stackable_with=["g2"], cap_bps=2_500)
    b = promo("b", percent=2_000, group="g2", stackable_with=["g1"])
    result = quote(basket(("LAMP-1", 1)), [a, b], prices={"LAMP-1": price("LAMP-1", 30_000)})
    assert result.discount_total == 7_500


def test_configured_global_cap_is_honoured():
    a = promo("a", percent=9_000)
    result = quote(
        basket(("LAMP-1", 1)),
        [a],
        policy=PricingPolicy(max_discount_bps=1_000),
        prices={"LAMP-1": price("LAMP-1", 30_000)},
    )
    assert result.discount_total == 3_000
    assert result.applied[0].capped


def test_amount_off_is_allocated_to_lines_exactly_by_largest_remainder():
    prices = {s: price(s, 3_333) for s in ("A", "B", "C")}
    result = quote(basket(("A", 1), ("B", 1), ("C", 1)), [promo("p", amount_off=1_000)], prices=prices)
    assert sorted(line.discount for line in result.lines) == [333, 333, 334]
    assert result.discount_total == 1_000
    assert_consistent(result)


def test_percent_off_is_taken_per_line_rounded_down():
    prices = {"A": price("A", 999), "B": price("B", 1_001)}
    result = quote(basket(("A", 1), ("B", 3)), [promo("p", percent=1_000)], prices=prices)
    assert [line.discount for line in result.lines] == [99, 300]


def test_scope_by_sku_and_category():
    by_category = promo("furniture-10", percent=1_000, categories=["furniture"], stackable_with=["mugs"])
    by_sku = promo("mug-5", amount_off=500, skus=["MUG-1"], group="mugs", stackable_with=["default"])
    result = quote(basket(("SOFA-1", 1), ("LAMP-1", 1), ("MUG-1", 2)), [by_category, by_sku])
    discounts = {line.sku: line.discount for line in result.lines}
    assert discounts == {"SOFA-1": 12_000, "LAMP-1": 0, "MUG-1": 500}


def test_out_of_scope_automatic_promotions_are_not_listed():
    result = quote(basket(("LAMP-1", 1)), [promo("sofa-only", percent=1_000, skus=["SOFA-1"])])
    assert result.applied == () and result.rejected == ()


def test_tier_restriction_accepts_the_customers_enum_name():
    vip = promo("vip", percent=1_000, tiers=["VIP"])
    assert quote(basket(("SOFA-1", 1), tier="CUSTOMER_TIER_VIP"), [vip]).discount_total == 12_000
    result = quote(basket(("SOFA-1", 1), tier="GOLD"), [vip])
    assert reasons(result) == {"vip": RejectionReason.TIER_NOT_ELIGIBLE}
    assert quote(basket(("SOFA-1", 1)), [vip]).discount_total == 0


def test_coupon_applies_only_when_entered():
    coupon = promo("c500", amount_off=5_000, threshold=50_000, coupon="满500减50", group="coupons")
    assert quote(basket(("SOFA-1", 1)), [coupon]).applied == ()
    result = quote(basket(("SOFA-1", 1), coupons=("满500减50",)), [coupon])
    assert [(a.promotion_id, a.coupon_code, a.amount) for a in result.applied] == [("c500", "满500减50", 5_000)]


def test_coupon_rejections_say_why():
    expired = promo("old", amount_off=100, coupon="OLD", ends_at=NOW - timedelta(seconds=1))
    future = promo("new", amount_off=100, coupon="NEW", starts_at=NOW + timedelta(days=1))
    usd = promo("usd", amount_off=100, coupon="USD", currency="USD")
    lamp_only = promo("lamp", amount_off=100, coupon="LAMP", skus=["LAMP-1"])
    result = quote(
        basket(("SOFA-1", 1), coupons=("NOPE", "OLD", "NEW", "USD", "LAMP")), [expired, future, usd, lamp_only]
    )
    assert reasons(result) == {
        "NOPE": RejectionReason.COUPON_UNKNOWN,
        "old": RejectionReason.COUPON_EXPIRED,
        "new": RejectionReason.COUPON_NOT_YET_VALID,
        "usd": RejectionReason.CURRENCY_MISMATCH,
        "lamp": RejectionReason.NOT_APPLICABLE,
    }
    assert result.applied == ()


def test_automatic_promotions_outside_their_window_are_ignored():
    later = promo("later", percent=1_000, starts_at=NOW + timedelta(hours=1))
    ended = promo("ended", percent=1_000, ends_at=NOW)
    result = quote(basket(("SOFA-1", 1)), [later, ended])
    assert result.applied == () and result.rejected == ()


def test_a_line_below_its_floor_refuses_the_quote_with_the_sku():
    with pytest.raises(PriceBelowFloor) as caught:
        quote(basket(("LAMP-1", 1), ("SOFA-1", 1)), [promo("deep", percent=4_000, skus=["SOFA-1"])])
    assert caught.value.reason == "PRICE_BELOW_FLOOR"
    assert caught.value.metadata["sku"] == "SOFA-1"
    assert caught.value.metadata["net_unit_price"] == "72000"


def test_the_sofa_can_never_be_quoted_at_200_even_with_promotions_that_stack_by_mistake():
    # The incident: two promotions that should not stack are both switched on and stack.
    store = promo("store", amount_off=50_000, threshold=100_000, group="store", stackable_with=["platform"])
    platform = promo("platform", amount_off=50_000, threshold=100_000, group="platform", stackable_with=["store"])
    sofa = {"SOFA-1": SOFA}
    with pytest.raises(PriceBelowFloor):
        quote(basket(("SOFA-1", 1)), [store, platform], prices=sofa, policy=PricingPolicy(max_discount_bps=10_000))
    # With the default 50% cap the pair reaches 600.00, still under the 800.00 floor: refused too.
    with pytest.raises(PriceBelowFloor):
        quote(basket(("SOFA-1", 1)), [store, platform], prices=sofa)
    # Exclusive (the default), two 300.00 promotions: only one applies and the sofa sells at 900.00.
    single = quote(
        basket(("SOFA-1", 1), coupons=("C300",)),
        [promo("a", amount_off=30_000, threshold=100_000), promo("b", amount_off=30_000, coupon="C300")],
        prices=sofa,
    )
    assert single.total == 90_000
    assert reasons(single) == {"b": RejectionReason.NOT_STACKABLE}


def test_unpriced_sku_is_not_found_with_the_sku():
    with pytest.raises(SkuNotPriced) as caught:
        quote(basket(("SOFA-1", 1), ("GHOST", 1)))
    assert caught.value.metadata["sku"] == "GHOST"


def test_price_in_another_currency_does_not_count():
    with pytest.raises(SkuNotPriced):
        quote(basket(("SOFA-1", 1)), prices={"SOFA-1": price("SOFA-1", 100, currency="USD")})


def test_shipping_flat_fee_free_over_threshold_after_discounts_and_most_specific_rule():
    rules = [
        ShippingRule("CNY", "", "", flat_fee=1_000, free_over=100_000),
        ShippingRule("CNY", "CN", "新疆维吾尔自治区", flat_fee=3_000, free_over=None),
    ]
    assert quote(basket(("LAMP-1", 1)), shipping=rules).shipping_fee == 1_000
    assert quote(basket(("SOFA-1", 1)), shipping=rules).shipping_fee == 0
    # 1200 - 25% = 900 after discounts: below the free-shipping threshold.
    discounted = quote(basket(("SOFA-1", 1)), [promo("p", percent=2_500)], shipping=rules)
    assert discounted.shipping_fee == 1_000
    assert discounted.total == 120_000 - 30_000 + 1_000
    assert quote(basket(("SOFA-1", 1), province="新疆维吾尔自治区"), shipping=rules).shipping_fee == 3_000
    assert quote(basket(("SOFA-1", 1)), shipping=[]).shipping_fee == 0


def test_basket_validation_names_every_bad_field():
    with pytest.raises(InvalidArgument) as caught:
        check_basket(
            [BasketLine("", 1), BasketLine("OK", 0), BasketLine(" X", 1)],
            currency="cny",
            customer_tier="v i p",
            coupon_codes=["", "A"],
        )
    fields = {v.field for v in caught.value.violations}
    assert fields == {
        "lines[0].sku",
        "lines[1].quantity",
        "lines[2].sku",
        "currency",
        "customer_tier",
        "coupon_codes[0]",
    }
    with pytest.raises(InvalidArgument) as empty:
        check_basket([], currency="CNY")
    assert [v.field for v in empty.value.violations] == ["lines"]


def test_basket_merges_repeated_skus_and_accepts_text_outside_the_bmp():
    b = check_basket(
        [BasketLine("𠮷-1", 1), BasketLine("A", 2), BasketLine("𠮷-1", 3)], currency="", coupon_codes=["𠮷", "𠮷"]
    )
    assert b.lines == (BasketLine("𠮷-1", 4), BasketLine("A", 2))
    assert b.currency == "CNY"
    assert b.coupon_codes == ("𠮷",)


def test_many_stackable_groups_are_searched_within_budget_and_deterministically():
    groups = [f"g{i}" for i in range(12)]
    promotions = [
        promo(f"p{i:02d}-{j}", amount_off=100 + i * 10 + j, group=g, stackable_with=[x for x in groups if x != g])
        for i, g in enumerate(groups)
        for j in range(3)
    ]
    first = quote(basket(("SOFA-1", 1)), promotions)
    second = quote(basket(("SOFA-1", 1)), list(reversed(promotions)))
    assert first == second
    assert len(first.applied) == 12
    assert all(a.promotion_id.endswith("-2") for a in first.applied)


@pytest.mark.parametrize("seed", range(40))
def test_random_baskets_always_add_up(seed: int):
    rng = random.Random(seed)
    skus = [f"S{i}" for i in range(8)]
    prices = {s: price(s, rng.randint(0, 50_000), category=rng.choice(["a", "b", ""])) for s in skus}
    groups = ["g1", "g2", "g3", "default"]
    promotions = []
    for i in range(rng.randint(0, 8)):
        group = rng.choice(groups)
        common = {
            "group": group,
            "stackable_with": [g for g in groups if g != group and rng.random() < 0.6],
            "threshold": rng.choice([0, 0, 10_000, 50_000]),
            "skus": rng.sample(skus, rng.randint(0, 3)),
            "cap_bps": rng.choice([0, 0, 3_000]),
        }
        if rng.random() < 0.5:
            promotions.append(promo(f"p{i}", amount_off=rng.randint(1, 40_000), **common))
        else:
            promotions.append(promo(f"p{i}", percent=rng.randint(1, 10_000), **common))
    lines = [(s, rng.randint(1, 5)) for s in rng.sample(skus, rng.randint(1, 8))]
    policy = PricingPolicy(max_discount_bps=rng.choice([5_000, 10_000]))
    rules = [ShippingRule("CNY", "", "", flat_fee=rng.randint(0, 2_000), free_over=rng.choice([None, 30_000]))]
    result = quote(basket(*lines), promotions, rules, policy=policy, prices=prices)
    assert_consistent(result)
    assert result.discount_total <= result.subtotal * policy.max_discount_bps // 10_000
    considered = {a.promotion_id for a in result.applied} | {r.promotion_id for r in result.rejected}
    assert len(considered) == len(result.applied) + len(result.rejected)

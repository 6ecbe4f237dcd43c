"""The quote engine: prices a basket, chooses the best allowed set of promotions and allocates it to lines exactly.

Rules, in the order they act:
- A promotion is a candidate when it is live, in the quote's currency, covers a line, allows the tier,
  its eligible subtotal (list prices) reaches its threshold, and, for a coupon, its code was entered.
- Each candidate has natural shares per eligible line: an amount off is split over its eligible lines in
  proportion to their amounts (largest remainder); a percentage is taken per line, rounded down.
  A line's share of a promotion is therefore never above that promotion's rate: this is what lets the
  launch check bound the worst net price of a SKU without knowing the basket.
- The chosen set holds at most one promotion per stacking group and only mutually stackable ones; among
  all such sets the one with the largest discount wins (then fewer promotions, then smaller ids).
- The combined discount is capped in basis points of the subtotal (the smallest of the global cap and
  the members' own caps); members are applied largest first and the cap trims the last ones.
- No line is discounted below zero; every refusal below a SKU's floor is the caller's error to see.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.pricing.domain.errors import PriceBelowFloor, SkuNotPriced
from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import FULL_BPS, Promotion, PromotionKind
from services.pricing.domain.shipping import ShippingRule, choose_rule
from services.pricing.domain.validation import (
    MAX_CODE_LENGTH,
    MAX_SKU_LENGTH,
    Violations,
    check_identifier,
    normalize_currency,
    normalize_tier,
)
from shared.kernel.money import Money

MAX_LINES = 200
MAX_QUANTITY = 100_000
MAX_COUPONS = 10
DEFAULT_MAX_DISCOUNT_BPS = 5_000
# Branch-and-bound nodes one quote may spend choosing promotions; far above what real catalogues need.
DEFAULT_SEARCH_BUDGET = 20_000


class RejectionReason(enum.Enum):
    NOT_STACKABLE = "NOT_STACKABLE"
    THRESHOLD_NOT_MET = "THRESHOLD_NOT_MET"
    COUPON_UNKNOWN = "COUPON_UNKNOWN"
    COUPON_EXPIRED = "COUPON_EXPIRED"
    COUPON_NOT_YET_VALID = "COUPON_NOT_YET_VALID"
    TIER_NOT_ELIGIBLE = "TIER_NOT_ELIGIBLE"
    CAPPED = "CAPPED"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"


@dataclass(frozen=True)
class BasketLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Basket:
    """A checked basket: lines merged per SKU (first appearance order), tier and coupon codes normalised."""

    lines: tuple[BasketLine, ...]
    currency: str
    customer_tier: str = ""
    coupon_codes: tuple[str, ...] = ()
    country: str = ""
    province: str = ""

    @property
    def skus(self) -> list[str]:
        return [line.sku for line in self.lines]


def check_basket(
    lines: Sequence[BasketLine],
    *,
    currency: str,
    customer_tier: str = "",
    coupon_codes: Sequence[str] = (),
    country: str = "",
    province: str = "",
) -> Basket:
    """Validate a Quote request (every violation at once) and return the basket to price."""
    v = Violations()
    if not lines:
        v.add("lines", "at least one line is required")
    elif len(lines) > MAX_LINES:
        v.add("lines", f"at most {MAX_LINES} lines")
    merged: dict[str, int] = {}
    for i, line in enumerate(lines[:MAX_LINES]):
        check_identifier(line.sku, f"lines[{i}].sku", v, max_length=MAX_SKU_LENGTH, what="SKU")
        if not 1 <= line.quantity <= MAX_QUANTITY:
            v.add(f"lines[{i}].quantity", f"must be 1 to {MAX_QUANTITY}")
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    for sku, quantity in merged.items():
        if quantity > MAX_QUANTITY:
            v.add("lines", f"SKU {sku!r} adds up to more than {MAX_QUANTITY} units")
    tier = normalize_tier(customer_tier, "customer_tier", v)
    code = normalize_currency(currency, "currency", v)
    if len(coupon_codes) > MAX_COUPONS:
        v.add("coupon_codes", f"at most {MAX_COUPONS} coupon codes")
    for i, coupon in enumerate(coupon_codes[:MAX_COUPONS]):
        check_identifier(coupon, f"coupon_codes[{i}]", v, max_length=MAX_CODE_LENGTH, what="coupon code")
    v.raise_if_any()
    return Basket(
        lines=tuple(BasketLine(sku, quantity) for sku, quantity in merged.items()),
        currency=code,
        customer_tier=tier,
        coupon_codes=tuple(dict.fromkeys(coupon_codes)),
        country=country.strip().upper(),
        province=province.strip(),
    )


@dataclass(frozen=True)
class PricingPolicy:
    """Merchant-wide knobs: the global cap on the combined discount and the search budget."""

    max_discount_bps: int = DEFAULT_MAX_DISCOUNT_BPS
    search_budget: int = DEFAULT_SEARCH_BUDGET


@dataclass(frozen=True)
class QuotedLine:
    sku: str
    quantity: int
    unit_price: int
    discount: int
    line_total: int


@dataclass(frozen=True)
class AppliedPromotion:
    promotion_id: str
    name: str
    kind: PromotionKind | None
    coupon_code: str
    amount: int
    capped: bool


@dataclass(frozen=True)
class RejectedPromotion:
    promotion_id: str
    name: str
    coupon_code: str
    reason: RejectionReason
    detail: str


@dataclass(frozen=True)
class PricedBasket:
    """The priced basket; ``total == subtotal + shipping_fee - discount_total`` holds exactly."""

    currency: str
    lines: tuple[QuotedLine, ...]
    subtotal: int
    discount_total: int
    shipping_fee: int
    total: int
    applied: tuple[AppliedPromotion, ...]
    rejected: tuple[RejectedPromotion, ...]
    customer_tier: str
    coupon_codes: tuple[str, ...]


@dataclass
class _Candidate:
    promotion: Promotion
    coupon_code: str
    eligible: list[int]
    natural: list[int]
    raw: int = field(init=False)

    def __post_init__(self) -> None:
        self.raw = sum(self.natural)

    @property
    def id(self) -> str:
        return self.promotion.promotion_id


def _allocate(amount: int, weights: list[int]) -> list[int]:
    if amount == 0 or sum(weights) <= 0:
        return [0] * len(weights)
    return [m.amount_minor for m in Money(amount).allocate(weights)]


def _natural_shares(promotion: Promotion, amounts: list[int]) -> list[int]:
    d = promotion.definition
    if d.kind is PromotionKind.PERCENT_OFF:
        return [a * d.percent_off_bps // FULL_BPS for a in amounts]
    return _allocate(min(d.amount_off, sum(amounts)), amounts)


@dataclass
class _Outcome:
    members: list[_Candidate]
    total: int
    shares: list[list[int]]
    capped: list[bool]

    def key(self) -> tuple[int, int, list[str]]:
        return (-self.total, len(self.members), sorted(c.id for c in self.members))


def _order(members: Sequence[_Candidate]) -> list[_Candidate]:
    return sorted(members, key=lambda c: (-c.raw, c.id))


def _evaluate(members: Sequence[_Candidate], amounts: list[int], subtotal: int, policy: PricingPolicy) -> _Outcome:
    """Apply ``members`` largest first under the combined cap, never taking a line below zero."""
    ordered = _order(members)
    caps = [policy.max_discount_bps] + [
        c.promotion.definition.max_combined_discount_bps
        for c in ordered
        if c.promotion.definition.max_combined_discount_bps
    ]
    room = subtotal * min(caps) // FULL_BPS
    remaining = list(amounts)
    shares: list[list[int]] = []
    capped: list[bool] = []
    total = 0
    for candidate in ordered:
        give = min(candidate.raw, room)
        wanted = candidate.natural if give == candidate.raw else _allocate(give, candidate.natural)
        granted = [min(s, remaining[i]) for s, i in zip(wanted, candidate.eligible, strict=True)]
        for s, i in zip(granted, candidate.eligible, strict=True):
            remaining[i] -= s
        amount = sum(granted)
        room -= amount
        total += amount
        shares.append(granted)
        capped.append(amount < candidate.raw)
    return _Outcome(ordered, total, shares, capped)


def _choose(candidates: list[_Candidate], amounts: list[int], subtotal: int, policy: PricingPolicy) -> _Outcome:
    """Branch and bound over one-per-group, mutually stackable sets; the largest discount wins."""
    groups: dict[str, list[_Candidate]] = {}
    for candidate in _order(candidates):
        groups.setdefault(candidate.promotion.group, []).append(candidate)
    ordered_groups = sorted(groups.values(), key=lambda g: (-g[0].raw, g[0].promotion.group))
    # best_rest[g]: the most the groups from g on could still add, for pruning.
    best_rest = [0] * (len(ordered_groups) + 1)
    for g in range(len(ordered_groups) - 1, -1, -1):
        best_rest[g] = best_rest[g + 1] + ordered_groups[g][0].raw
    ceiling = subtotal * policy.max_discount_bps // FULL_BPS
    best = _evaluate([], amounts, subtotal, policy)
    budget = policy.search_budget

    def search(g: int, chosen: list[_Candidate], raw_sum: int) -> None:
        nonlocal best, budget
        if budget <= 0 or min(ceiling, raw_sum + best_rest[g]) < best.total:
            return
        if g == len(ordered_groups):
            budget -= 1
            outcome = _evaluate(chosen, amounts, subtotal, policy)
            if outcome.key() < best.key():
                best = outcome
            return
        for candidate in ordered_groups[g]:
            if all(candidate.promotion.stacks_with(c.promotion) for c in chosen):
                chosen.append(candidate)
                search(g + 1, chosen, raw_sum + candidate.raw)
                chosen.pop()
        search(g + 1, chosen, raw_sum)

    search(0, [], 0)
    return best


def _money(amount: int, currency: str) -> str:
    return str(Money(amount, currency))


def _reject(candidate: _Candidate, reason: RejectionReason, detail: str) -> RejectedPromotion:
    d = candidate.promotion.definition
    return RejectedPromotion(candidate.id, d.name, candidate.coupon_code, reason, detail)


def _why_not_chosen(candidate: _Candidate, chosen: list[_Candidate]) -> RejectedPromotion:
    for other in chosen:
        if other.promotion.group == candidate.promotion.group:
            return _reject(
                candidate,
                RejectionReason.NOT_STACKABLE,
                f"same stacking group {other.promotion.group!r} as {other.id}, which gives more",
            )
    for other in chosen:
        if not candidate.promotion.stacks_with(other.promotion):
            return _reject(candidate, RejectionReason.NOT_STACKABLE, f"does not stack with {other.id}")
    return _reject(
        candidate,
        RejectionReason.CAPPED,
        "adding it would not raise the discount (combined-discount cap, or its lines are fully discounted)",
    )


def price_basket(
    basket: Basket,
    prices: Mapping[str, SkuPrice],
    promotions: Sequence[Promotion],
    shipping_rules: Sequence[ShippingRule],
    *,
    now: datetime,
    policy: PricingPolicy = PricingPolicy(),
) -> PricedBasket:
    """Price ``basket`` with the live ``promotions``; raises SkuNotPriced or PriceBelowFloor."""
    currency = basket.currency
    priced: list[SkuPrice] = []
    for line in basket.lines:
        price = prices.get(line.sku)
        if price is None or price.currency != currency:
            raise SkuNotPriced(line.sku, currency)
        priced.append(price)
    amounts = [p.unit_price * line.quantity for p, line in zip(priced, basket.lines, strict=True)]
    subtotal = sum(amounts)

    candidates: list[_Candidate] = []
    rejected: list[RejectedPromotion] = []
    by_code: dict[str, Promotion] = {}
    automatic: list[Promotion] = []
    for promotion in sorted(promotions, key=lambda p: p.promotion_id):
        if promotion.definition.is_coupon:
            by_code[promotion.definition.coupon_code] = promotion
        else:
            automatic.append(promotion)

    def consider(promotion: Promotion, coupon_code: str) -> None:
        d = promotion.definition
        eligible = [i for i, p in enumerate(priced) if d.scope.covers(p.sku, p.category)]
        if not eligible:
            if coupon_code:
                rejected.append(
                    RejectedPromotion(
                        promotion.promotion_id,
                        d.name,
                        coupon_code,
                        RejectionReason.NOT_APPLICABLE,
                        "covers no line of the basket",
                    )
                )
            return
        if not d.allows_tier(basket.customer_tier):
            rejected.append(
                RejectedPromotion(
                    promotion.promotion_id,
                    d.name,
                    coupon_code,
                    RejectionReason.TIER_NOT_ELIGIBLE,
                    f"only for tiers {', '.join(d.eligible_tiers)}",
                )
            )
            return
        eligible_amounts = [amounts[i] for i in eligible]
        eligible_subtotal = sum(eligible_amounts)
        if eligible_subtotal < d.threshold:
            rejected.append(
                RejectedPromotion(
                    promotion.promotion_id,
                    d.name,
                    coupon_code,
                    RejectionReason.THRESHOLD_NOT_MET,
                    f"spend {_money(d.threshold - eligible_subtotal, currency)} more on eligible items",
                )
            )
            return
        candidates.append(_Candidate(promotion, coupon_code, eligible, _natural_shares(promotion, eligible_amounts)))

    for promotion in automatic:
        if promotion.definition.currency == currency and promotion.is_live(now):
            consider(promotion, "")
    for code in basket.coupon_codes:
        promotion = by_code.get(code)
        if promotion is None:
            rejected.append(RejectedPromotion("", "", code, RejectionReason.COUPON_UNKNOWN, "no such coupon"))
            continue
        d = promotion.definition
        if d.currency != currency:
            rejected.append(
                RejectedPromotion(
                    promotion.promotion_id,
                    d.name,
                    code,
                    RejectionReason.CURRENCY_MISMATCH,
                    f"valid for {d.currency} only",
                )
            )
        elif d.ends_at is not None and now >= d.ends_at:
            rejected.append(
                RejectedPromotion(
                    promotion.promotion_id,
                    d.name,
                    code,
                    RejectionReason.COUPON_EXPIRED,
                    f"ended {d.ends_at.isoformat()}",
                )
            )
        elif d.starts_at is not None and now < d.starts_at:
            rejected.append(
                RejectedPromotion(
                    promotion.promotion_id,
                    d.name,
                    code,
                    RejectionReason.COUPON_NOT_YET_VALID,
                    f"starts {d.starts_at.isoformat()}",
                )
            )
        else:
            consider(promotion, code)

    outcome = _choose(candidates, amounts, subtotal, policy)
    line_discounts = [0] * len(amounts)
    applied: list[AppliedPromotion] = []
    chosen_ids = set()
    for candidate, granted, capped in zip(outcome.members, outcome.shares, outcome.capped, strict=True):
        amount = sum(granted)
        if amount == 0:
            continue
        chosen_ids.add(candidate.id)
        for s, i in zip(granted, candidate.eligible, strict=True):
            line_discounts[i] += s
        d = candidate.promotion.definition
        applied.append(AppliedPromotion(candidate.id, d.name, d.kind, candidate.coupon_code, amount, capped))
    chosen = [c for c in outcome.members if c.id in chosen_ids]
    for candidate in candidates:
        if candidate.id not in chosen_ids:
            rejected.append(_why_not_chosen(candidate, chosen))

    lines = tuple(
        QuotedLine(line.sku, line.quantity, price.unit_price, discount, amount - discount)
        for line, price, amount, discount in zip(basket.lines, priced, amounts, line_discounts, strict=True)
    )
    for line, price in zip(lines, priced, strict=True):
        if line.line_total < price.floor * line.quantity:
            raise PriceBelowFloor(line.sku, currency, price.floor, line.line_total // line.quantity)

    discount_total = sum(line_discounts)
    rule = choose_rule(shipping_rules, currency, basket.country, basket.province)
    shipping_fee = rule.fee(subtotal - discount_total) if rule is not None else 0
    return PricedBasket(
        currency=currency,
        lines=lines,
        subtotal=subtotal,
        discount_total=discount_total,
        shipping_fee=shipping_fee,
        total=subtotal + shipping_fee - discount_total,
        applied=tuple(applied),
        rejected=tuple(rejected),
        customer_tier=basket.customer_tier,
        coupon_codes=basket.coupon_codes,
    )

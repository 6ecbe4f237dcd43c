"""The launch check: every combination a promotion could join, against cost and floor of every SKU it covers.

For one unit of a SKU priced ``p`` the quote engine never gives more than, per promotion of the set:
- percentage ``b`` basis points: ``p * b / 10000`` (taken per line, rounded down);
- amount ``A`` with threshold ``T``: ``ceil(min(A, M) * p / M)`` with ``M = max(T, p)``, because the amount is
  split in proportion to line amounts over an eligible subtotal of at least ``M`` (largest remainder adds
  at most one minor unit, hence the ceiling).
Caps and clamping only lower a discount, so the sum of these bounds is the worst net price any basket can
reach; the check is sound (never misses a violation) and exact for a basket holding just that SKU.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from services.pricing.domain.prices import SkuPrice
from services.pricing.domain.promotions import (
    FULL_BPS,
    Promotion,
    PromotionKind,
    PromotionStatus,
    tiers_meet,
)
from shared.kernel.errors import FailedPrecondition

DEFAULT_REPORT_LIMIT = 100
# Stackable partners covering one SKU; 2**16 combinations is the most one check will simulate per SKU set.
MAX_PARTNERS = 16


class ViolationKind(enum.Enum):
    BELOW_FLOOR = "BELOW_FLOOR"
    BELOW_COST = "BELOW_COST"


class LaunchCheckTooWide(FailedPrecondition):
    reason = "LAUNCH_CHECK_TOO_WIDE"

    def __init__(self, sku: str, partners: int) -> None:
        super().__init__(
            f"{partners} active promotions may stack on SKU {sku!r}; at most {MAX_PARTNERS} can be simulated",
            metadata={"sku": sku, "partners": str(partners)},
        )


@dataclass(frozen=True)
class LaunchViolation:
    sku: str
    currency: str
    promotion_ids: tuple[str, ...]
    kinds: tuple[ViolationKind, ...]
    unit_price: int
    worst_net_unit_price: int
    floor: int
    cost: int


@dataclass(frozen=True)
class LaunchReport:
    """What the check found; ``violations`` holds the worst ``limit`` of ``violation_count``."""

    promotion_id: str
    ok: bool
    skus_checked: int
    combinations_checked: int
    violations: tuple[LaunchViolation, ...]
    violation_count: int

    @property
    def worst(self) -> LaunchViolation | None:
        return self.violations[0] if self.violations else None


def worst_unit_discount(promotion: Promotion, unit_price: int) -> Fraction:
    """The most ``promotion`` can take off one unit priced ``unit_price`` in any basket (see the module doc)."""
    d = promotion.definition
    if d.kind is PromotionKind.PERCENT_OFF:
        return Fraction(unit_price * d.percent_off_bps, FULL_BPS)
    m = max(d.threshold, unit_price)
    if m == 0:
        return Fraction(0)
    return Fraction(-(-min(d.amount_off, m) * unit_price // m))


def _live_together(promotions: Sequence[Promotion], now: datetime) -> bool:
    starts = [now] + [p.definition.starts_at for p in promotions if p.definition.starts_at is not None]
    ends = [p.definition.ends_at for p in promotions if p.definition.ends_at is not None]
    return not ends or max(starts) < min(ends)


def _combinations(candidate: Promotion, partners: Sequence[Promotion], now: datetime) -> list[tuple[Promotion, ...]]:
    """Every set containing ``candidate`` whose members pairwise stack and can be live for one tier at once."""
    found: list[tuple[Promotion, ...]] = [(candidate,)]

    def extend(current: list[Promotion], start: int) -> None:
        for i in range(start, len(partners)):
            partner = partners[i]
            members = [*current, partner]
            if (
                all(partner.stacks_with(m) for m in current)
                and tiers_meet([m.definition for m in members])
                and _live_together(members, now)
            ):
                found.append(tuple(members))
                extend(members, i + 1)

    extend([candidate], 0)
    return found


def check_launch(
    candidate: Promotion,
    active: Iterable[Promotion],
    prices: Iterable[SkuPrice],
    *,
    now: datetime,
    limit: int = DEFAULT_REPORT_LIMIT,
) -> LaunchReport:
    """Simulate ``candidate`` with every combination of ``active`` promotions it can join, for every SKU it covers."""
    d = candidate.definition
    partners = sorted(
        (
            p
            for p in active
            if p.promotion_id != candidate.promotion_id
            and p.status is PromotionStatus.ACTIVE
            and p.definition.currency == d.currency
            and candidate.stacks_with(p)
            and tiers_meet([d, p.definition])
            and _live_together([candidate, p], now)
        ),
        key=lambda p: p.promotion_id,
    )
    combos_by_partners: dict[tuple[str, ...], list[tuple[Promotion, ...]]] = {}
    counts = {"skus": 0, "combinations": 0, "violations": 0}

    def violations() -> Iterator[tuple[tuple[int, str, tuple[str, ...]], LaunchViolation]]:
        for price in prices:
            if price.currency != d.currency or not d.scope.covers(price.sku, price.category):
                continue
            counts["skus"] += 1
            applicable = [p for p in partners if p.definition.scope.covers(price.sku, price.category)]
            if len(applicable) > MAX_PARTNERS:
                raise LaunchCheckTooWide(price.sku, len(applicable))
            key = tuple(p.promotion_id for p in applicable)
            combos = combos_by_partners.get(key)
            if combos is None:
                combos = combos_by_partners[key] = _combinations(candidate, applicable, now)
            counts["combinations"] += len(combos)
            for combo in combos:
                found = _violation(price, combo)
                if found is not None:
                    counts["violations"] += 1
                    # Worst first: furthest below the larger of floor and cost, then SKU and ids (stable).
                    yield (
                        (found.worst_net_unit_price - max(price.floor, price.cost), price.sku, found.promotion_ids),
                        found,
                    )

    worst = heapq.nsmallest(limit, violations(), key=lambda entry: entry[0])
    return LaunchReport(
        promotion_id=candidate.promotion_id,
        ok=counts["violations"] == 0,
        skus_checked=counts["skus"],
        combinations_checked=counts["combinations"],
        violations=tuple(v for _, v in worst),
        violation_count=counts["violations"],
    )


def _violation(price: SkuPrice, combo: Sequence[Promotion]) -> LaunchViolation | None:
    discount = min(
        Fraction(price.unit_price), sum((worst_unit_discount(p, price.unit_price) for p in combo), Fraction(0))
    )
    net = price.unit_price - discount
    kinds = tuple(
        kind
        for kind, bound in ((ViolationKind.BELOW_FLOOR, price.floor), (ViolationKind.BELOW_COST, price.cost))
        if net < bound
    )
    if not kinds:
        return None
    return LaunchViolation(
        sku=price.sku,
        currency=price.currency,
        promotion_ids=tuple(sorted(p.promotion_id for p in combo)),
        kinds=kinds,
        unit_price=price.unit_price,
        worst_net_unit_price=math.floor(net),
        floor=price.floor,
        cost=price.cost,
    )

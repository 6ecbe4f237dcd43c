"""Promotions as data: benefit, threshold, scope, tiers, coupon code, stacking group, window, and their lifecycle."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from services.pricing.domain.errors import PromotionWindowOver
from services.pricing.domain.validation import (
    MAX_CODE_LENGTH,
    MAX_SKU_LENGTH,
    Violations,
    check_amount,
    check_identifier,
    check_text,
    normalize_currency,
    normalize_tier,
)
from shared.kernel.errors import InvalidTransition

DEFAULT_GROUP = "default"
MAX_SCOPE_SKUS = 1000
MAX_SCOPE_CATEGORIES = 100
MAX_GROUPS = 20
MAX_NAME_LENGTH = 200
FULL_BPS = 10_000


class PromotionKind(enum.Enum):
    AMOUNT_OFF = "AMOUNT_OFF"
    PERCENT_OFF = "PERCENT_OFF"


class PromotionStatus(enum.Enum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True)
class Scope:
    """Which SKUs a promotion covers: every SKU, or the listed SKUs and categories (either matches)."""

    all_skus: bool = False
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def covers(self, sku: str, category: str) -> bool:
        return self.all_skus or sku in self.skus or (bool(category) and category in self.categories)


@dataclass(frozen=True)
class PromotionDefinition:
    """A promotion as the merchant defines it; :func:`normalize_definition` checks and canonicalises it."""

    name: str
    currency: str
    kind: PromotionKind | None
    amount_off: int = 0
    percent_off_bps: int = 0
    threshold: int = 0
    scope: Scope = Scope()
    eligible_tiers: tuple[str, ...] = ()
    coupon_code: str = ""
    stacking_group: str = ""
    stackable_with: tuple[str, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_combined_discount_bps: int = 0

    @property
    def is_coupon(self) -> bool:
        return bool(self.coupon_code)

    def in_window(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (self.ends_at is None or now < self.ends_at)

    def allows_tier(self, tier: str) -> bool:
        return not self.eligible_tiers or tier in self.eligible_tiers


def tiers_meet(definitions: list[PromotionDefinition]) -> bool:
    """Whether one customer tier is eligible for all of them (an empty tier list means every tier)."""
    common: set[str] | None = None
    for d in definitions:
        if d.eligible_tiers:
            common = set(d.eligible_tiers) if common is None else common & set(d.eligible_tiers)
            if not common:
                return False
    return True


def _distinct(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


def normalize_definition(d: PromotionDefinition, prefix: str = "promotion") -> PromotionDefinition:
    """Check every field of a definition (all violations at once) and return its canonical form.

    Canonical means: tiers normalised ("VIP"), the empty group named "default", lists de-duplicated and
    sorted, so equal definitions compare equal and stored rows read back identically.
    """
    v = Violations()
    check_text(d.name, f"{prefix}.name", v, max_length=MAX_NAME_LENGTH, required=True)
    currency = normalize_currency(d.currency, f"{prefix}.currency", v)
    if d.kind is None:
        v.add(f"{prefix}.benefit", "set amount_off or percent_off_bps")
    elif d.kind is PromotionKind.AMOUNT_OFF:
        check_amount(d.amount_off, f"{prefix}.amount_off.amount_minor", v, allow_zero=False)
    elif not 1 <= d.percent_off_bps <= FULL_BPS:
        v.add(f"{prefix}.percent_off_bps", f"must be 1 to {FULL_BPS} basis points")
    check_amount(d.threshold, f"{prefix}.threshold.amount_minor", v)

    scope = d.scope
    if scope.all_skus and (scope.skus or scope.categories):
        v.add(f"{prefix}.scope", "all_skus excludes skus and categories")
    elif not scope.all_skus and not scope.skus and not scope.categories:
        v.add(f"{prefix}.scope", "set all_skus, or list skus or categories")
    if len(scope.skus) > MAX_SCOPE_SKUS:
        v.add(f"{prefix}.scope.skus", f"at most {MAX_SCOPE_SKUS} SKUs")
    if len(scope.categories) > MAX_SCOPE_CATEGORIES:
        v.add(f"{prefix}.scope.categories", f"at most {MAX_SCOPE_CATEGORIES} categories")
    for i, sku in enumerate(scope.skus[:MAX_SCOPE_SKUS]):
        check_identifier(sku, f"{prefix}.scope.skus[{i}]", v, max_length=MAX_SKU_LENGTH, what="SKU")
    for i, category in enumerate(scope.categories[:MAX_SCOPE_CATEGORIES]):
        check_identifier(category, f"{prefix}.scope.categories[{i}]", v, max_length=MAX_SKU_LENGTH, what="category")

    tiers = tuple(normalize_tier(t, f"{prefix}.eligible_tiers[{i}]", v) for i, t in enumerate(d.eligible_tiers))
    for i, tier in enumerate(tiers):
        if not tier:
            v.add(f"{prefix}.eligible_tiers[{i}]", "must name a tier")
    if d.coupon_code:
        check_identifier(d.coupon_code, f"{prefix}.coupon_code", v, max_length=MAX_CODE_LENGTH, what="coupon code")
    group = d.stacking_group or DEFAULT_GROUP
    check_identifier(group, f"{prefix}.stacking_group", v, max_length=MAX_CODE_LENGTH, what="group")
    if len(d.stackable_with) > MAX_GROUPS:
        v.add(f"{prefix}.stackable_with", f"at most {MAX_GROUPS} groups")
    for i, other in enumerate(d.stackable_with[:MAX_GROUPS]):
        check_identifier(other, f"{prefix}.stackable_with[{i}]", v, max_length=MAX_CODE_LENGTH, what="group")
        if other == group:
            v.add(f"{prefix}.stackable_with[{i}]", "a group never stacks with itself (only its best promotion applies)")
    if d.starts_at is not None and d.starts_at.tzinfo is None:
        v.add(f"{prefix}.starts_at", "must be a UTC instant")
    if d.ends_at is not None and d.ends_at.tzinfo is None:
        v.add(f"{prefix}.ends_at", "must be a UTC instant")
    elif d.starts_at is not None and d.ends_at is not None and d.ends_at <= d.starts_at:
        v.add(f"{prefix}.ends_at", "must be after starts_at")
    if not 0 <= d.max_combined_discount_bps <= FULL_BPS:
        v.add(f"{prefix}.max_combined_discount_bps", f"must be 0 to {FULL_BPS} basis points")
    v.raise_if_any()

    is_amount = d.kind is PromotionKind.AMOUNT_OFF
    return replace(
        d,
        currency=currency,
        amount_off=d.amount_off if is_amount else 0,
        percent_off_bps=0 if is_amount else d.percent_off_bps,
        scope=Scope(scope.all_skus, _distinct(scope.skus), _distinct(scope.categories)),
        eligible_tiers=_distinct(tiers),
        stacking_group=group,
        stackable_with=_distinct(d.stackable_with),
    )


@dataclass(frozen=True)
class Promotion:
    """A stored promotion and its lifecycle: DRAFT -> ACTIVE <-> INACTIVE, DRAFT -> INACTIVE."""

    promotion_id: str
    definition: PromotionDefinition
    status: PromotionStatus
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def group(self) -> str:
        return self.definition.stacking_group

    def stacks_with(self, other: Promotion) -> bool:
        """Stacking is opt-in on both sides, and a group never stacks with itself (exclusive by default)."""
        mine, theirs = self.definition, other.definition
        return (
            mine.stacking_group != theirs.stacking_group
            and theirs.stacking_group in mine.stackable_with
            and mine.stacking_group in theirs.stackable_with
        )

    def is_live(self, now: datetime) -> bool:
        return self.status is PromotionStatus.ACTIVE and self.definition.in_window(now)

    def activated(self, now: datetime) -> Promotion:
        if self.status is PromotionStatus.ACTIVE:
            raise InvalidTransition("promotion", self.promotion_id, self.status.value, PromotionStatus.ACTIVE.value)
        ends_at = self.definition.ends_at
        if ends_at is not None and ends_at <= now:
            raise PromotionWindowOver(self.promotion_id, ends_at.isoformat())
        return replace(self, status=PromotionStatus.ACTIVE, version=self.version + 1, updated_at=now)

    def deactivated(self, now: datetime) -> Promotion:
        if self.status is PromotionStatus.INACTIVE:
            raise InvalidTransition("promotion", self.promotion_id, self.status.value, PromotionStatus.INACTIVE.value)
        return replace(self, status=PromotionStatus.INACTIVE, version=self.version + 1, updated_at=now)

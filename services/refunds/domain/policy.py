"""Refund policies as data: shipping-fee rules, tiered approval, target times and exception escalation.

Each policy is a plain value built from configuration; the rules that read them are named functions, so
a table of cases tests them without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from services.refunds.domain.errors import (
    ApproverAlreadySigned,
    RoleAlreadySigned,
    RoleNotAllowed,
    SelfApprovalForbidden,
)
from services.refunds.domain.values import Actor, OrderType, RefundKind, RefundReason
from shared.kernel.money import Money

FULL_SHARE_BP = 10_000


# Shipping fee.


@dataclass(frozen=True)
class ShippingFeeRule:
    """When the order type, kind and reason match (an empty set matches anything), refund this share of the fee."""

    rule_id: str
    refund_share_bp: int
    order_types: frozenset[OrderType] = frozenset()
    kinds: frozenset[RefundKind] = frozenset()
    reasons: frozenset[RefundReason] = frozenset()

    def __post_init__(self) -> None:
        if not 0 <= self.refund_share_bp <= FULL_SHARE_BP:
            raise ValueError(f"shipping rule {self.rule_id}: refund_share_bp must be within 0..{FULL_SHARE_BP}")

    def matches(self, order_type: OrderType, kind: RefundKind, reason: RefundReason) -> bool:
        return (
            (not self.order_types or order_type in self.order_types)
            and (not self.kinds or kind in self.kinds)
            and (not self.reasons or reason in self.reasons)
        )


@dataclass(frozen=True)
class ShippingDecision:
    rule_id: str
    refund: Money


# The fault is the merchant's (or its carrier's or supplier's): the buyer should not pay to send it back.
MERCHANT_FAULT = frozenset(
    {
        RefundReason.QUALITY_PROBLEM,
        RefundReason.WRONG_ITEM,
        RefundReason.DAMAGED,
        RefundReason.SHORT_SHIPPED,
        RefundReason.CARRIER_PROBLEM,
    }
)

DEFAULT_SHIPPING_RULES: tuple[ShippingFeeRule, ...] = (
    # Samples are sent at cost of shipping: that fee is never given back.
    ShippingFeeRule("sample-order", 0, order_types=frozenset({OrderType.SAMPLE})),
    # Shipping belongs to the whole order; a partial refund or a compensation leaves it alone.
    ShippingFeeRule("partial-or-compensation", 0, kinds=frozenset({RefundKind.PARTIAL, RefundKind.COMPENSATION})),
    # Nothing was shipped, so nothing was spent on shipping, whatever the reason.
    ShippingFeeRule("not-shipped", FULL_SHARE_BP, kinds=frozenset({RefundKind.FULL_BEFORE_SHIPMENT})),
    ShippingFeeRule("merchant-fault", FULL_SHARE_BP, reasons=MERCHANT_FAULT),
    ShippingFeeRule("buyer-changed-mind", 0, reasons=frozenset({RefundReason.CHANGED_MIND})),
)


@dataclass(frozen=True)
class ShippingFeePolicy:
    """Ordered rules, first match wins; no match refunds ``fallback_share_bp`` of the fee."""

    rules: tuple[ShippingFeeRule, ...] = DEFAULT_SHIPPING_RULES
    fallback_rule_id: str = "default"
    fallback_share_bp: int = 0

    def decide(
        self, order_type: OrderType, kind: RefundKind, reason: RefundReason, shipping_fee: Money
    ) -> ShippingDecision:
        """How much of ``shipping_fee`` goes back, and which rule said so."""
        rule_id, share = self.fallback_rule_id, self.fallback_share_bp
        for rule in self.rules:
            if rule.matches(order_type, kind, reason):
                rule_id, share = rule.rule_id, rule.refund_share_bp
                break
        # Rounded down: a share never refunds a fen more than the fee.
        return ShippingDecision(
            rule_id, Money(shipping_fee.amount_minor * share // FULL_SHARE_BP, shipping_fee.currency)
        )


# Approval.


@dataclass(frozen=True)
class ApprovalTier:
    """Totals below ``below_minor`` (None: any total) need one signature from each of ``roles``."""

    below_minor: int | None
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalPolicy:
    """Tiered approval in one currency, ascending by threshold; its version is stored on every request."""

    currency: str
    tiers: tuple[ApprovalTier, ...]
    decide_within: timedelta
    name: str = "tiered"

    def __post_init__(self) -> None:
        if not self.tiers or self.tiers[-1].below_minor is not None:
            raise ValueError("the last approval tier must have no upper bound")
        bounds = [tier.below_minor for tier in self.tiers[:-1]]
        if any(b is None for b in bounds) or bounds != sorted(bounds):  # type: ignore[type-var]
            raise ValueError("approval tiers must ascend by threshold")
        if any(not tier.roles for tier in self.tiers):
            raise ValueError("every approval tier needs at least one role")

    @property
    def version(self) -> str:
        """Names the data, so a request shows exactly which thresholds decided its approvers."""
        tiers = ";".join(f"<{t.below_minor}:{'+'.join(t.roles)}" for t in self.tiers if t.below_minor is not None)
        return f"{self.name}/{self.currency}/{tiers}/{'+'.join(self.tiers[-1].roles)}"

    def required_roles(self, total: Money) -> tuple[str, ...]:
        """Every role that must sign a refund of ``total``."""
        if total.currency != self.currency:
            # Thresholds in another currency cannot be compared without a rate: ask the most senior tier.
            return self.tiers[-1].roles
        for tier in self.tiers:
            if tier.below_minor is None or total.amount_minor < tier.below_minor:
                return tier.roles
        return self.tiers[-1].roles


def tiered_policy(
    threshold_minor: int = 20_000, currency: str = "CNY", decide_within: timedelta = timedelta(hours=4)
) -> ApprovalPolicy:
    """Under the threshold a customer-service supervisor signs; from it, finance and operations both sign."""
    return ApprovalPolicy(
        currency=currency,
        tiers=(ApprovalTier(threshold_minor, ("cs_supervisor",)), ApprovalTier(None, ("finance", "operations"))),
        decide_within=decide_within,
    )


def ensure_may_decide(refund_id: str, requested_by: Actor, required_roles: Sequence[str], caller: Actor) -> None:
    """Only a required role decides a request, and never the person who made it."""
    if caller.subject == requested_by.subject:
        raise SelfApprovalForbidden(refund_id)
    if caller.role not in required_roles:
        raise RoleNotAllowed(caller.role, required_roles, "decide this refund")


def ensure_may_sign(
    refund_id: str, requested_by: Actor, required_roles: Sequence[str], signed: Collection[Actor], caller: Actor
) -> None:
    """May ``caller`` add a signature beside ``signed``: a required role, not the requester, one per person and role."""
    ensure_may_decide(refund_id, requested_by, required_roles, caller)
    if any(actor.role == caller.role for actor in signed):
        raise RoleAlreadySigned(refund_id, caller.role)
    if any(actor.subject == caller.subject for actor in signed):
        raise ApproverAlreadySigned(refund_id, caller.subject)


# Time.

DEFAULT_TARGETS: Mapping[RefundKind, timedelta] = {
    RefundKind.FULL_BEFORE_SHIPMENT: timedelta(hours=24),
    RefundKind.FULL_AFTER_SHIPMENT: timedelta(hours=48),
    RefundKind.PARTIAL: timedelta(hours=72),
    RefundKind.COMPENSATION: timedelta(hours=72),
}


@dataclass(frozen=True)
class TargetTimes:
    """How long each kind of refund may take from request to completion before it is overdue."""

    by_kind: Mapping[RefundKind, timedelta] = field(default_factory=lambda: dict(DEFAULT_TARGETS))

    def __post_init__(self) -> None:
        missing = set(RefundKind) - set(self.by_kind)
        if missing:
            raise ValueError(f"no target time for {sorted(k.value for k in missing)}")

    def of(self, kind: RefundKind) -> timedelta:
        return self.by_kind[kind]


@dataclass(frozen=True)
class EscalationLevel:
    """After ``after`` unresolved, an exception goes to ``role``."""

    after: timedelta
    role: str


@dataclass(frozen=True)
class ExceptionEscalation:
    """Escalation levels of order exceptions, ascending (level 1 is the first)."""

    levels: tuple[EscalationLevel, ...] = (
        EscalationLevel(timedelta(hours=2), "cs_supervisor"),
        EscalationLevel(timedelta(hours=24), "operations"),
    )

    def __post_init__(self) -> None:
        afters = [level.after for level in self.levels]
        if not afters or afters != sorted(afters) or len(set(afters)) != len(afters):
            raise ValueError("exception escalation levels must strictly ascend")

    def level_at(self, age: timedelta) -> int:
        """The level an exception unresolved for ``age`` has reached (0: none)."""
        return sum(1 for level in self.levels if age >= level.after)

    def role_of(self, level: int) -> str:
        return self.levels[level - 1].role


@dataclass(frozen=True)
class RefundPolicies:
    """Everything a new refund request is decided by."""

    approval: ApprovalPolicy = field(default_factory=tiered_policy)
    shipping: ShippingFeePolicy = field(default_factory=ShippingFeePolicy)
    targets: TargetTimes = field(default_factory=TargetTimes)

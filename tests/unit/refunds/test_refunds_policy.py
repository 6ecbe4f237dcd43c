"""Refund policies as tables: approval tiers by amount, who may sign, shipping-fee rules, target times."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.refunds.domain.errors import (
    ApproverAlreadySigned,
    RoleAlreadySigned,
    RoleNotAllowed,
    SelfApprovalForbidden,
)
from services.refunds.domain.policy import (
    ApprovalPolicy,
    ApprovalTier,
    ExceptionEscalation,
    ShippingFeePolicy,
    ShippingFeeRule,
    TargetTimes,
    ensure_may_decide,
    ensure_may_sign,
    tiered_policy,
)
from services.refunds.domain.values import Actor, OrderType, RefundKind, RefundReason
from shared.kernel.money import Money

SUPERVISOR = ("cs_supervisor",)
BOTH = ("finance", "operations")


# Approval tiers.


@pytest.mark.parametrize(
    ("total_minor", "roles"),
    [
        (1, SUPERVISOR),
        (19_999, SUPERVISOR),  # 199.99 CNY
        (20_000, BOTH),  # exactly 200.00: "from 200" needs both
        (20_001, BOTH),
        (10_000_000, BOTH),
    ],
)
def test_required_roles_by_amount(total_minor: int, roles: tuple[str, ...]) -> None:
    assert tiered_policy().required_roles(Money(total_minor, "CNY")) == roles


def test_threshold_is_configurable() -> None:
    policy = tiered_policy(threshold_minor=50_000)
    assert policy.required_roles(Money(49_999, "CNY")) == SUPERVISOR
    assert policy.required_roles(Money(50_000, "CNY")) == BOTH
    assert policy.version != tiered_policy().version


def test_other_currency_asks_the_most_senior_tier() -> None:
    assert tiered_policy().required_roles(Money(100, "USD")) == BOTH


def test_version_names_the_data() -> None:
    assert tiered_policy().version == "tiered/CNY/<20000:cs_supervisor/finance+operations"


@pytest.mark.parametrize(
    "tiers",
    [
        (),
        (ApprovalTier(100, ("a",)),),  # the last tier must be open-ended
        (ApprovalTier(200, ("a",)), ApprovalTier(100, ("b",)), ApprovalTier(None, ("c",))),
        (ApprovalTier(None, ()),),
    ],
)
def test_malformed_policies_are_refused(tiers: tuple[ApprovalTier, ...]) -> None:
    with pytest.raises(ValueError):
        ApprovalPolicy("CNY", tiers, timedelta(hours=1))


# Who may sign: amount x role x self-approval.

REQUESTER = Actor("alice", "customer_service")


@pytest.mark.parametrize(
    ("roles", "caller", "signed", "error"),
    [
        (SUPERVISOR, Actor("bob", "cs_supervisor"), [], None),
        (SUPERVISOR, Actor("bob", "finance"), [], RoleNotAllowed),
        (SUPERVISOR, Actor("bob", "admin"), [], RoleNotAllowed),
        (SUPERVISOR, Actor("alice", "cs_supervisor"), [], SelfApprovalForbidden),
        (BOTH, Actor("carol", "finance"), [], None),
        (BOTH, Actor("dave", "operations"), [Actor("carol", "finance")], None),
        (BOTH, Actor("bob", "cs_supervisor"), [], RoleNotAllowed),
        (BOTH, Actor("alice", "finance"), [], SelfApprovalForbidden),
        # Self-approval is refused before anything else, whatever else is wrong.
        (BOTH, Actor("alice", "warehouse"), [], SelfApprovalForbidden),
        (BOTH, Actor("erin", "finance"), [Actor("carol", "finance")], RoleAlreadySigned),
        # One person holding both roles still cannot be both signatures.
        (BOTH, Actor("carol", "operations"), [Actor("carol", "finance")], ApproverAlreadySigned),
    ],
)
def test_who_may_sign(
    roles: tuple[str, ...], caller: Actor, signed: list[Actor], error: type[Exception] | None
) -> None:
    if error is None:
        ensure_may_sign("r1", REQUESTER, roles, signed, caller)
    else:
        with pytest.raises(error):
            ensure_may_sign("r1", REQUESTER, roles, signed, caller)


def test_self_approval_error_is_permission_denied_with_its_reason() -> None:
    with pytest.raises(SelfApprovalForbidden) as refused:
        ensure_may_decide("r1", REQUESTER, SUPERVISOR, Actor("alice", "cs_supervisor"))
    assert refused.value.kind.value == "PERMISSION_DENIED"
    assert refused.value.reason == "SELF_APPROVAL_FORBIDDEN"


# Shipping fee.

FEE = Money(1_200, "CNY")
ALL_REASONS = list(RefundReason)


@pytest.mark.parametrize(
    ("order_type", "kind", "reason", "rule", "refunded"),
    [
        (OrderType.REGULAR, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.QUALITY_PROBLEM, "merchant-fault", 1_200),
        (OrderType.REGULAR, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.WRONG_ITEM, "merchant-fault", 1_200),
        (OrderType.RUSH, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.DAMAGED, "merchant-fault", 1_200),
        (OrderType.REGULAR, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.CARRIER_PROBLEM, "merchant-fault", 1_200),
        (OrderType.REGULAR, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.CHANGED_MIND, "buyer-changed-mind", 0),
        (OrderType.REGULAR, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.OTHER, "default", 0),
        # Nothing shipped yet: the fee goes back even when the buyer changed their mind.
        (OrderType.REGULAR, RefundKind.FULL_BEFORE_SHIPMENT, RefundReason.CHANGED_MIND, "not-shipped", 1_200),
        # Samples never get shipping back, not even for a quality problem or before shipment.
        (OrderType.SAMPLE, RefundKind.FULL_AFTER_SHIPMENT, RefundReason.QUALITY_PROBLEM, "sample-order", 0),
        (OrderType.SAMPLE, RefundKind.FULL_BEFORE_SHIPMENT, RefundReason.CHANGED_MIND, "sample-order", 0),
        (OrderType.REGULAR, RefundKind.PARTIAL, RefundReason.QUALITY_PROBLEM, "partial-or-compensation", 0),
        (OrderType.REGULAR, RefundKind.COMPENSATION, RefundReason.CARRIER_PROBLEM, "partial-or-compensation", 0),
    ],
)
def test_default_shipping_rules(
    order_type: OrderType, kind: RefundKind, reason: RefundReason, rule: str, refunded: int
) -> None:
    decision = ShippingFeePolicy().decide(order_type, kind, reason, FEE)
    assert (decision.rule_id, decision.refund) == (rule, Money(refunded, "CNY"))


def test_every_combination_gets_a_decision_within_the_fee() -> None:
    policy = ShippingFeePolicy()
    for order_type in OrderType:
        for kind in RefundKind:
            for reason in ALL_REASONS:
                decision = policy.decide(order_type, kind, reason, FEE)
                assert Money(0, "CNY") <= decision.refund <= FEE


def test_rules_are_data_first_match_wins_and_shares_round_down() -> None:
    policy = ShippingFeePolicy(
        rules=(
            ShippingFeeRule("rush-half", 5_000, order_types=frozenset({OrderType.RUSH})),
            ShippingFeeRule("all", 10_000),
        )
    )
    rush = policy.decide(OrderType.RUSH, RefundKind.PARTIAL, RefundReason.OTHER, Money(999, "CNY"))
    assert (rush.rule_id, rush.refund.amount_minor) == ("rush-half", 499)
    regular = policy.decide(OrderType.REGULAR, RefundKind.PARTIAL, RefundReason.OTHER, Money(999, "CNY"))
    assert (regular.rule_id, regular.refund.amount_minor) == ("all", 999)


def test_a_rule_share_outside_its_range_is_refused() -> None:
    with pytest.raises(ValueError):
        ShippingFeeRule("too-generous", 10_001)


# Time.


def test_target_times_per_kind() -> None:
    targets = TargetTimes()
    assert targets.of(RefundKind.FULL_BEFORE_SHIPMENT) == timedelta(hours=24)
    assert targets.of(RefundKind.FULL_AFTER_SHIPMENT) == timedelta(hours=48)
    assert targets.of(RefundKind.PARTIAL) == timedelta(hours=72)
    assert targets.of(RefundKind.COMPENSATION) == timedelta(hours=72)
    with pytest.raises(ValueError):
        TargetTimes({RefundKind.PARTIAL: timedelta(hours=1)})


@pytest.mark.parametrize(
    ("age", "level"),
    [
        (timedelta(0), 0),
        (timedelta(hours=1, minutes=59), 0),
        (timedelta(hours=2), 1),
        (timedelta(hours=23, minutes=59), 1),
        (timedelta(hours=24), 2),
        (timedelta(days=7), 2),
    ],
)
def test_exception_escalation_levels(age: timedelta, level: int) -> None:
    escalation = ExceptionEscalation()
    assert escalation.level_at(age) == level
    if level:
        assert escalation.role_of(level) == ("cs_supervisor", "operations")[level - 1]

"""Unit tests of auto-review: the address quality check, the rule engine's table of cases, the defaults of
DOMAIN.md, rule validation naming the field, and the review as a move of the order."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.orders.domain import events as ev
from services.orders.domain.address_quality import AddressIssue, assess_address
from services.orders.domain.model import Order, OrderDraft, create_order
from services.orders.domain.review import (
    DEFAULT_REVIEW_RULES,
    DEFAULT_REVIEW_RULES_JSON,
    OTHERWISE,
    REVIEW_ACTOR,
    ReviewOutcome,
    decide,
    parse_review_rules,
    review_order,
)
from services.orders.domain.values import Actor, Address, Channel, LineInput, OrderStatus, OrderType
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.ids import new_id
from shared.kernel.money import Money

NOW = datetime(2025, 11, 11, 9, 30, tzinfo=UTC)
ACTOR = Actor("saga", "service")
GOOD_ADDRESS = Address(
    recipient="张伟",
    phone="13800000000",
    country="CN",
    province="浙江省",
    city="嘉兴市",
    district="南湖区",
    detail="中山路 1 号 2 幢",
)
APPROVE, HOLD, REJECT = ReviewOutcome.APPROVE, ReviewOutcome.HOLD, ReviewOutcome.REJECT


def paid_order(
    total: int = 30_000,
    *,
    currency: str = "CNY",
    skus: tuple[str, ...] = ("SKU-LAMP",),
    remark: str = "",
    address: Address = GOOD_ADDRESS,
    tier: str = "",
    channel: Channel = Channel.TMALL,
    order_type: OrderType = OrderType.REGULAR,
) -> Order:
    """A PAID order of ``total`` (minor units) spread over ``skus``; its amounts add up."""
    each, rest = divmod(total, len(skus))
    lines = tuple(LineInput(sku, 1, Money(each + (rest if i == 0 else 0), currency)) for i, sku in enumerate(skus))
    draft = OrderDraft(
        channel=channel,
        channel_order_id=f"C-{new_id()}",
        customer_id=new_id(),
        lines=lines,
        total=Money(total, currency),
        customer_tier=tier,
        order_type=order_type,
        shipping_address=address,
        buyer_remark=remark,
    )
    order, _ = create_order(draft, new_id(), NOW - timedelta(minutes=5), ACTOR)
    paid, _ = order.mark_paid("pay-1", order.total, NOW - timedelta(minutes=1), ACTOR)
    return paid


def rules(*rule_list: dict[str, Any], otherwise: dict[str, Any] | None = None, **extra: Any) -> Any:
    document = {"rules": list(rule_list), "otherwise": otherwise or {"then": "hold", "queue": "supervisor"}}
    document.update(extra)
    return parse_review_rules(json.dumps(document, ensure_ascii=False))


# --- address quality ------------------------------------------------------------------------------------


def test_a_complete_address_is_clear_and_scores_full() -> None:
    quality = assess_address(GOOD_ADDRESS)
    assert (quality.score, quality.issues, quality.fuzzy) == (100, (), False)


@pytest.mark.parametrize(
    ("changes", "issue", "field"),
    [
        ({"district": ""}, AddressIssue.MISSING_DISTRICT, "district"),
        ({"province": " "}, AddressIssue.MISSING_PROVINCE, "province"),
        ({"city": ""}, AddressIssue.MISSING_CITY, "city"),
        ({"detail": ""}, AddressIssue.MISSING_DETAIL, "detail"),
        ({"detail": "1 号楼"}, AddressIssue.DETAIL_TOO_SHORT, "detail"),
        ({"detail": "地址待定,到了再说"}, AddressIssue.PLACEHOLDER, "detail"),
        ({"detail": "XXX路xxx号"}, AddressIssue.PLACEHOLDER, "detail"),
        ({"district": "未知"}, AddressIssue.PLACEHOLDER, "district"),
        ({"detail": "1111111"}, AddressIssue.PLACEHOLDER, "detail"),
        ({"recipient": "test"}, AddressIssue.PLACEHOLDER, "recipient"),
    ],
)
def test_fuzzy_addresses_name_what_is_wrong(changes: dict[str, str], issue: AddressIssue, field: str) -> None:
    quality = assess_address(replace(GOOD_ADDRESS, **changes))
    assert (issue, field) in quality.issues
    assert quality.fuzzy
    assert quality.score < 100


def test_recipient_and_phone_alone_lower_the_score_but_are_not_fuzzy() -> None:
    quality = assess_address(replace(GOOD_ADDRESS, phone="", recipient=""))
    assert not quality.fuzzy
    assert quality.score == 75


def test_a_district_is_only_expected_of_chinese_addresses() -> None:
    abroad = Address(
        recipient="Ann Lee", phone="+1 555 0100", country="US", province="CA", city="San Jose", detail="1 Main St"
    )
    assert not assess_address(abroad).fuzzy
    assert assess_address(replace(abroad, country="")).fuzzy  # no country: read as a Chinese address


def test_characters_outside_the_bmp_are_ordinary_text() -> None:
    assert not assess_address(replace(GOOD_ADDRESS, recipient="𠮷野家", detail="𠮷祥路 8 号 3 单元")).fuzzy


# --- the rule engine: a table of cases ------------------------------------------------------------------

RULES = rules(
    {"id": "vip-fast", "when": {"customer_tiers": ["vip"], "total_below": 100_000}, "then": "approve"},
    {"id": "remark-urgent", "when": {"remark_contains": ["加急", "URGENT"]}, "then": "hold", "queue": "supervisor"},
    {"id": "has-remark", "when": {"remark": "present"}, "then": "hold", "queue": "supervisor"},
    {"id": "banned-sku", "when": {"skus": ["SKU-RECALLED"]}, "then": "reject", "reason": "recalled"},
    {"id": "custom", "when": {"custom_item": True}, "then": "hold", "queue": "special_team"},
    {"id": "fuzzy", "when": {"address": "fuzzy"}, "then": "hold", "queue": "manual_address_check"},
    {"id": "douyin-samples", "when": {"channels": ["DOUYIN"], "order_types": ["SAMPLE"]}, "then": "approve"},
    {"id": "big", "when": {"total_above": 500_000}, "then": "hold", "queue": "supervisor"},
    {
        "id": "furniture",
        "when": {"sku_prefixes": ["FURN-"], "total_above": 100_000},
        "then": "hold",
        "queue": "supervisor",
    },
    {"id": "small", "when": {"total_below": 50_000}, "then": "approve"},
    otherwise={"then": "approve", "reason": "ordinary"},
    custom_items={"skus": ["SKU-ENGRAVED"], "sku_prefixes": ["DZ-"]},
)


@pytest.mark.parametrize(
    ("order", "rule_id", "outcome", "queue"),
    [
        (paid_order(99_999, tier="VIP"), "vip-fast", APPROVE, ""),
        (paid_order(100_000, tier="VIP"), OTHERWISE, APPROVE, ""),
        (paid_order(10_000, remark="请加急发货"), "remark-urgent", HOLD, "supervisor"),
        (paid_order(10_000, remark="urgent please"), "remark-urgent", HOLD, "supervisor"),
        (paid_order(10_000, remark="周末送"), "has-remark", HOLD, "supervisor"),
        (paid_order(10_000, remark="   "), "small", APPROVE, ""),
        (paid_order(10_000, skus=("SKU-LAMP", "SKU-RECALLED")), "banned-sku", REJECT, ""),
        (paid_order(10_000, skus=("SKU-ENGRAVED",)), "custom", HOLD, "special_team"),
        (paid_order(10_000, skus=("DZ-铭牌",)), "custom", HOLD, "special_team"),
        (paid_order(10_000, address=replace(GOOD_ADDRESS, district="")), "fuzzy", HOLD, "manual_address_check"),
        (paid_order(300_000, channel=Channel.DOUYIN, order_type=OrderType.SAMPLE), "douyin-samples", APPROVE, ""),
        (paid_order(300_000, channel=Channel.JD, order_type=OrderType.SAMPLE), OTHERWISE, APPROVE, ""),
        (paid_order(500_001), "big", HOLD, "supervisor"),
        (paid_order(500_000), OTHERWISE, APPROVE, ""),
        (paid_order(200_000, skus=("FURN-SOFA",)), "furniture", HOLD, "supervisor"),
        (paid_order(90_000, skus=("FURN-STOOL",)), OTHERWISE, APPROVE, ""),
        (paid_order(49_999), "small", APPROVE, ""),
        (paid_order(50_000), OTHERWISE, APPROVE, ""),
        # Amounts are compared in the rule set's currency only: 600.00 USD is neither big nor small here.
        (paid_order(60_000, currency="USD"), OTHERWISE, APPROVE, ""),
        (paid_order(600_000, currency="USD"), OTHERWISE, APPROVE, ""),
    ],
)
def test_the_first_matching_rule_decides(order: Order, rule_id: str, outcome: ReviewOutcome, queue: str) -> None:
    decided_by, verdict = decide(RULES, order)
    assert (decided_by, verdict.outcome, verdict.queue) == (rule_id, outcome, queue)


def test_a_rule_without_conditions_matches_everything_and_custom_item_false_means_none() -> None:
    catch_all = rules(
        {"id": "no-custom", "when": {"custom_item": False}, "then": "approve"},
        {"id": "rest", "then": "reject"},
        custom_items={"sku_prefixes": ["DZ-"]},
    )
    assert decide(catch_all, paid_order())[0] == "no-custom"
    assert decide(catch_all, paid_order(skus=("SKU-A", "DZ-1")))[0] == "rest"


# --- DOMAIN.md's defaults -------------------------------------------------------------------------------

DEFAULTS = parse_review_rules(DEFAULT_REVIEW_RULES_JSON)


@pytest.mark.parametrize(
    ("order", "rule_id", "outcome", "queue"),
    [
        (paid_order(49_900), "small-without-remark", APPROVE, ""),
        (paid_order(49_900, remark="送货前电话"), OTHERWISE, HOLD, "supervisor"),
        (paid_order(120_000), OTHERWISE, HOLD, "supervisor"),
        (paid_order(500_100), "amount-over-5000", HOLD, "supervisor"),
        (paid_order(49_900, skus=("CUSTOM-刻字杯",)), "custom-item", HOLD, "special_team"),
        (
            paid_order(49_900, address=replace(GOOD_ADDRESS, detail="待定")),
            "fuzzy-address",
            HOLD,
            "manual_address_check",
        ),
    ],
)
def test_the_defaults_are_domain_md(order: Order, rule_id: str, outcome: ReviewOutcome, queue: str) -> None:
    decided_by, verdict = decide(DEFAULTS, order)
    assert (decided_by, verdict.outcome, verdict.queue) == (rule_id, outcome, queue)


def test_the_default_document_round_trips() -> None:
    assert json.loads(DEFAULT_REVIEW_RULES_JSON) == DEFAULT_REVIEW_RULES


# --- validation -----------------------------------------------------------------------------------------


APPROVE_ALL = {"then": "approve"}


def one_rule(**rule: Any) -> str:
    """A document with one rule ``a`` (approve unless told otherwise) and an approving fallback."""
    return json.dumps({"rules": [{"id": "a", "then": "approve", **rule}], "otherwise": APPROVE_ALL})


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ("", "rules_json"),
        ("{not json", "rules_json"),
        ("[]", "rules_json"),
        ('{"rules": []}', "rules_json.otherwise"),
        ('{"rules": {}, "otherwise": {"then": "approve"}}', "rules_json.rules"),
        ('{"rules": [], "otherwise": {"then": "maybe"}}', "rules_json.otherwise.then"),
        ('{"rules": [], "otherwise": {"then": "hold"}}', "rules_json.otherwise"),
        ('{"rules": [], "otherwise": {"then": "hold", "queue": "boss"}}', "rules_json.otherwise.queue"),
        ('{"rules": [], "otherwise": {"then": "approve", "queue": "supervisor"}}', "rules_json.otherwise.queue"),
        ('{"rules": [], "otherwise": {"then": "approve"}, "currency": "cny"}', "rules_json.currency"),
        ('{"rules": [], "otherwise": {"then": "approve"}, "colour": 1}', "rules_json.colour"),
        ('{"rules": [{"then": "approve"}], "otherwise": {"then": "approve"}}', "rules_json.rules[0].id"),
        (one_rule(id="a b"), "rules_json.rules[0].id"),
        (one_rule(id="otherwise"), "rules_json.rules[0].id"),
        (
            json.dumps({"rules": [{"id": "a", "then": "approve"}] * 2, "otherwise": APPROVE_ALL}),
            "rules_json.rules[1].id",
        ),
        (one_rule(when={"total_below": -1}), "rules_json.rules[0].when.total_below"),
        (one_rule(when={"total_below": True}), "rules_json.rules[0].when.total_below"),
        (one_rule(when={"total_below": 1.5}), "rules_json.rules[0].when.total_below"),
        (one_rule(when={"total_blow": 1}), "rules_json.rules[0].when.total_blow"),
        (one_rule(when={"channels": ["WECHAT"]}), "rules_json.rules[0].when.channels[0]"),
        (one_rule(when={"remark_contains": []}), "rules_json.rules[0].when.remark_contains"),
        (one_rule(when={"skus": ["ok", ""]}), "rules_json.rules[0].when.skus[1]"),
        (one_rule(when={"address": "bad"}), "rules_json.rules[0].when.address"),
        (one_rule(when=[]), "rules_json.rules[0].when"),
        (one_rule(reason="\u0000"), "rules_json.rules[0].reason"),
        (one_rule(then="reject", queue="supervisor"), "rules_json.rules[0].queue"),
    ],
)
def test_rules_the_engine_cannot_use_are_refused_naming_the_field(document: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_review_rules(document)
    assert refused.value.violations[0].field == field


def test_text_outside_the_bmp_is_fine_in_rules() -> None:
    parsed = rules({"id": "kichi", "when": {"remark_contains": ["𠮷"]}, "then": "hold", "queue": "supervisor"})
    assert decide(parsed, paid_order(remark="给𠮷先生"))[0] == "kichi"


# --- the review as a move of the order ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "status", "resume", "hold_prefix"),
    [
        (paid_order(10_000), OrderStatus.APPROVED, None, ""),
        (paid_order(600_000), OrderStatus.ON_HOLD, OrderStatus.UNDER_REVIEW, "REVIEW_HOLD:supervisor: "),
        (
            paid_order(10_000, skus=("SKU-RECALLED",)),
            OrderStatus.EXCEPTION,
            OrderStatus.UNDER_REVIEW,
            "REVIEW_REJECTED: ",
        ),
    ],
)
def test_a_review_moves_the_paid_order_through_under_review(
    order: Order, status: OrderStatus, resume: OrderStatus | None, hold_prefix: str
) -> None:
    reviewed = review_order(order, RULES, 7, NOW)
    decided = reviewed.order
    assert decided.status is status and decided.resume_status is resume
    assert decided.hold_reason.startswith(hold_prefix)
    added = decided.history[len(order.history) :]
    assert [(c.from_status, c.to_status) for c in added] == [
        (OrderStatus.PAID, OrderStatus.UNDER_REVIEW),
        (OrderStatus.UNDER_REVIEW, status),
    ]
    assert {c.actor for c in added} == {REVIEW_ACTOR} and {c.changed_at for c in added} == {NOW}
    decision = reviewed.decision
    assert (decision.order_id, decision.rule_set_version, decision.status) == (order.order_id, 7, status)
    kinds = [type(e) for e in reviewed.events]
    assert kinds.count(ev.OrderStatusChanged) == 2 and kinds[-1] is ev.OrderReviewed
    assert (ev.OrderFlagged in kinds) is (status is OrderStatus.EXCEPTION)


def test_only_a_paid_order_is_reviewed() -> None:
    approved = review_order(paid_order(10_000), RULES, 1, NOW).order
    with pytest.raises(InvalidTransition) as refused:
        review_order(approved, RULES, 1, NOW)
    assert refused.value.metadata["from"] == "APPROVED"

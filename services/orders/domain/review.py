"""Auto-review: rules as data deciding each paid order (approve, hold for a named queue, or reject), and
the review itself as a move of the order PAID -> UNDER_REVIEW -> APPROVED / ON_HOLD / EXCEPTION.

A rule set is an ordered list; the first rule whose every condition holds decides, ``otherwise`` decides
the rest. The defaults are DOMAIN.md's: more than 5,000 -> supervisor, a custom item -> special team, a
fuzzy address -> manual address check, under 500 without a buyer remark -> approve, anything else ->
supervisor.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime

from services.orders.domain import events as ev
from services.orders.domain.address_quality import assess_address
from services.orders.domain.model import Order
from services.orders.domain.rule_json import MAX_RULES, Node, decode, unique_ids
from services.orders.domain.rules import MAX_AMOUNT_MINOR, SKU_MAX, TIER_MAX
from services.orders.domain.values import Actor, Channel, OrderStatus, OrderType

REVIEW_ACTOR = Actor("auto-review", "service")
OTHERWISE = "otherwise"
HOLD_PREFIX = "REVIEW_HOLD"
REJECT_PREFIX = "REVIEW_REJECTED"
REASON_MAX = 200
WORD_MAX = 50


class ReviewOutcome(enum.Enum):
    APPROVE = "APPROVE"
    HOLD = "HOLD"
    REJECT = "REJECT"


QUEUES = ("supervisor", "special_team", "manual_address_check")
_CONDITIONS = frozenset(
    {
        "total_below",
        "total_above",
        "remark",
        "remark_contains",
        "skus",
        "sku_prefixes",
        "custom_item",
        "customer_tiers",
        "channels",
        "order_types",
        "address",
    }
)


@dataclass(frozen=True)
class Verdict:
    outcome: ReviewOutcome
    queue: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ReviewConditions:
    """Every condition that is set must hold; an empty set of conditions matches every order."""

    total_below: int | None = None
    total_above: int | None = None
    remark_present: bool | None = None
    remark_words: tuple[str, ...] = ()
    skus: frozenset[str] = frozenset()
    sku_prefixes: tuple[str, ...] = ()
    custom_item: bool | None = None
    customer_tiers: frozenset[str] = frozenset()
    channels: frozenset[Channel] = frozenset()
    order_types: frozenset[OrderType] = frozenset()
    address_fuzzy: bool | None = None


@dataclass(frozen=True)
class ReviewRule:
    rule_id: str
    when: ReviewConditions
    verdict: Verdict


@dataclass(frozen=True)
class ReviewRules:
    currency: str
    custom_skus: frozenset[str]
    custom_prefixes: tuple[str, ...]
    rules: tuple[ReviewRule, ...]
    otherwise: Verdict

    def is_custom(self, sku: str) -> bool:
        return sku in self.custom_skus or sku.startswith(self.custom_prefixes)


DEFAULT_REVIEW_RULES = {
    "currency": "CNY",
    "custom_items": {"skus": [], "sku_prefixes": ["CUSTOM-", "DZ-"]},
    "rules": [
        {
            "id": "amount-over-5000",
            "when": {"total_above": 500_000},
            "then": "hold",
            "queue": "supervisor",
            "reason": "amount over 5000",
        },
        {
            "id": "custom-item",
            "when": {"custom_item": True},
            "then": "hold",
            "queue": "special_team",
            "reason": "contains a custom item",
        },
        {
            "id": "fuzzy-address",
            "when": {"address": "fuzzy"},
            "then": "hold",
            "queue": "manual_address_check",
            "reason": "the shipping address is fuzzy",
        },
        {
            "id": "small-without-remark",
            "when": {"total_below": 50_000, "remark": "empty"},
            "then": "approve",
            "reason": "under 500 without a buyer remark",
        },
    ],
    "otherwise": {"then": "hold", "queue": "supervisor", "reason": "no rule approved it"},
}
DEFAULT_REVIEW_RULES_JSON = json.dumps(DEFAULT_REVIEW_RULES, ensure_ascii=False, indent=2)


def _verdict(members: dict[str, Node], node: Node) -> Verdict:
    outcome = ReviewOutcome(members["then"].choice(("approve", "hold", "reject")).upper())
    queue = ""
    if outcome is ReviewOutcome.HOLD:
        if "queue" not in members:
            raise node.refuse("a hold names its queue")
        queue = members["queue"].choice(QUEUES)
    elif "queue" in members:
        raise members["queue"].refuse("only a hold has a queue")
    reason = members["reason"].text(REASON_MAX).strip() if "reason" in members else ""
    return Verdict(outcome, queue, reason)


def _enum_names(node: Node, kind: type[enum.Enum]) -> frozenset:
    allowed = tuple(member.value for member in kind)
    return frozenset(kind(item.choice(allowed)) for item in node.items())


def _conditions(node: Node) -> ReviewConditions:
    members = node.object(_CONDITIONS)
    found: dict[str, object] = {}
    for name, value in members.items():
        match name:
            case "total_below" | "total_above":
                found[name] = value.integer(0, MAX_AMOUNT_MINOR)
            case "remark":
                found["remark_present"] = value.choice(("empty", "present")) == "present"
            case "remark_contains":
                words = tuple(w.casefold() for w in value.texts(WORD_MAX))
                if not words:
                    raise value.refuse("must hold at least one word")
                found["remark_words"] = words
            case "skus":
                found["skus"] = frozenset(value.texts(SKU_MAX))
            case "sku_prefixes":
                found["sku_prefixes"] = value.texts(SKU_MAX)
            case "custom_item":
                found["custom_item"] = value.boolean()
            case "customer_tiers":
                found["customer_tiers"] = frozenset(t.casefold() for t in value.texts(TIER_MAX))
            case "channels":
                found["channels"] = _enum_names(value, Channel)
            case "order_types":
                found["order_types"] = _enum_names(value, OrderType)
            case "address":
                found["address_fuzzy"] = value.choice(("fuzzy", "clear")) == "fuzzy"
    return ReviewConditions(**found)  # type: ignore[arg-type]


def parse_review_rules(text: str, field: str = "rules_json") -> ReviewRules:
    """The review rules of a JSON document; anything the engine could not use is InvalidArgument naming it."""
    root = decode(text, field).object({"currency", "custom_items", "rules", "otherwise"}, ("rules", "otherwise"))
    currency = "CNY"
    if "currency" in root:
        currency = root["currency"].text(3)
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha() and currency.isupper()):
            raise root["currency"].refuse("must be a 3-letter ISO 4217 code such as CNY")
    custom_skus: frozenset[str] = frozenset()
    custom_prefixes: tuple[str, ...] = ()
    if "custom_items" in root:
        custom = root["custom_items"].object({"skus", "sku_prefixes"})
        custom_skus = frozenset(custom["skus"].texts(SKU_MAX)) if "skus" in custom else frozenset()
        custom_prefixes = custom["sku_prefixes"].texts(SKU_MAX) if "sku_prefixes" in custom else ()
    rules: list[ReviewRule] = []
    ids: list[tuple[str, Node]] = []
    for node in root["rules"].items(MAX_RULES):
        members = node.object({"id", "when", "then", "queue", "reason"}, ("id", "then"))
        rule_id = members["id"].rule_id()
        if rule_id == OTHERWISE:
            raise members["id"].refuse(f"{OTHERWISE!r} is the name of the fallback")
        ids.append((rule_id, members["id"]))
        when = _conditions(members["when"]) if "when" in members else ReviewConditions()
        rules.append(ReviewRule(rule_id, when, _verdict(members, node)))
    unique_ids(ids)
    otherwise_node = root["otherwise"]
    otherwise = _verdict(otherwise_node.object({"then", "queue", "reason"}, ("then",)), otherwise_node)
    return ReviewRules(currency, custom_skus, custom_prefixes, tuple(rules), otherwise)


def _matches(when: ReviewConditions, order: Order, rules: ReviewRules) -> bool:
    total = order.total
    if when.total_below is not None and not (
        total.currency == rules.currency and total.amount_minor < when.total_below
    ):
        return False
    if when.total_above is not None and not (
        total.currency == rules.currency and total.amount_minor > when.total_above
    ):
        return False
    remark = order.buyer_remark.strip()
    if when.remark_present is not None and bool(remark) != when.remark_present:
        return False
    if when.remark_words:
        folded = remark.casefold()
        if not any(word in folded for word in when.remark_words):
            return False
    skus = [line.sku for line in order.lines]
    if when.skus and not any(sku in when.skus for sku in skus):
        return False
    if when.sku_prefixes and not any(sku.startswith(when.sku_prefixes) for sku in skus):
        return False
    if when.custom_item is not None and any(rules.is_custom(sku) for sku in skus) != when.custom_item:
        return False
    if when.customer_tiers and order.customer_tier.strip().casefold() not in when.customer_tiers:
        return False
    if when.channels and order.channel not in when.channels:
        return False
    if when.order_types and order.order_type not in when.order_types:
        return False
    return when.address_fuzzy is None or assess_address(order.shipping_address).fuzzy == when.address_fuzzy


def decide(rules: ReviewRules, order: Order) -> tuple[str, Verdict]:
    """The id of the rule that decides ``order`` (``otherwise`` when none matches) and its verdict."""
    for rule in rules.rules:
        if _matches(rule.when, order, rules):
            return rule.rule_id, rule.verdict
    return OTHERWISE, rules.otherwise


@dataclass(frozen=True)
class ReviewDecision:
    """One decision as recorded in review_decisions."""

    order_id: str
    rule_set_version: int
    rule_id: str
    outcome: ReviewOutcome
    queue: str
    reason: str
    decided_at: datetime
    status: OrderStatus


@dataclass(frozen=True)
class Reviewed:
    order: Order
    events: tuple[ev.DomainEvent, ...]
    decision: ReviewDecision


def _explain(rule_id: str, verdict: Verdict) -> str:
    return f"{rule_id}: {verdict.reason}" if verdict.reason else rule_id


def review_order(order: Order, rules: ReviewRules, version: int, now: datetime) -> Reviewed:
    """Review a PAID order: UNDER_REVIEW, then approved, held for the verdict's queue, or rejected."""
    rule_id, verdict = decide(rules, order)
    under, events = order.transition(OrderStatus.UNDER_REVIEW, "auto-review", "", now, REVIEW_ACTOR)
    explained = _explain(rule_id, verdict)
    match verdict.outcome:
        case ReviewOutcome.APPROVE:
            target, reason = OrderStatus.APPROVED, explained
        case ReviewOutcome.HOLD:
            target, reason = OrderStatus.ON_HOLD, f"{HOLD_PREFIX}:{verdict.queue}: {explained}"
        case ReviewOutcome.REJECT:
            target, reason = OrderStatus.EXCEPTION, f"{REJECT_PREFIX}: {explained}"
    decided, more = under.transition(target, reason, "", now, REVIEW_ACTOR)
    decision = ReviewDecision(
        order.order_id, version, rule_id, verdict.outcome, verdict.queue, verdict.reason, now, decided.status
    )
    return Reviewed(decided, (*events, *more, ev.OrderReviewed(decision)), decision)

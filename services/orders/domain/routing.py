"""Warehouse routing: rules as data choosing candidate warehouses per order line (region, SKU / category
prefix, cross-border), stock on hand choosing among them, splitting an order only when no one warehouse
can fill it, and the key under which orders of one buyer and address are merged into one shipment."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta

from services.orders.domain.errors_fulfilment import NoWarehouseCanFill
from services.orders.domain.model import Order
from services.orders.domain.rule_json import MAX_RULES, Node, decode, unique_ids
from services.orders.domain.rules import SKU_MAX
from services.orders.domain.values import Channel, OrderType

WAREHOUSE_CODE_MAX = 64
PLACE_MAX = 100
HELD = "held"
FALLBACK = "fallback"
# "江苏" and "江苏省" are one province; longest suffixes first so "自治区" is not read as "区".
_PLACE_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "省",
    "市",
    "地区",
    "盟",
)
_CONDITIONS = frozenset({"provinces", "cities", "skus", "sku_prefixes", "cross_border", "channels", "order_types"})


def place_name(value: str) -> str:
    """A province or city name compared without its administrative suffix or case."""
    name = value.strip().casefold()
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True)
class RoutingConditions:
    provinces: frozenset[str] = frozenset()
    cities: frozenset[str] = frozenset()
    skus: frozenset[str] = frozenset()
    sku_prefixes: tuple[str, ...] = ()
    cross_border: bool | None = None
    channels: frozenset[Channel] = frozenset()
    order_types: frozenset[OrderType] = frozenset()


@dataclass(frozen=True)
class RoutingRule:
    rule_id: str
    when: RoutingConditions
    warehouses: tuple[str, ...]
    # Lines it matches may only go to its warehouses (and those of other matching rules): bonded goods
    # must never leave from an ordinary warehouse because the bonded one ran out.
    exclusive: bool = False


@dataclass(frozen=True)
class MergePolicy:
    window: timedelta = timedelta(minutes=30)
    presale_skus: frozenset[str] = frozenset()
    presale_prefixes: tuple[str, ...] = ()

    def is_presale(self, sku: str) -> bool:
        return sku in self.presale_skus or sku.startswith(self.presale_prefixes)


@dataclass(frozen=True)
class RoutingRules:
    home_country: str = "CN"
    rules: tuple[RoutingRule, ...] = ()
    fallback_most_stock: bool = True
    merge: MergePolicy = field(default_factory=MergePolicy)


DEFAULT_ROUTING_RULES = {
    "home_country": "CN",
    "rules": [
        {"id": "cross-border-bonded", "when": {"cross_border": True}, "warehouses": ["BONDED"], "exclusive": True},
        {"id": "jiangsu-zhejiang-shanghai", "when": {"provinces": ["江苏", "浙江", "上海"]}, "warehouses": ["JX"]},
    ],
    "fallback": "most_stock",
    "merge": {"window_minutes": 30, "presale_skus": [], "presale_sku_prefixes": ["PRE-"]},
}
DEFAULT_ROUTING_RULES_JSON = json.dumps(DEFAULT_ROUTING_RULES, ensure_ascii=False, indent=2)


def _conditions(node: Node) -> RoutingConditions:
    members = node.object(_CONDITIONS)
    found: dict[str, object] = {}
    for name, value in members.items():
        match name:
            case "provinces" | "cities":
                found[name] = frozenset(place_name(p) for p in value.texts(PLACE_MAX))
            case "skus":
                found[name] = frozenset(value.texts(SKU_MAX))
            case "sku_prefixes":
                found[name] = value.texts(SKU_MAX)
            case "cross_border":
                found[name] = value.boolean()
            case "channels":
                found[name] = frozenset(Channel(i.choice(tuple(c.value for c in Channel))) for i in value.items())
            case "order_types":
                found[name] = frozenset(OrderType(i.choice(tuple(t.value for t in OrderType))) for i in value.items())
    return RoutingConditions(**found)  # type: ignore[arg-type]


def parse_routing_rules(text: str, field: str = "rules_json") -> RoutingRules:
    """The routing rules of a JSON document; anything the router could not use is InvalidArgument naming it."""
    root = decode(text, field).object({"home_country", "rules", "fallback", "merge"}, ("rules",))
    home = "CN"
    if "home_country" in root:
        home = root["home_country"].text(2)
        if not (len(home) == 2 and home.isascii() and home.isalpha() and home.isupper()):
            raise root["home_country"].refuse("must be an ISO 3166-1 alpha-2 code such as CN")
    rules: list[RoutingRule] = []
    ids: list[tuple[str, Node]] = []
    for node in root["rules"].items(MAX_RULES):
        members = node.object({"id", "when", "warehouses", "exclusive"}, ("id", "warehouses"))
        rule_id = members["id"].rule_id()
        ids.append((rule_id, members["id"]))
        warehouses = members["warehouses"].texts(WAREHOUSE_CODE_MAX)
        if not warehouses:
            raise members["warehouses"].refuse("must name at least one warehouse code")
        when = _conditions(members["when"]) if "when" in members else RoutingConditions()
        exclusive = members["exclusive"].boolean() if "exclusive" in members else False
        rules.append(RoutingRule(rule_id, when, warehouses, exclusive))
    unique_ids(ids)
    fallback = root["fallback"].choice(("most_stock", "none")) if "fallback" in root else "most_stock"
    merge = MergePolicy()
    if "merge" in root:
        members = root["merge"].object({"window_minutes", "presale_skus", "presale_sku_prefixes"})
        merge = MergePolicy(
            window=timedelta(minutes=members["window_minutes"].integer(0, 24 * 60))
            if "window_minutes" in members
            else merge.window,
            presale_skus=frozenset(members["presale_skus"].texts(SKU_MAX))
            if "presale_skus" in members
            else frozenset(),
            presale_prefixes=members["presale_sku_prefixes"].texts(SKU_MAX)
            if "presale_sku_prefixes" in members
            else (),
        )
    return RoutingRules(home, tuple(rules), fallback == "most_stock", merge)


@dataclass(frozen=True)
class StockView:
    """What inventory said: the warehouses taking new work (by code), free stock per SKU and warehouse, and
    where the order's own reservation holds each SKU (its quantity, held for this order alone)."""

    warehouses: tuple[str, ...]
    available: Mapping[str, Mapping[str, int]]
    held: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    def free(self, sku: str, warehouse: str) -> int:
        return self.available.get(sku, {}).get(warehouse, 0)

    def moved(self, sku: str, warehouse: str) -> StockView:
        """This view once inventory moved the order's hold of ``sku`` to ``warehouse``: held there, and that
        many units fewer free there. The units freed where it was held are not counted (inventory's safety
        stock may keep some of them back), so no line is planned on stock that may not be there."""
        _, quantity = self.held[sku]
        available = {item: dict(levels) for item, levels in self.available.items()}
        levels = available.setdefault(sku, {})
        levels[warehouse] = levels.get(warehouse, 0) - quantity
        return StockView(self.warehouses, available, {**self.held, sku: (warehouse, quantity)})


@dataclass(frozen=True)
class LinePlan:
    """Where one order line ships from and why (a rule id, ``held`` or ``fallback``). ``moved_from`` is set
    when the order's stock for the line is held elsewhere and a routing rule wants it shipped from
    ``warehouse``: inventory must move the hold there first."""

    line_no: int
    sku: str
    quantity: int
    warehouse: str
    rule_id: str
    moved_from: str | None = None

    def where_held(self) -> LinePlan:
        """This line shipping from where its stock is held (the plan without its move)."""
        if self.moved_from is None:
            return self
        return replace(self, warehouse=self.moved_from, rule_id=HELD, moved_from=None)


def _line_matches(when: RoutingConditions, order: Order, sku: str, rules: RoutingRules) -> bool:
    address = order.shipping_address
    if when.provinces and place_name(address.province) not in when.provinces:
        return False
    if when.cities and place_name(address.city) not in when.cities:
        return False
    if when.skus and sku not in when.skus:
        return False
    if when.sku_prefixes and not sku.startswith(when.sku_prefixes):
        return False
    if when.cross_border is not None:
        cross_border = bool(address.country) and address.country != rules.home_country
        if cross_border != when.cross_border:
            return False
    if when.channels and order.channel not in when.channels:
        return False
    return not when.order_types or order.order_type in when.order_types


def _candidates(order: Order, sku: str, rules: RoutingRules, stock: StockView) -> list[tuple[str, str]]:
    """(warehouse, rule id) in preference order for a line of ``sku``; only warehouses taking work."""
    open_ = set(stock.warehouses)
    found: dict[str, str] = {}
    exclusive = False
    for rule in rules.rules:
        if _line_matches(rule.when, order, sku, rules):
            exclusive = exclusive or rule.exclusive
            for code in rule.warehouses:
                if code in open_:
                    found.setdefault(code, rule.rule_id)
    if rules.fallback_most_stock and not exclusive:
        for code in sorted(stock.warehouses, key=lambda c: (-stock.free(sku, c), c)):
            found.setdefault(code, FALLBACK)
    return list(found.items())


def _rule_move(
    order: Order, sku: str, held: tuple[str, int], rules: RoutingRules, stock: StockView
) -> tuple[str, str] | None:
    """(warehouse, rule id) where a routing rule wants the order's held stock of ``sku`` shipped from instead:
    the first of the SKU's candidates with room for the whole hold, unless that is where it is held or only
    the fallback (stock on hand) ranks it; None to leave it where it is."""
    holder, quantity = held
    for code, rule_id in _candidates(order, sku, rules, stock):
        if code == holder:
            return None
        if stock.free(sku, code) >= quantity:
            return None if rule_id == FALLBACK else (code, rule_id)
    return None


def plan_allocation(order: Order, rules: RoutingRules, stock: StockView) -> tuple[LinePlan, ...]:
    """A warehouse for every line of ``order``.

    A line whose SKU the order already holds stock for ships from where it is held (inventory's Confirm
    takes the stock from there), unless a routing rule wants it elsewhere: then it ships from the first of
    its candidates that has free stock for the whole hold, with ``moved_from`` naming where the hold is
    (the stock-on-hand fallback never moves a hold). The other lines go to one warehouse when one among
    every line's candidates can fill them all (ranked by the candidates' preference, then a warehouse the
    held lines use, then most stock); otherwise each line goes to its first candidate with enough free
    stock, which splits the order. A line that no candidate can fill raises NoWarehouseCanFill.
    """
    plans: dict[int, LinePlan] = {}
    held_left = {sku: quantity for sku, (_, quantity) in stock.held.items()}
    moves: dict[str, tuple[str, str] | None] = {}
    open_lines = []
    for line in order.lines:
        held = stock.held.get(line.sku)
        if held is not None and held_left[line.sku] >= line.quantity:
            held_left[line.sku] -= line.quantity
            if line.sku not in moves:
                moves[line.sku] = _rule_move(order, line.sku, held, rules, stock)
            move = moves[line.sku]
            if move is None:
                plans[line.line_no] = LinePlan(line.line_no, line.sku, line.quantity, held[0], HELD)
            else:
                code, rule_id = move
                plans[line.line_no] = LinePlan(line.line_no, line.sku, line.quantity, code, rule_id, held[0])
        else:
            open_lines.append(line)
    # The open lines are planned on the free stock the moved holds leave.
    for sku, move in moves.items():
        if move is not None:
            stock = stock.moved(sku, move[0])
    if open_lines:
        candidates = {line.line_no: _candidates(order, line.sku, rules, stock) for line in open_lines}
        wanted: dict[str, int] = defaultdict(int)
        for line in open_lines:
            wanted[line.sku] += line.quantity
        used = {plan.warehouse for plan in plans.values()}
        single: list[tuple[int, int, int, str]] = []
        for code in stock.warehouses:
            ranks = []
            for line in open_lines:
                codes = [c for c, _ in candidates[line.line_no]]
                if code not in codes:
                    break
                ranks.append(codes.index(code))
            else:
                if all(stock.free(sku, code) >= quantity for sku, quantity in wanted.items()):
                    free_total = sum(stock.free(sku, code) for sku in wanted)
                    single.append((sum(ranks), 0 if code in used else 1, -free_total, code))
        if single:
            code = min(single)[3]
            for line in open_lines:
                rule_id = dict(candidates[line.line_no])[code]
                plans[line.line_no] = LinePlan(line.line_no, line.sku, line.quantity, code, rule_id)
        else:
            left: dict[tuple[str, str], int] = {}
            for line in open_lines:
                for code, rule_id in candidates[line.line_no]:
                    free = left.get((line.sku, code), stock.free(line.sku, code))
                    if free >= line.quantity:
                        left[(line.sku, code)] = free - line.quantity
                        plans[line.line_no] = LinePlan(line.line_no, line.sku, line.quantity, code, rule_id)
                        break
                else:
                    raise NoWarehouseCanFill(order.order_id, line.line_no, line.sku, line.quantity)
    return tuple(plans[line.line_no] for line in order.lines)


def merge_key(order: Order, merge: MergePolicy) -> str | None:
    """Orders with the same key may share a shipment (same customer, same address, written the same way up
    to case and spacing); None for an order that must ship alone (it holds a presale SKU)."""
    if any(merge.is_presale(line.sku) for line in order.lines):
        return None
    address = order.shipping_address
    parts = [
        order.customer_id,
        address.recipient,
        address.phone,
        address.country,
        place_name(address.province),
        place_name(address.city),
        address.district,
        address.detail,
        address.postal_code,
    ]
    normal = "\x1f".join(" ".join(part.casefold().split()) for part in parts)
    return hashlib.sha256(normal.encode()).hexdigest()

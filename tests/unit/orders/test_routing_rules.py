"""Unit tests of warehouse routing: rules by region, SKU prefix and cross-border, stock on hand, the order's
own held stock, splitting only when needed, the merge key, rule validation, shipments and SLA clocks."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.orders.domain.errors_fulfilment import AlreadyClaimed, NoWarehouseCanFill, ShipmentNotClaimed
from services.orders.domain.model import Order, OrderDraft, create_order
from services.orders.domain.routing import (
    DEFAULT_ROUTING_RULES,
    DEFAULT_ROUTING_RULES_JSON,
    FALLBACK,
    HELD,
    StockView,
    merge_key,
    parse_routing_rules,
    place_name,
    plan_allocation,
)
from services.orders.domain.shipments import Shipment, ShipmentDeadlines, ShipmentLine, ShipmentStatus, paid_at
from services.orders.domain.sla import SlaPolicy, order_clock, step_entries, time_in_states
from services.orders.domain.values import Actor, Address, Channel, LineInput, OrderStatus, OrderType
from shared.kernel.errors import InvalidArgument, InvalidTransition
from shared.kernel.ids import new_id
from shared.kernel.money import Money

S = OrderStatus
NOW = datetime(2025, 11, 11, 9, 0, tzinfo=UTC)
ACTOR = Actor("saga", "service")
CUSTOMER = new_id()
JIANGSU = Address(
    recipient="王芳",
    phone="13900000000",
    country="CN",
    province="江苏省",
    city="苏州市",
    district="姑苏区",
    detail="人民路 8 号",
)
BEIJING = replace(JIANGSU, province="北京市", city="北京市", district="朝阳区")
ABROAD = replace(JIANGSU, country="US", province="CA", city="San Jose", district="", detail="1 Main St")
DEFAULTS = parse_routing_rules(DEFAULT_ROUTING_RULES_JSON)


def order(
    *lines: tuple[str, int], address: Address = JIANGSU, customer: str = CUSTOMER, kind: OrderType = OrderType.REGULAR
) -> Order:
    draft = OrderDraft(
        channel=Channel.TMALL,
        channel_order_id=f"C-{new_id()}",
        customer_id=customer,
        lines=tuple(LineInput(sku, quantity, Money(1_000, "CNY")) for sku, quantity in lines),
        total=Money(1_000 * sum(q for _, q in lines), "CNY"),
        order_type=kind,
        shipping_address=address,
    )
    created, _ = create_order(draft, new_id(), NOW, ACTOR)
    return created


def stock(held: dict[str, tuple[str, int]] | None = None, **levels: dict[str, int]) -> StockView:
    """``stock(JX={"A": 5}, BJ={"A": 1})``: free stock per warehouse code and SKU."""
    available: dict[str, dict[str, int]] = {}
    for code, skus in levels.items():
        for sku, quantity in skus.items():
            available.setdefault(sku, {})[code] = quantity
    return StockView(tuple(sorted(levels)), available, held or {})


def routes(plans: Any) -> dict[int, tuple[str, str]]:
    return {p.line_no: (p.warehouse, p.rule_id) for p in plans}


def routing(*rules: dict[str, Any], **extra: Any) -> Any:
    return parse_routing_rules(json.dumps({"rules": list(rules), **extra}, ensure_ascii=False))


# --- routing --------------------------------------------------------------------------------------------


def test_place_names_compare_without_their_suffix() -> None:
    assert place_name("江苏省") == place_name("江苏") == "江苏"
    assert place_name("上海市") == "上海"
    assert place_name("广西壮族自治区") == "广西"
    assert place_name(" Zhejiang ") == "zhejiang"


def test_jiangsu_zhejiang_shanghai_ship_from_jiaxing() -> None:
    plans = plan_allocation(order(("A", 2), ("B", 1)), DEFAULTS, stock(JX={"A": 5, "B": 5}, BJ={"A": 50, "B": 50}))
    assert routes(plans) == {1: ("JX", "jiangsu-zhejiang-shanghai"), 2: ("JX", "jiangsu-zhejiang-shanghai")}


def test_elsewhere_the_warehouse_with_most_stock_ships() -> None:
    plans = plan_allocation(order(("A", 2), address=BEIJING), DEFAULTS, stock(JX={"A": 5}, BJ={"A": 50}, GZ={"A": 7}))
    assert routes(plans) == {1: ("BJ", FALLBACK)}


def test_when_the_preferred_warehouse_lacks_stock_the_next_candidate_ships() -> None:
    plans = plan_allocation(order(("A", 6)), DEFAULTS, stock(JX={"A": 5}, BJ={"A": 6}))
    assert routes(plans) == {1: ("BJ", FALLBACK)}


def test_cross_border_goes_to_the_bonded_warehouse_only() -> None:
    plans = plan_allocation(order(("A", 1), address=ABROAD), DEFAULTS, stock(BONDED={"A": 1}, JX={"A": 99}))
    assert routes(plans) == {1: ("BONDED", "cross-border-bonded")}
    with pytest.raises(NoWarehouseCanFill) as refused:
        plan_allocation(order(("A", 2), address=ABROAD), DEFAULTS, stock(BONDED={"A": 1}, JX={"A": 99}))
    assert refused.value.metadata == {
        "order_id": refused.value.metadata["order_id"],
        "line_no": "1",
        "sku": "A",
        "quantity": "2",
    }


def test_a_category_prefix_rule_and_a_region_rule_stack_in_rule_order() -> None:
    rules = routing(
        {"id": "furniture", "when": {"sku_prefixes": ["FURN-"]}, "warehouses": ["FURN"]},
        {"id": "east", "when": {"provinces": ["江苏"]}, "warehouses": ["JX"]},
        fallback="none",
    )
    view = stock(FURN={"FURN-SOFA": 3, "LAMP": 9}, JX={"FURN-SOFA": 9, "LAMP": 9})
    # One warehouse can fill both: JX is a candidate of both lines (rank 1 + 0) but FURN is not a candidate of
    # the lamp at all (fallback "none"), so JX ships everything.
    assert routes(plan_allocation(order(("FURN-SOFA", 1), ("LAMP", 1)), rules, view)) == {
        1: ("JX", "east"),
        2: ("JX", "east"),
    }
    # Outside the east, the sofa has only FURN and the lamp no candidate at all.
    with pytest.raises(NoWarehouseCanFill):
        plan_allocation(order(("FURN-SOFA", 1), ("LAMP", 1), address=BEIJING), rules, view)


def test_an_order_no_single_warehouse_can_fill_is_split_per_line() -> None:
    plans = plan_allocation(order(("A", 4), ("B", 4), ("C", 1)), DEFAULTS, stock(JX={"A": 4, "C": 1}, BJ={"B": 9}))
    assert routes(plans) == {
        1: ("JX", "jiangsu-zhejiang-shanghai"),
        2: ("BJ", FALLBACK),
        3: ("JX", "jiangsu-zhejiang-shanghai"),
    }


def test_one_warehouse_that_fills_everything_wins_over_a_split() -> None:
    # JX is preferred for the region but has no B; BJ has both, so the order ships whole from BJ.
    plans = plan_allocation(order(("A", 1), ("B", 1)), DEFAULTS, stock(JX={"A": 9}, BJ={"A": 1, "B": 1}))
    assert {p.warehouse for p in plans} == {"BJ"}


def test_lines_of_one_sku_share_the_stock_of_a_warehouse() -> None:
    plans = plan_allocation(order(("A", 3), ("A", 3)), DEFAULTS, stock(JX={"A": 4}, BJ={"A": 3}))
    assert routes(plans) == {1: ("JX", "jiangsu-zhejiang-shanghai"), 2: ("BJ", FALLBACK)}


FURNITURE = routing(
    {"id": "furniture", "when": {"sku_prefixes": ["FURN-"]}, "warehouses": ["FURN", "FURN2"]},
    {"id": "east", "when": {"provinces": ["江苏"]}, "warehouses": ["JX"]},
)


def moves(plans: Any) -> dict[int, tuple[str, str, str | None]]:
    return {p.line_no: (p.warehouse, p.rule_id, p.moved_from) for p in plans}


@pytest.mark.parametrize(
    ("rules", "address", "held", "levels", "planned"),
    [
        pytest.param(
            DEFAULTS,
            JIANGSU,
            ("A", "BJ", 2),
            {"JX": {"A": 2}, "BJ": {"A": 0}},
            ("JX", "jiangsu-zhejiang-shanghai", "BJ"),
            id="a region rule moves the hold to its warehouse",
        ),
        pytest.param(
            DEFAULTS,
            BEIJING,
            ("A", "JX", 2),
            {"JX": {"A": 0}, "BJ": {"A": 50}},
            ("JX", HELD, None),
            id="the stock-on-hand fallback never moves a hold",
        ),
        pytest.param(
            DEFAULTS,
            JIANGSU,
            ("A", "BJ", 2),
            {"JX": {"A": 1}, "BJ": {"A": 0}},
            ("BJ", HELD, None),
            id="a rule warehouse without room for the whole hold leaves it held",
        ),
        pytest.param(
            DEFAULTS,
            JIANGSU,
            ("A", "JX", 2),
            {"JX": {"A": 0}, "BJ": {"A": 9}},
            ("JX", HELD, None),
            id="a hold already where the rule wants it stays",
        ),
        pytest.param(
            DEFAULTS,
            ABROAD,
            ("A", "JX", 1),
            {"BONDED": {"A": 1}, "JX": {"A": 9}},
            ("BONDED", "cross-border-bonded", "JX"),
            id="a cross-border hold goes to the bonded warehouse",
        ),
        pytest.param(
            DEFAULTS,
            ABROAD,
            ("A", "JX", 2),
            {"BONDED": {"A": 1}, "JX": {"A": 9}},
            ("JX", HELD, None),
            id="a bonded warehouse without room leaves a cross-border hold held",
        ),
        pytest.param(
            FURNITURE,
            JIANGSU,
            ("FURN-SOFA", "JX", 1),
            {"FURN": {"FURN-SOFA": 0}, "FURN2": {"FURN-SOFA": 1}, "JX": {"FURN-SOFA": 9}},
            ("FURN2", "furniture", "JX"),
            id="a category rule moves the hold to its first warehouse with room",
        ),
        pytest.param(
            FURNITURE,
            JIANGSU,
            ("FURN-SOFA", "FURN2", 1),
            {"FURN": {"FURN-SOFA": 5}, "FURN2": {"FURN-SOFA": 0}},
            ("FURN", "furniture", "FURN2"),
            id="a rule's earlier warehouse wins over its later one",
        ),
    ],
)
def test_a_held_line_moves_only_where_a_rule_wants_it_and_there_is_room(
    rules: Any, address: Address, held: tuple[str, str, int], levels: dict[str, dict[str, int]], planned: Any
) -> None:
    sku, holder, quantity = held
    view = stock({sku: (holder, quantity)}, **levels)
    assert moves(plan_allocation(order((sku, quantity), address=address), rules, view)) == {1: planned}


def test_a_moved_hold_and_a_kept_one_split_the_order_with_the_open_lines() -> None:
    # Inventory held A and B in BJ. The region rule wants JX, which has room for A but not for B: A moves, B
    # stays held in BJ, and C (not held) joins A in JX, the warehouse the held lines use.
    view = stock({"A": ("BJ", 2), "B": ("BJ", 1)}, JX={"A": 5, "B": 0, "C": 3}, BJ={"A": 0, "B": 0, "C": 3})
    plans = plan_allocation(order(("A", 2), ("B", 1), ("C", 1)), DEFAULTS, view)
    assert moves(plans) == {
        1: ("JX", "jiangsu-zhejiang-shanghai", "BJ"),
        2: ("BJ", HELD, None),
        3: ("JX", "jiangsu-zhejiang-shanghai", None),
    }
    assert moves(plan.where_held() for plan in plans) == {
        1: ("BJ", HELD, None),
        2: ("BJ", HELD, None),
        3: ("JX", "jiangsu-zhejiang-shanghai", None),
    }


def test_lines_of_one_held_sku_move_together_and_take_their_units_out_of_the_target() -> None:
    # 5 of A held in BJ for lines 1 and 2; line 3 asks for 3 more, which the hold does not cover. JX has 6 free:
    # the moved hold takes 5 of them, so line 3 cannot come from JX as well and goes to BJ by stock on hand.
    view = stock({"A": ("BJ", 5)}, JX={"A": 6}, BJ={"A": 4})
    assert moves(plan_allocation(order(("A", 2), ("A", 3), ("A", 3)), DEFAULTS, view)) == {
        1: ("JX", "jiangsu-zhejiang-shanghai", "BJ"),
        2: ("JX", "jiangsu-zhejiang-shanghai", "BJ"),
        3: ("BJ", FALLBACK, None),
    }


def test_a_view_after_a_move_holds_the_stock_where_it_went() -> None:
    view = stock({"A": ("BJ", 2)}, JX={"A": 5}, BJ={"A": 1})
    moved = view.moved("A", "JX")
    assert (moved.held, moved.free("A", "JX"), moved.free("A", "BJ")) == ({"A": ("JX", 2)}, 3, 1)
    assert view.held == {"A": ("BJ", 2)} and view.free("A", "JX") == 5
    # Planned again on what inventory then holds, nothing moves twice.
    assert moves(plan_allocation(order(("A", 2)), DEFAULTS, moved)) == {1: ("JX", HELD, None)}


def test_disabled_warehouses_take_no_new_lines() -> None:
    view = StockView(("BJ",), {"A": {"JX": 9, "BJ": 1}})
    assert routes(plan_allocation(order(("A", 1)), DEFAULTS, view)) == {1: ("BJ", FALLBACK)}


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ('{"rules": [{"id": "a"}]}', "rules_json.rules[0].warehouses"),
        ('{"rules": [{"id": "a", "warehouses": []}]}', "rules_json.rules[0].warehouses"),
        (
            '{"rules": [{"id": "a", "warehouses": ["JX"], "when": {"province": ["江苏"]}}]}',
            "rules_json.rules[0].when.province",
        ),
        ('{"rules": [{"id": "a", "warehouses": ["JX"], "exclusive": "yes"}]}', "rules_json.rules[0].exclusive"),
        ('{"rules": [], "fallback": "random"}', "rules_json.fallback"),
        ('{"rules": [], "home_country": "China"}', "rules_json.home_country"),
        ('{"rules": [], "merge": {"window_minutes": -5}}', "rules_json.merge.window_minutes"),
        ('{"rules": [], "merge": {"window": 30}}', "rules_json.merge.window"),
    ],
)
def test_routing_rules_the_router_cannot_use_are_refused(document: str, field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        parse_routing_rules(document)
    assert refused.value.violations[0].field == field


def test_the_default_routing_document_round_trips() -> None:
    assert json.loads(DEFAULT_ROUTING_RULES_JSON) == DEFAULT_ROUTING_RULES
    assert DEFAULTS.merge.window == timedelta(minutes=30)


# --- merging --------------------------------------------------------------------------------------------


def test_orders_of_one_buyer_and_address_share_a_merge_key() -> None:
    first = order(("A", 1))
    respelled = replace(JIANGSU, province="江苏", city="苏州", detail="人民路  8 号")
    assert merge_key(first, DEFAULTS.merge) == merge_key(order(("B", 2), address=respelled), DEFAULTS.merge)
    assert merge_key(first, DEFAULTS.merge) != merge_key(order(("A", 1), customer=new_id()), DEFAULTS.merge)
    assert merge_key(first, DEFAULTS.merge) != merge_key(
        order(("A", 1), address=replace(JIANGSU, detail="人民路 9 号")), DEFAULTS.merge
    )


def test_presale_orders_never_merge() -> None:
    assert merge_key(order(("A", 1), ("PRE-双11礼盒", 1)), DEFAULTS.merge) is None


# --- shipments ------------------------------------------------------------------------------------------

PACKER = Actor("wh-jx-li", "warehouse")
OTHER = Actor("wh-bj-zhao", "warehouse")


def shipment(rush: bool = False) -> Shipment:
    lines = (ShipmentLine(new_id(), 1, "A", 2),)
    return Shipment(new_id(), "JX", ShipmentStatus.PENDING, lines, rush, NOW, "k", NOW, NOW)


@pytest.mark.parametrize(("rush", "hours"), [(False, 24), (True, 4)])
def test_a_claim_records_the_claimant_and_starts_the_deadline(rush: bool, hours: int) -> None:
    claimed = shipment(rush).claim(PACKER, NOW, ShipmentDeadlines())
    assert (claimed.status, claimed.claimed_by, claimed.confirm_by) == (
        ShipmentStatus.CLAIMED,
        PACKER,
        NOW + timedelta(hours=hours),
    )
    assert claimed.claim(PACKER, NOW + timedelta(hours=1), ShipmentDeadlines()) is claimed
    with pytest.raises(AlreadyClaimed) as refused:
        claimed.claim(OTHER, NOW, ShipmentDeadlines())
    assert refused.value.metadata["claimed_by"] == "wh-jx-li"


def test_only_the_claimant_confirms_and_only_with_a_tracking_number() -> None:
    pending = shipment()
    with pytest.raises(ShipmentNotClaimed):
        pending.confirm("SF1234567890", PACKER, NOW)
    claimed = pending.claim(PACKER, NOW, ShipmentDeadlines())
    for bad in ("", "   ", "SF 123", "SF123\n", "-SF", "顺丰123"):
        with pytest.raises(InvalidArgument) as refused:
            claimed.confirm(bad, PACKER, NOW)
        assert refused.value.violations[0].field == "tracking_number"
    with pytest.raises(AlreadyClaimed):
        claimed.confirm("SF1234567890", OTHER, NOW)
    shipped = claimed.confirm("SF1234567890", PACKER, NOW + timedelta(hours=2))
    assert (shipped.status, shipped.tracking_number, shipped.shipped_by) == (
        ShipmentStatus.SHIPPED,
        "SF1234567890",
        PACKER,
    )
    assert shipped.confirm("SF1234567890", PACKER, NOW + timedelta(hours=3)) is shipped
    with pytest.raises(InvalidTransition):
        shipped.confirm("YT999", PACKER, NOW)
    with pytest.raises(InvalidTransition):
        shipped.claim(PACKER, NOW, ShipmentDeadlines())


def test_a_cancelled_shipment_is_neither_claimed_nor_confirmed() -> None:
    cancelled = replace(shipment(), status=ShipmentStatus.CANCELLED)
    with pytest.raises(InvalidTransition):
        cancelled.claim(PACKER, NOW, ShipmentDeadlines())
    with pytest.raises(InvalidTransition):
        cancelled.confirm("SF1", PACKER, NOW)


def test_paid_at_is_the_first_move_into_paid() -> None:
    created = order(("A", 1))
    paid, _ = created.mark_paid("p", created.total, NOW + timedelta(minutes=3), ACTOR)
    assert paid_at(paid) == NOW + timedelta(minutes=3)
    assert paid_at(created) == NOW


# --- SLA clocks -----------------------------------------------------------------------------------------


def walk(start: Order, *moves: tuple[OrderStatus, int]) -> Order:
    """Apply (status, minutes after NOW) moves; PAID through mark_paid."""
    current = start
    for status, minutes in moves:
        at = NOW + timedelta(minutes=minutes)
        if status is S.PAID:
            current, _ = current.mark_paid("p", current.total, at, ACTOR)
        else:
            current, _ = current.transition(status, "because", "SF1", at, ACTOR)
    return current


def test_time_in_each_state_adds_up_every_stay() -> None:
    moved = walk(
        order(("A", 1)),
        (S.PAID, 10),
        (S.UNDER_REVIEW, 10),
        (S.ON_HOLD, 15),
        (S.UNDER_REVIEW, 45),
        (S.APPROVED, 50),
    )
    spent = dict(time_in_states(moved.history, NOW + timedelta(minutes=70)))
    assert spent == {
        S.PENDING_PAYMENT: 600.0,
        S.PAID: 0.0,
        S.UNDER_REVIEW: 10 * 60.0,
        S.ON_HOLD: 30 * 60.0,
        S.APPROVED: 20 * 60.0,
    }
    assert step_entries(moved.history) == [None, "review", "review", "review", "review", "allocation"]


def test_the_clock_of_a_held_order_counts_in_the_step_it_was_held_in() -> None:
    held = walk(order(("A", 1), kind=OrderType.RUSH), (S.PAID, 0), (S.UNDER_REVIEW, 1), (S.APPROVED, 2), (S.ON_HOLD, 5))
    clock = order_clock(held, SlaPolicy(), NOW + timedelta(minutes=30), overdue=True)
    assert (clock.step, clock.standard, clock.step_started_at) == (
        "allocation",
        timedelta(minutes=15),
        NOW + timedelta(minutes=2),
    )
    assert clock.due_at == NOW + timedelta(minutes=17)
    assert clock.overdue and clock.untouched_since == held.updated_at


def test_a_finished_or_unpaid_order_waits_in_no_step() -> None:
    unpaid = order(("A", 1))
    assert order_clock(unpaid, SlaPolicy(), NOW, overdue=False).step == ""
    cancelled, _ = unpaid.cancel("buyer", NOW, ACTOR)
    clock = order_clock(cancelled, SlaPolicy(), NOW, overdue=False)
    assert (clock.step, clock.due_at) == ("", None)

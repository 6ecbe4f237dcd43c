"""Inventory domain rules: allocation, reservation state machine, adjustments, breaker, pressure, validation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.inventory.domain import values
from services.inventory.domain.allocation import AllocationRequest, allocate
from services.inventory.domain.errors import (
    InsufficientStock,
    NotHeldThere,
    PausedSku,
    ReservationExpired,
    ReservationNotLive,
    SkuNotFound,
)
from services.inventory.domain.model import (
    MovementType,
    RequestedLine,
    Reservation,
    ReservationLine,
    ReservationStatus,
    SkuAvailability,
    StockLevel,
    Warehouse,
    adjustment,
    hold_move,
    merge_lines,
    reservation_deltas,
    safety_stock_change,
    sources,
)
from services.inventory.domain.rules import BreakerPolicy, PressurePolicy
from shared.kernel.errors import InvalidArgument, InvalidTransition

NOW = datetime(2024, 6, 18, 12, 0, tzinfo=UTC)
JIAXING = "00000000-0000-7000-8000-000000000001"
BEIJING = "00000000-0000-7000-8000-000000000002"
GUANGZHOU = "00000000-0000-7000-8000-000000000003"
ORDER = "00000000-0000-7000-8000-0000000000aa"


def warehouse(warehouse_id: str, provinces: tuple[str, ...] = (), disabled: bool = False) -> Warehouse:
    return Warehouse(warehouse_id, warehouse_id[-2:], "wh", provinces, disabled, NOW, NOW)


WAREHOUSES = {
    JIAXING: warehouse(JIAXING, ("江苏省", "浙江省", "上海市")),
    BEIJING: warehouse(BEIJING, ("北京市",)),
    GUANGZHOU: warehouse(GUANGZHOU, ("广东省",)),
}


def level(warehouse_id: str, sku: str, on_hand: int, reserved: int = 0, safety: int = 0) -> StockLevel:
    return StockLevel(warehouse_id, sku, on_hand, reserved, safety, NOW)


def request(*lines: tuple[str, int], preferred: str | None = None, province: str | None = None) -> AllocationRequest:
    return AllocationRequest(merge_lines(RequestedLine(s, q) for s, q in lines), preferred, province)


class TestAllocation:
    def test_most_available_warehouse_fills_a_line_without_preferences(self):
        stock = [level(JIAXING, "A", 10), level(BEIJING, "A", 30), level(GUANGZHOU, "A", 20)]
        assert allocate(request(("A", 5)), stock, WAREHOUSES, set()) == (ReservationLine("A", BEIJING, 5),)

    def test_preferred_warehouse_wins_when_it_can_fill(self):
        stock = [level(JIAXING, "A", 10), level(BEIJING, "A", 30)]
        chosen = allocate(request(("A", 5), preferred=JIAXING), stock, WAREHOUSES, set())
        assert chosen == (ReservationLine("A", JIAXING, 5),)

    def test_preferred_warehouse_that_cannot_fill_is_passed_over(self):
        stock = [level(JIAXING, "A", 3), level(BEIJING, "A", 30)]
        chosen = allocate(request(("A", 5), preferred=JIAXING), stock, WAREHOUSES, set())
        assert chosen == (ReservationLine("A", BEIJING, 5),)

    def test_warehouse_serving_the_province_beats_a_fuller_one(self):
        stock = [level(JIAXING, "A", 10), level(BEIJING, "A", 30)]
        chosen = allocate(request(("A", 5), province="浙江省"), stock, WAREHOUSES, set())
        assert chosen == (ReservationLine("A", JIAXING, 5),)

    def test_available_discounts_reserved_and_safety_stock(self):
        stock = [level(JIAXING, "A", 10, reserved=4, safety=2), level(BEIJING, "A", 5)]
        chosen = allocate(request(("A", 5)), stock, WAREHOUSES, set())
        assert chosen == (ReservationLine("A", BEIJING, 5),)

    def test_a_line_is_never_split_across_warehouses(self):
        stock = [level(JIAXING, "A", 3), level(BEIJING, "A", 4)]
        with pytest.raises(InsufficientStock) as refused:
            allocate(request(("A", 5)), stock, WAREHOUSES, set())
        assert refused.value.metadata == {
            "sku": "A",
            "requested": "5",
            "available": "7",
            "available_in_one_warehouse": "4",
        }

    def test_disabled_warehouse_takes_no_reservation(self):
        warehouses = {**WAREHOUSES, BEIJING: warehouse(BEIJING, disabled=True)}
        stock = [level(JIAXING, "A", 3), level(BEIJING, "A", 30)]
        with pytest.raises(InsufficientStock) as refused:
            allocate(request(("A", 5)), stock, warehouses, set())
        assert refused.value.available == 3

    def test_all_or_nothing_reports_the_line_that_lacks_stock(self):
        stock = [level(JIAXING, "A", 10), level(JIAXING, "B", 1)]
        with pytest.raises(InsufficientStock) as refused:
            allocate(request(("A", 2), ("B", 2)), stock, WAREHOUSES, set())
        assert refused.value.sku == "B"

    def test_unknown_sku_is_reported_before_a_shortage(self):
        stock = [level(JIAXING, "A", 0)]
        with pytest.raises(SkuNotFound) as refused:
            allocate(request(("A", 2), ("Z", 1)), stock, WAREHOUSES, set())
        assert refused.value.metadata == {"sku": "Z"}

    def test_paused_sku_is_refused_even_with_stock(self):
        with pytest.raises(PausedSku) as refused:
            allocate(request(("A", 1)), [level(JIAXING, "A", 10)], WAREHOUSES, {"A"})
        assert refused.value.reason == "SKU_PAUSED"
        assert refused.value.metadata == {"sku": "A"}

    def test_a_paused_sku_that_is_also_short_is_refused_for_the_shortage(self):
        with pytest.raises(InsufficientStock) as refused:
            allocate(request(("A", 11)), [level(JIAXING, "A", 10)], WAREHOUSES, {"A"})
        assert refused.value.reason == "INSUFFICIENT_STOCK"
        assert refused.value.metadata == {
            "sku": "A",
            "requested": "11",
            "available": "10",
            "available_in_one_warehouse": "10",
            "paused": "true",
        }

    def test_a_shortage_of_one_line_wins_over_a_pause_of_another(self):
        stock = [level(JIAXING, "A", 10), level(JIAXING, "B", 1)]
        with pytest.raises(InsufficientStock) as refused:
            allocate(request(("A", 1), ("B", 2)), stock, WAREHOUSES, {"A"})
        assert refused.value.sku == "B"
        assert "paused" not in refused.value.metadata

    def test_lines_of_one_sku_are_merged_and_sorted(self):
        lines = merge_lines([RequestedLine("𠮷", 1), RequestedLine("A", 2), RequestedLine("𠮷", 3)])
        assert lines == (RequestedLine("A", 2), RequestedLine("𠮷", 4))

    def test_ties_go_to_the_lowest_warehouse_id(self):
        stock = [level(GUANGZHOU, "A", 10), level(JIAXING, "A", 10)]
        assert allocate(request(("A", 1)), stock, WAREHOUSES, set())[0].warehouse_id == JIAXING


def held(*lines: ReservationLine) -> Reservation:
    return Reservation("r-1", ORDER, ReservationStatus.HELD, lines, NOW, NOW + timedelta(minutes=30))


def in_state(status: ReservationStatus) -> Reservation:
    return replace(held(), status=status, closed_at=NOW)


class TestReservation:
    def test_a_held_reservation_can_be_confirmed_released_or_expire(self):
        for to in (ReservationStatus.CONFIRMED, ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
            assert held().needs(to) is True

    def test_release_is_a_no_op_once_given_back_and_refused_once_shipped(self):
        assert in_state(ReservationStatus.RELEASED).needs(ReservationStatus.RELEASED) is False
        assert in_state(ReservationStatus.EXPIRED).needs(ReservationStatus.RELEASED) is False
        with pytest.raises(InvalidTransition) as refused:
            in_state(ReservationStatus.CONFIRMED).needs(ReservationStatus.RELEASED)
        assert refused.value.metadata == {"entity": "reservation", "id": "r-1", "from": "CONFIRMED", "to": "RELEASED"}

    def test_confirm_is_a_no_op_once_confirmed_and_refused_once_given_back(self):
        assert in_state(ReservationStatus.CONFIRMED).needs(ReservationStatus.CONFIRMED) is False
        for status in (ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
            with pytest.raises(InvalidTransition):
                in_state(status).needs(ReservationStatus.CONFIRMED)

    def test_a_committed_hold_can_only_ship_or_be_released(self):
        committed = replace(held(), status=ReservationStatus.COMMITTED, expires_at=None, committed_at=NOW)
        assert held().needs(ReservationStatus.COMMITTED) is True
        assert committed.needs(ReservationStatus.COMMITTED) is False
        assert committed.needs(ReservationStatus.CONFIRMED) is True
        assert committed.needs(ReservationStatus.RELEASED) is True
        with pytest.raises(InvalidTransition):
            committed.needs(ReservationStatus.EXPIRED)
        assert not committed.status.is_final

    def test_commit_after_expiry_has_its_own_reason(self):
        with pytest.raises(ReservationExpired) as late:
            in_state(ReservationStatus.EXPIRED).needs(ReservationStatus.COMMITTED)
        assert late.value.reason == "RESERVATION_EXPIRED"
        assert isinstance(late.value, InvalidTransition)
        assert late.value.metadata == {
            "entity": "reservation",
            "id": "r-1",
            "from": "EXPIRED",
            "to": "COMMITTED",
            "order_id": ORDER,
        }
        for status in (ReservationStatus.RELEASED, ReservationStatus.CONFIRMED):
            with pytest.raises(InvalidTransition) as refused:
                in_state(status).needs(ReservationStatus.COMMITTED)
            assert refused.value.reason == "INVALID_TRANSITION"

    def test_conditional_updates_match_every_state_a_move_may_start_from(self):
        assert sources(ReservationStatus.COMMITTED) == {ReservationStatus.HELD}
        assert sources(ReservationStatus.CONFIRMED) == {ReservationStatus.HELD, ReservationStatus.COMMITTED}
        assert sources(ReservationStatus.RELEASED) == {ReservationStatus.HELD, ReservationStatus.COMMITTED}
        assert sources(ReservationStatus.EXPIRED) == {ReservationStatus.HELD}

    def test_holds_compares_quantities_per_sku(self):
        reservation = held(ReservationLine("A", JIAXING, 3), ReservationLine("B", BEIJING, 1))
        assert reservation.holds([RequestedLine("B", 1), RequestedLine("A", 1), RequestedLine("A", 2)])
        assert not reservation.holds([RequestedLine("A", 3)])
        assert not reservation.holds([RequestedLine("A", 3), RequestedLine("B", 2)])

    def test_deltas_of_each_movement(self):
        reservation = held(ReservationLine("A", JIAXING, 3))
        (hold,) = reservation_deltas(reservation, MovementType.RESERVATION)
        (ship,) = reservation_deltas(reservation, MovementType.SHIPMENT)
        (back,) = reservation_deltas(reservation, MovementType.EXPIRY, "expired")
        assert (hold.on_hand, hold.reserved) == (0, 3)
        assert (ship.on_hand, ship.reserved) == (-3, -3)
        assert (back.on_hand, back.reserved, back.reason) == (0, -3, "expired")
        assert hold.order_id == ORDER and hold.reservation_id == "r-1"


class TestHoldMove:
    def test_a_move_gives_the_hold_back_in_the_source_and_takes_it_in_the_target(self):
        reservation = held(ReservationLine("A", JIAXING, 3), ReservationLine("B", JIAXING, 1))
        moved, (given_back, taken) = hold_move(reservation, "A", JIAXING, BEIJING, level(BEIJING, "A", 3), "east")
        assert moved == replace(reservation, lines=(ReservationLine("A", BEIJING, 3), ReservationLine("B", JIAXING, 1)))
        assert (given_back.warehouse_id, given_back.on_hand, given_back.reserved) == (JIAXING, 0, -3)
        assert (taken.warehouse_id, taken.on_hand, taken.reserved) == (BEIJING, 0, 3)
        assert {given_back.type, taken.type} == {MovementType.RESERVATION_MOVE}
        assert (taken.reason, taken.order_id, taken.reservation_id) == ("east", ORDER, "r-1")

    def test_the_target_must_have_the_whole_quantity_available_beyond_its_safety_stock(self):
        reservation = held(ReservationLine("A", JIAXING, 3))
        with pytest.raises(InsufficientStock) as refused:
            hold_move(reservation, "A", JIAXING, BEIJING, level(BEIJING, "A", 5, reserved=1, safety=2))
        assert refused.value.metadata == {"sku": "A", "requested": "3", "available": "2", "warehouse_id": BEIJING}
        with pytest.raises(InsufficientStock) as nowhere:
            hold_move(reservation, "A", JIAXING, BEIJING, None)
        assert nowhere.value.metadata["available"] == "0"

    def test_only_stock_held_in_the_source_moves(self):
        reservation = held(ReservationLine("A", JIAXING, 3))
        for sku, source in (("A", BEIJING), ("B", JIAXING)):
            with pytest.raises(NotHeldThere) as refused:
                hold_move(reservation, sku, source, GUANGZHOU, level(GUANGZHOU, sku, 9))
            assert refused.value.metadata == {"order_id": ORDER, "sku": sku, "warehouse_id": source}

    def test_a_committed_hold_moves_and_a_final_one_does_not(self):
        line = ReservationLine("A", JIAXING, 1)
        committed = replace(held(line), status=ReservationStatus.COMMITTED, expires_at=None)
        moved, _ = hold_move(committed, "A", JIAXING, BEIJING, level(BEIJING, "A", 1))
        assert (moved.status, moved.lines) == (ReservationStatus.COMMITTED, (ReservationLine("A", BEIJING, 1),))
        for status in (ReservationStatus.CONFIRMED, ReservationStatus.RELEASED, ReservationStatus.EXPIRED):
            with pytest.raises(ReservationNotLive) as refused:
                hold_move(replace(in_state(status), lines=(line,)), "A", JIAXING, BEIJING, level(BEIJING, "A", 9))
            assert (refused.value.reason, refused.value.metadata["from"]) == ("INVALID_TRANSITION", status.value)


class TestAdjustment:
    def test_delta_and_absolute_count(self):
        stock = level(JIAXING, "A", 10, reserved=4)
        assert adjustment(stock, delta=-6, set_on_hand=None, reason="damaged").on_hand == -6
        assert adjustment(stock, delta=None, set_on_hand=25, reason="count").on_hand == 15
        assert adjustment(stock, delta=None, set_on_hand=10, reason="count").on_hand == 0

    def test_reserved_units_cannot_be_adjusted_away(self):
        stock = level(JIAXING, "A", 10, reserved=4, safety=3)
        with pytest.raises(InsufficientStock) as refused:
            adjustment(stock, delta=None, set_on_hand=3, reason="count")
        assert refused.value.metadata == {
            "sku": "A",
            "requested": "7",
            "available": "6",
            "warehouse_id": JIAXING,
        }

    def test_safety_stock_change_is_a_delta(self):
        assert safety_stock_change(level(JIAXING, "A", 10, safety=4), 1).safety_stock == -3


class TestBreaker:
    def test_trips_on_the_third_failure_inside_the_window(self):
        policy = BreakerPolicy()
        failures = (NOW - timedelta(minutes=6), NOW - timedelta(minutes=4), NOW - timedelta(minutes=1))
        recent = policy.recent((*failures, NOW), NOW)
        assert recent == (*failures[1:], NOW)
        assert policy.trips(len(recent))
        assert not policy.trips(len(policy.recent(failures, NOW)))

    def test_window_and_threshold_are_configurable(self):
        policy = BreakerPolicy(threshold=5, window=timedelta(seconds=30))
        failures = tuple(NOW - timedelta(seconds=s) for s in (40, 20, 10, 5, 0))
        assert len(policy.recent(failures, NOW)) == 4
        assert not policy.trips(4)
        with pytest.raises(ValueError):
            BreakerPolicy(threshold=0)


class TestPressure:
    def test_flags_when_reserved_exceeds_thirty_percent_of_available(self):
        policy = PressurePolicy()
        assert not policy.is_high(reserved=30, available=100)
        assert policy.is_high(reserved=31, available=100)
        assert policy.is_high(reserved=1, available=0)
        assert not policy.is_high(reserved=0, available=0)

    def test_totals_across_warehouses(self):
        availability = SkuAvailability(
            "A", (level(JIAXING, "A", 10, reserved=2, safety=1), level(BEIJING, "A", 3, safety=5)), False, False
        )
        assert (availability.on_hand, availability.reserved, availability.safety_stock) == (13, 2, 6)
        assert availability.available == 7
        assert availability.available_in_one_warehouse == 7


class TestValues:
    @pytest.mark.parametrize("sku", ["SKU-1", "𠮷-杯子", "a" * 64, "with space inside"])
    def test_good_skus_pass_unchanged(self, sku):
        assert values.sku(sku) == sku

    @pytest.mark.parametrize(
        ("sku", "why"),
        [("", "required"), ("a" * 65, "at most"), (" A", "spaces"), ("A\x00", "control"), ("A\n", "spaces")],
    )
    def test_bad_skus_name_the_field(self, sku, why):
        with pytest.raises(InvalidArgument) as refused:
            values.sku(sku, "lines[1].sku")
        assert refused.value.violations[0].field == "lines[1].sku"
        assert why in refused.value.violations[0].description

    def test_quantities_are_positive_and_bounded(self):
        assert values.quantity(1) == 1
        for bad in (0, -1, values.MAX_QUANTITY + 1):
            with pytest.raises(InvalidArgument):
                values.quantity(bad)

    def test_ids_are_canonical_uuids(self):
        assert values.entity_id(ORDER.upper(), "order_id") == ORDER
        assert values.optional_id("", "preferred_warehouse_id") is None
        for bad in ("nope", "{" + ORDER + "}", ORDER.replace("-", "")):
            with pytest.raises(InvalidArgument) as refused:
                values.entity_id(bad, "order_id")
            assert refused.value.violations[0].field == "order_id"

    def test_text_keeps_other_planes_and_refuses_nul(self):
        assert values.text("  退货 𠮷\n第二行 ", "reason", max_length=20) == "退货 𠮷\n第二行"
        with pytest.raises(InvalidArgument):
            values.text("a\x00b", "reason", max_length=20)
        with pytest.raises(InvalidArgument):
            values.text("", "reason", max_length=20, required=True)

    def test_warehouse_codes(self):
        assert values.warehouse_code("JX-01") == "JX-01"
        with pytest.raises(InvalidArgument):
            values.warehouse_code("嘉兴")

"""The pure saga model: state machines, transitions handed over for saving, retry policy, placement rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.saga.domain.model import Saga, SagaKind, SagaState, StepError, StepStatus
from services.saga.domain.placement import Address, Buyer, Line, validate_cancellation
from services.saga.domain.retry import RetryPolicy
from shared.kernel.errors import InvalidArgument, InvalidTransition
from tests.unit.saga.saga_fakes import placement

NOW = datetime(2025, 11, 11, tzinfo=UTC)
LATER = NOW + timedelta(seconds=1)
BOOM = StepError("FAILED_PRECONDITION", "BOOM", "boom", "oms.x", {"k": "v"})


def saga(*names: str) -> Saga:
    return Saga.start(
        saga_id="s",
        request_id="r",
        kind=SagaKind.PLACE_ORDER,
        payload=None,
        fingerprint="f",
        step_names=names or ("a", "b", "c"),
        now=NOW,
    )


def test_steps_run_in_order_only() -> None:
    s = saga()
    with pytest.raises(InvalidTransition):
        s.start_step("b", NOW)
    s.start_step("a", NOW)
    with pytest.raises(InvalidTransition):
        s.succeed_step("b", {}, NOW)
    s.succeed_step("a", {"x": 1}, NOW)
    with pytest.raises(InvalidTransition):
        s.start_step("a", NOW)
    with pytest.raises(InvalidTransition):
        s.succeed(NOW)


def test_a_repeated_start_counts_another_attempt_and_keeps_the_first_start_time() -> None:
    s = saga()
    s.start_step("a", NOW)
    s.start_step("a", LATER)

    assert s.step("a").attempts == 2
    assert s.step("a").started_at == NOW


def test_flush_hands_over_only_what_changed_then_starts_afresh() -> None:
    s = saga()
    s.start_step("a", NOW)
    s.flush(NOW)
    s.succeed_step("a", {"order_id": "o"}, LATER)
    s.start_step("b", LATER)

    transition = s.flush(LATER)

    assert [t.name for t in transition.steps] == ["a", "b"]
    assert transition.data_patch == {"order_id": "o"}
    assert transition.ended is None and not transition.terminal
    empty = s.flush(LATER)
    assert empty.steps == () and empty.data_patch == {}


def test_failure_turns_to_compensation_of_what_may_have_happened() -> None:
    s = saga()
    for name in ("a", "b"):
        s.start_step(name, NOW)
        s.succeed_step(name, {}, NOW)
    s.start_step("c", NOW)
    s.fail_step("c", BOOM, NOW, indeterminate=True)

    assert s.state is SagaState.COMPENSATING
    assert s.step("c").status is StepStatus.INDETERMINATE
    assert [r.name for r in s.steps_to_compensate(frozenset({"a", "c"}))] == ["c", "a"]
    with pytest.raises(InvalidTransition):
        s.finish_compensation(NOW, frozenset({"a", "c"}))


def test_a_refused_step_is_not_compensated() -> None:
    s = saga()
    s.start_step("a", NOW)
    s.fail_step("a", BOOM, NOW, indeterminate=False)

    assert s.steps_to_compensate(frozenset({"a", "b", "c"})) == []
    s.finish_compensation(NOW, frozenset({"a", "b", "c"}))
    ended = s.flush(NOW).ended
    assert s.state is SagaState.FAILED
    assert ended is not None and ended.failure == BOOM and ended.failed_step == "a"
    assert ended.compensated_steps == ()


def test_compensation_outcomes_decide_the_final_state() -> None:
    s = saga()
    for name in ("a", "b"):
        s.start_step(name, NOW)
        s.succeed_step(name, {}, NOW)
    s.start_step("c", NOW)
    s.fail_step("c", BOOM, NOW, indeterminate=False)
    s.start_compensation("b", NOW)
    s.retry_compensation("b", BOOM, NOW)
    s.compensation_refused("b", BOOM, NOW)
    s.start_compensation("a", NOW)
    s.compensated("a", NOW)
    s.finish_compensation(NOW, frozenset({"a", "b"}))

    ended = s.flush(NOW).ended
    assert s.state is SagaState.COMPENSATION_FAILED
    assert s.step("b").compensation_attempts == 2
    assert ended is not None and ended.refused_steps == ("b",) and ended.compensated_steps == ("a",)
    with pytest.raises(InvalidTransition):
        s.start_compensation("a", NOW)


def test_step_names_must_be_unique() -> None:
    with pytest.raises(ValueError):
        saga("a", "a")


def test_request_ids_derive_from_the_saga_and_step() -> None:
    s = saga()
    assert s.step_request_id("b") == "s:b"
    assert s.step_request_id("b", undo=True) == "s:b:undo"


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(max_attempts=6, base_seconds=0.1, cap_seconds=1.0)

    lows = [policy.delay(n, 0.0) for n in range(1, 7)]
    highs = [policy.delay(n, 0.999999) for n in range(1, 7)]

    assert lows == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.5, 0.5])
    assert highs == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0], rel=1e-5)
    assert not policy.exhausted(5) and policy.exhausted(6)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_a_good_placement_passes_including_text_outside_the_bmp() -> None:
    placement(customer=Buyer(name="𠮷" * 200, phone="13800138000")).validate()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer": Buyer(name="𠮷" * 201, phone="1")}, "customer.name"),
        ({"customer": Buyer(name="a\x00b", phone="1")}, "customer.name"),
        ({"customer": Buyer(name="a", phone="1", email="no-at")}, "customer.email"),
        ({"customer": Buyer(name="a", tax_id="", phone=" ")}, "customer.phone"),
        ({"customer": Buyer(name="a", phone="1", address=Address(country="CHN"))}, "customer.address.country"),
        ({"lines": ()}, "lines"),
        ({"lines": tuple(Line(f"S{i}", 1) for i in range(201))}, "lines"),
        ({"lines": (Line("", 1),)}, "lines[0].sku"),
        ({"lines": (Line("A", 100_001),)}, "lines[0].quantity"),
        ({"lines": (Line("A", 1), Line("B", -1))}, "lines[1].quantity"),
        ({"coupon_codes": ("",)}, "coupon_codes[0]"),
        ({"coupon_codes": tuple(f"C{i}" for i in range(11))}, "coupon_codes"),
        ({"shipping_address": Address(recipient="a")}, "shipping_address.detail"),
        ({"shipping_address": Address(recipient="a", detail="\ud800")}, "shipping_address.detail"),
        ({"order_type": "express"}, "order_type"),
        ({"channel_order_id": "x" * 129}, "channel_order_id"),
    ],
)
def test_a_bad_placement_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        placement(**changes).validate()

    assert [v.field for v in caught.value.violations] == [field]


def test_cancellation_needs_a_uuid_and_a_reason() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_cancellation("nope", "x")
    assert caught.value.violations[0].field == "order_id"
    with pytest.raises(InvalidArgument) as caught:
        validate_cancellation("00000000-0000-7000-8000-000000000001", " ")
    assert caught.value.violations[0].field == "reason"

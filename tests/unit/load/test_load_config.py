"""Options of the load tool, the arrival schedule and the statistics: pure functions, exact answers."""

from __future__ import annotations

import random

import pytest

from tools.load.config import LoadConfig, LoadConfigError, parse_mix
from tools.load.schedule import RateProfile, Segment, arrival_offsets
from tools.load.stats import LatencySummary, Timeline, percentile
from tools.load.target import http_failure, parse_addresses, place_body


def test_a_mix_keeps_the_scenarios_in_report_order_and_drops_nothing():
    mix = parse_mix(" flash=10, place=80 ,cancel=0,retry=2.5")

    assert mix.weights == (("place", 80.0), ("cancel", 0.0), ("retry", 2.5), ("flash", 10.0))
    assert mix.names() == ["place", "retry", "flash"]
    assert mix.describe() == "place=80,retry=2.5,flash=10"


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("place", "mix[0]", "NAME=WEIGHT"),
        ("place=1,teleport=2", "mix[1]", "unknown scenario"),
        ("place=1,place=2", "mix[1]", "twice"),
        ("place=-1", "mix[0]", "0 or more"),
        ("place=nan", "mix[0]", "finite"),
        ("place=lots", "mix[0]", "not a number"),
        ("place=0,cancel=0", "mix", "positive weight"),
        ("", "mix", "positive weight"),
    ],
)
def test_a_bad_mix_names_the_offending_part(text, field, words):
    with pytest.raises(LoadConfigError) as refused:
        parse_mix(text)

    assert refused.value.field == field
    assert words in refused.value.message
    assert refused.value.reason == "INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"rate": 0}, "rate"),
        ({"rate": float("inf")}, "rate"),
        ({"duration": -1}, "duration"),
        ({"duration": 10, "ramp": 11}, "ramp"),
        ({"ramp_steps": 0}, "ramp_steps"),
        ({"arrivals": "bursty"}, "arrivals"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"max_requests": 0}, "max_requests"),
        ({"stock": 10, "safety_stock": 10}, "safety_stock"),
        ({"retry_copies": 1}, "retry_copies"),
        ({"timeout": 0}, "timeout"),
        ({"run_id": "a b"}, "run_id"),
        ({"run_id": "𠮷"}, "run_id"),
        ({"stock": True}, "stock"),
    ],
)
def test_invalid_options_are_refused_with_their_field(overrides, field):
    with pytest.raises(LoadConfigError) as refused:
        LoadConfig(**overrides)

    assert refused.value.field == field


def test_a_constant_profile_is_one_segment():
    assert RateProfile(50, 10).segments() == [Segment(0.0, 10, 50)]


def test_a_stepped_ramp_climbs_in_equal_steps_then_holds_the_peak():
    profile = RateProfile(peak=400, duration=10, ramp=4, steps=4)

    assert profile.segments() == [
        Segment(0.0, 1.0, 100.0),
        Segment(1.0, 2.0, 200.0),
        Segment(2.0, 3.0, 300.0),
        Segment(3.0, 4.0, 400.0),
        Segment(4, 10, 400),
    ]
    assert [profile.rate_at(t) for t in (0.5, 1.5, 3.99, 4.0, 9.99, 10.0)] == [100, 200, 400, 400, 400, 0]
    assert profile.expected_arrivals() == (100 + 200 + 300 + 400) + 6 * 400


def test_uniform_arrivals_are_exact_and_evenly_spaced_per_step():
    profile = RateProfile(peak=200, duration=2, ramp=1, steps=2)

    offsets = list(arrival_offsets(profile, poisson=False, rng=random.Random(1)))

    assert len(offsets) == 0.5 * 100 + 0.5 * 200 + 1 * 200
    assert offsets[:3] == [0.0, 0.01, 0.02]
    assert offsets[50:53] == [0.5, 0.505, 0.51]
    assert offsets == sorted(offsets)


def test_poisson_arrivals_have_the_right_mean_and_are_reproducible():
    profile = RateProfile(peak=1000, duration=20)

    first = list(arrival_offsets(profile, poisson=True, rng=random.Random(3)))
    again = list(arrival_offsets(profile, poisson=True, rng=random.Random(3)))

    assert first == again
    assert 19_400 < len(first) < 20_600  # 20,000 expected; 4 standard deviations is about 570
    assert all(0 <= t < 20 for t in first)
    assert first == sorted(first)


def test_a_limit_stops_the_arrivals():
    offsets = list(arrival_offsets(RateProfile(3000, 10), poisson=False, rng=random.Random(1), limit=10_000))

    assert len(offsets) == 10_000
    assert offsets[-1] == pytest.approx(9_999 / 3000)


def test_percentiles_are_nearest_rank():
    ordered = [float(v) for v in range(1, 101)]

    assert percentile(ordered, 0.50) == 50.0
    assert percentile(ordered, 0.99) == 99.0
    assert percentile(ordered, 1.0) == 100.0
    assert percentile(ordered, 0.0) == 1.0
    assert percentile([], 0.5) == 0.0
    with pytest.raises(ValueError):
        percentile(ordered, 1.5)


def test_a_latency_summary_of_samples():
    summary = LatencySummary.of([0.3, 0.1, 0.2, 0.4])

    assert (summary.count, summary.p50, summary.p99, summary.max) == (4, 0.2, 0.4, 0.4)
    assert summary.mean == pytest.approx(0.25)
    assert summary.to_json()["p50_ms"] == 200.0
    assert LatencySummary.of([]).count == 0


def test_the_timeline_buckets_arrivals_by_due_second_and_answers_by_their_second():
    timeline = Timeline()
    timeline.offered(0.2)
    timeline.offered(1.7)
    timeline.not_sent(1.7)
    timeline.answered(0.9, 0.7, "ok")
    timeline.answered(2.1, 0.4, "refused")
    timeline.answered(2.2, 0.5, "error")

    rows = timeline.rows()

    assert [(r["second"], r["offered"], r["not_sent"], r["ok"], r["refused"], r["errors"]) for r in rows] == [
        (0, 1, 0, 1, 0, 0),
        (1, 1, 1, 0, 0, 0),
        (2, 0, 0, 0, 1, 1),
    ]
    assert rows[2]["p99_ms"] == 500.0
    assert timeline.last_complete(2.5) is timeline.buckets[1]
    assert timeline.last_complete(0.5) is None


def test_addresses_are_service_host_port_pairs():
    assert parse_addresses(["saga=127.0.0.1:1", " orders = 127.0.0.1:2 "]) == {
        "saga": "127.0.0.1:1",
        "orders": "127.0.0.1:2",
    }
    with pytest.raises(LoadConfigError) as refused:
        parse_addresses(["saga=127.0.0.1:1", "orders"])
    assert refused.value.field == "address[1]"


def test_gateway_problems_map_to_decided_and_open_outcomes():
    declined = http_failure(422, b'{"reason": "PAYMENT_DECLINED", "detail": "no"}')
    in_progress = http_failure(409, b'{"reason": "SAGA_IN_PROGRESS"}')
    unavailable = http_failure(503, b"<html>bad gateway</html>")

    assert (declined.code, declined.reason, declined.decided) == ("FAILED_PRECONDITION", "PAYMENT_DECLINED", True)
    assert (in_progress.code, in_progress.decided) == ("ABORTED", False)
    assert (unavailable.code, unavailable.reason, unavailable.decided) == ("UNAVAILABLE", "HTTP_503", False)


def test_the_gateway_body_carries_the_order_as_placed_through_the_saga():
    from tools.load.catalogue import Catalogue
    from tools.load.scenarios import place_request

    catalogue = Catalogue("g1", "w", ("G-A",), "G-HOT", {})
    request = place_request(catalogue, 7, random.Random(1))
    request.customer.name = "𠮷野家"

    body = place_body(request)

    assert body["customer"]["name"] == "𠮷野家"
    assert body["lines"] == [{"sku": "G-A", "quantity": request.lines[0].quantity}]
    assert body["channel"] == "own_site"
    assert body["buyer_remark"] == "oms-load:g1:7"
    assert body["payment_method"] == {"provider": "sandbox", "token": "tok_ok"}

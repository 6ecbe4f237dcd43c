"""The load report: figures from the traffic, the JSON file, and the HTML page with its SVG chart."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections import Counter
from datetime import UTC, datetime

from tools.load.catalogue import Catalogue
from tools.load.checks import CheckResult
from tools.load.config import LoadConfig, parse_mix
from tools.load.driver import Traffic
from tools.load.report import LoadResult, render_svg, summarise, write_files
from tools.load.scenarios import Attempt
from tools.load.stats import LatencySummary, Timeline

SVG = "{http://www.w3.org/2000/svg}"


def traffic() -> Traffic:
    timeline = Timeline()
    attempts = []
    for number in range(10):
        due = number * 0.25
        attempt = Attempt(number, "place", due, request_id=f"r{number}", sent=due)
        timeline.offered(due)
        if number == 9:
            attempt.outcome, attempt.reason = "not_sent", "NOT_SENT"
            timeline.not_sent(due)
        else:
            attempt.finished = due + 0.1 * (number + 1)
            attempt.outcome = "refused" if number in (3, 4) else "ok"
            attempt.reason = "PAYMENT_DECLINED" if attempt.outcome == "refused" else ""
            timeline.answered(attempt.finished, attempt.finished - due, attempt.outcome)
        attempts.append(attempt)
    return Traffic(
        attempts=attempts,
        started_at=datetime(2025, 11, 11, tzinfo=UTC),
        arrivals_ended=2.5,
        ended=3.0,
        timeline=timeline,
        peak_in_flight=4,
        cancel_fallbacks=0,
        late_sends=0,
        client_errors=Counter(),
    )


def result(passed: bool = True) -> LoadResult:
    config = LoadConfig(rate=4, duration=2.5, mix=parse_mix("place=1"), run_id="rep1")
    return LoadResult(
        config=config,
        catalogue=Catalogue("rep1", "w", ("A",), "HOT", {"A": 1}),
        traffic=traffic(),
        checks=[
            CheckResult("oversold", "0 oversold", True, "fine"),
            CheckResult("stock", "stock conserved", passed, "fine" if passed else "1 not conserved <b>"),
        ],
        steps={"reserve_stock": LatencySummary.of([0.01, 0.02])},
        sagas_sampled=2,
        target="saga=127.0.0.1:1",
    )


def test_figures_count_offered_placed_and_refused():
    figures = summarise(traffic(), LoadConfig(rate=4, duration=2.5))

    assert figures["arrivals"] == 10
    assert figures["offered_per_s"] == 4.0
    assert figures["orders_placed"] == 7
    assert figures["outcomes"] == {"ok": 7, "refused": 2, "not_sent": 1}
    assert figures["refusals"] == {"refused:PAYMENT_DECLINED": 2, "not_sent:NOT_SENT": 1}
    # the last placed answer came at 2.0 + 0.9 = 2.9 s, after the 2.5 s window
    assert figures["orders_per_s"] == round(7 / 2.9, 2)
    assert figures["end_to_end"]["count"] == 9
    assert figures["end_to_end"]["max_ms"] == 900.0


def test_the_files_hold_the_figures_the_checks_and_a_chart(tmp_path):
    files = write_files(result(passed=False), tmp_path, command="oms load --rate 4")

    data = json.loads((tmp_path / "load-rep1.json").read_text(encoding="utf-8"))
    assert files == {"json": str(tmp_path / "load-rep1.json"), "html": str(tmp_path / "load-rep1.html")}
    assert data["command"] == "oms load --rate 4"
    assert data["passed"] is False
    assert [c["verdict"] for c in data["checks"]] == ["PASS", "FAIL"]
    assert data["environment"]["cores"] >= 1 and data["environment"]["python"].startswith("3.")
    assert len(data["timeline"]) == 3
    page = (tmp_path / "load-rep1.html").read_text(encoding="utf-8")
    assert "<svg" in page and "1 not conserved &lt;b&gt;" in page


def test_the_chart_is_well_formed_svg_with_a_line_per_series():
    svg = ElementTree.fromstring(render_svg(traffic().timeline.rows()))

    lines = svg.findall(f"{SVG}polyline")
    assert len(lines) == 6  # offered, ok, refused, errors+not sent; p50, p99
    assert all(len(line.get("points", "").split()) == 3 for line in lines)


def test_an_empty_run_still_draws():
    svg = ElementTree.fromstring(render_svg([]))

    assert svg.tag == f"{SVG}svg"

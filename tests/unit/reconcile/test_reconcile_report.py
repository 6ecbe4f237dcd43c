"""The report's counts, health index, JSON and terminal forms, and the command's options and exit statuses."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from prometheus_client import REGISTRY
from rich.console import Console
from typer.testing import CliRunner

from tools.reconcile.cli import FAILED, OptionError, parse_moment, reconcile_command, stack_addresses, window
from tools.reconcile.report import Report
from tools.reconcile.rules import Difference, Verdict

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
A, B, C, D, E = (f"0196a000-0000-7000-8000-00000000000{i}" for i in range(1, 6))


def report() -> Report:
    made = Report(since=NOW - timedelta(days=1), until=NOW, generated_at=NOW)
    made.add(Verdict(A, "PAID", None))
    made.add(
        Verdict(
            B,
            "PAID",
            None,
            (
                Difference(B, "paid_order_has_stock", "reservation r-1 RELEASED", "released behind the saga's back"),
                Difference(B, "capture_matches_total", "gave back 50.00 CNY [bold]", "refunded 𠮷 by hand"),
            ),
        )
    )
    made.add(Verdict(C, "CANCELLED", None, (Difference(C, "cancelled_order_released", "r-2 COMMITTED", "skipped"),)))
    made.add(Verdict(D, "PENDING_PAYMENT", "placement saga s-1 RUNNING"))
    made.add_unchecked(E, "payments ListPaymentsByOrder: PERMISSION_DENIED")
    return made


def test_counts_and_the_consistency_component_of_the_health_index():
    made = report()

    assert (made.orders_listed, made.judged, made.consistent, made.orders_with_differences) == (5, 3, 1, 2)
    assert made.health.cross_system_consistency == pytest.approx(1 / 3)
    assert made.health.within_targets() == {"cross_system_consistency": False}
    assert made.by_rule() == {"paid_order_has_stock": 1, "capture_matches_total": 1, "cancelled_order_released": 1}


def test_the_json_report_holds_every_difference_and_round_trips_text_outside_the_bmp(tmp_path: Path):
    path = tmp_path / "report.json"

    report().write_json(path)

    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["orders"] == {
        "listed": 5,
        "judged": 3,
        "consistent": 1,
        "with_differences": 2,
        "in_flight": 1,
        "unchecked": 1,
    }
    assert written["health_index"] == {"cross_system_consistency": pytest.approx(1 / 3), "target": 1.0, "met": False}
    assert [(d["order_id"], d["rule"]) for d in written["differences"]] == [
        (B, "paid_order_has_stock"),
        (B, "capture_matches_total"),
        (C, "cancelled_order_released"),
    ]
    assert written["differences"][1]["cause"] == "refunded 𠮷 by hand"
    assert written["in_flight"] == [
        {"order_id": D, "order_status": "PENDING_PAYMENT", "why": "placement saga s-1 RUNNING"}
    ]
    assert written["unchecked"][0]["order_id"] == E
    assert "paid_order_has_stock" in written["rules"]
    assert written["window"]["created_until"] == NOW.isoformat()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left behind


def test_the_terminal_form_names_each_difference_its_order_rule_and_cause():
    sink = io.StringIO()

    report().render(Console(file=sink, width=200, highlight=False, color_system=None))

    text = sink.getvalue()
    assert f"DIFFERENCE order {B} (PAID) paid_order_has_stock: reservation r-1 RELEASED; likely cause:" in text
    assert "gave back 50.00 CNY [bold]" in text  # markup in found text is shown, not interpreted
    assert "33.33%" in text
    assert f"in flight: order {D}" in text
    assert f"NOT READ order {E}" in text


def test_an_empty_window_has_no_consistency_to_measure():
    empty = Report(since=NOW - timedelta(days=1), until=NOW, generated_at=NOW)
    sink = io.StringIO()

    empty.render(Console(file=sink, width=200, color_system=None))

    assert empty.health.cross_system_consistency is None
    assert "n/a" in sink.getvalue()


def test_the_health_index_is_published_to_the_process_and_to_a_textfile(tmp_path: Path):
    textfile = tmp_path / "oms_reconcile.prom"

    report().publish(textfile)

    sample = REGISTRY.get_sample_value("oms_order_health_index", {"component": "cross_system_consistency"})
    assert sample == pytest.approx(1 / 3)
    written = textfile.read_text(encoding="utf-8")
    assert 'oms_order_health_index{component="cross_system_consistency"} 0.333' in written
    assert "step_time_deviation" not in written  # components the report does not measure are left alone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("1h30m", NOW - timedelta(minutes=90)),
        ("2026-04-30T08:00:00Z", datetime(2026, 4, 30, 8, tzinfo=UTC)),
        ("2026-04-30T16:00:00+08:00", datetime(2026, 4, 30, 8, tzinfo=UTC)),
        ("2026-04-30", datetime(2026, 4, 30, tzinfo=UTC)),
        ("2026-04-30 08:00", datetime(2026, 4, 30, 8, tzinfo=UTC)),
    ],
)
def test_a_moment_is_a_utc_time_or_a_duration_back_from_now(text: str, expected: datetime):
    assert parse_moment("--since", text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "", "-5h", "2026-13-01"])
def test_a_moment_that_is_neither_is_refused_naming_the_option(text: str):
    with pytest.raises(OptionError, match="--since"):
        parse_moment("--since", text, NOW)


def test_the_window_defaults_to_now_and_must_start_before_it_ends():
    assert window("24h", None, NOW) == (NOW - timedelta(hours=24), NOW)
    with pytest.raises(OptionError, match="must be before --until"):
        window("1h", "2h", NOW)


def test_the_addresses_come_from_the_running_stack(tmp_path: Path):
    services = {
        name: {"grpc_address": f"127.0.0.1:{port}"}
        for port, name in enumerate(("orders", "payments", "inventory", "refunds", "saga"), start=50_001)
    }
    (tmp_path / "stack.json").write_text(json.dumps({"version": 1, "services": services}), encoding="utf-8")

    assert stack_addresses(tmp_path)["saga"] == "127.0.0.1:50005"

    del services["refunds"]
    services["gateway"] = {"grpc_address": "", "http_address": "127.0.0.1:8080"}
    (tmp_path / "stack.json").write_text(json.dumps({"version": 1, "services": services}), encoding="utf-8")
    with pytest.raises(OptionError, match="runs no refunds"):
        stack_addresses(tmp_path)


def test_without_a_stack_the_command_says_so_and_exits_2(tmp_path: Path):
    app = typer.Typer()
    app.command()(reconcile_command)

    result = CliRunner().invoke(app, ["--state-dir", str(tmp_path)])

    assert result.exit_code == FAILED
    assert "no running stack is recorded" in result.output
    assert not (tmp_path / "auth.secret").exists()  # nothing is made in a directory without a stack


def test_a_bad_option_exits_2_naming_it(tmp_path: Path):
    app = typer.Typer()
    app.command()(reconcile_command)

    result = CliRunner().invoke(app, ["--state-dir", str(tmp_path), "--stuck-after", "soon"])

    assert result.exit_code == FAILED
    assert "--stuck-after" in result.output

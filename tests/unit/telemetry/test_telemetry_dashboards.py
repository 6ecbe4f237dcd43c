"""The Grafana dashboards load, and every PromQL expression in them names metrics the code defines."""

from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

ROOT = Path(__file__).resolve().parents[3]
DASHBOARDS = sorted((ROOT / "deploy" / "grafana").glob("*.json"))
METRIC_TYPES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}
SUFFIXES = {
    "Counter": ("_total", "_created"),
    "Gauge": ("",),
    "Histogram": ("_bucket", "_count", "_sum", "_created"),
    "Summary": ("", "_count", "_sum", "_created"),
    "Info": ("_info",),
    "Enum": ("",),
}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}


@functools.cache
def defined_metrics() -> frozenset[str]:
    """Series names of every metric constructed in services/ and shared/, plus prometheus_client's defaults."""
    names: set[str] = set()
    for folder in ("services", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                kind = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                first = node.args[0]
                if kind in METRIC_TYPES and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    base = first.value.removesuffix("_total") if kind == "Counter" else first.value
                    names.update(base + suffix for suffix in SUFFIXES[kind])
    defaults = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=defaults)
    names.update(sample.name for family in defaults.collect() for sample in family.samples)
    # On Linux the process collector always reports these; elsewhere (a developer's laptop) it may not.
    names.update({"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"})
    return frozenset(names)


def expressions(dashboard: dict) -> list[str]:
    found = []

    def visit(panels: list[dict]) -> None:
        for panel in panels:
            found.extend(t["expr"] for t in panel.get("targets", []) if "expr" in t)
            visit(panel.get("panels", []))

    visit(dashboard["panels"])
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if variable.get("type") == "query" and isinstance(query, str):
            found.append(query)
    return found


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # label values
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # grouping labels
    text = re.sub(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,[^)]*\)", r"\1", text)  # Grafana's variable query
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        name = match.group()
        following = text[match.end() :].lstrip()
        if following.startswith("(") or name in PROMQL_WORDS or re.fullmatch(r"\d+[smhdwy]", name):
            continue
        names.add(name)
    return names


def test_the_expression_reader_sees_metrics_and_nothing_else():
    expression = (
        'histogram_quantile(0.99, sum by (le, service) (rate(oms_rpc_duration_seconds_bucket{service=~"$service",'
        'code!="OK"}[5m]))) / on (service) group_left sum(oms_x_total) and bottomk(5, oms_stock_available)'
    )
    assert metric_names(expression) == {"oms_rpc_duration_seconds_bucket", "oms_x_total", "oms_stock_available"}
    assert metric_names("label_values(oms_rpc_requests_total, service)") == {"oms_rpc_requests_total"}


def test_the_dashboards_exist():
    assert {p.name for p in DASHBOARDS} >= {"oms-sre.json", "oms-operations.json"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_expression_names_a_defined_metric(path: Path):
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    exprs = expressions(dashboard)

    assert exprs
    unknown = {(expr, name) for expr in exprs for name in metric_names(expr) if name not in defined_metrics()}
    assert not unknown
    assert all(metric_names(expr) for expr in exprs)


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_panels_are_well_formed(path: Path):
    dashboard = json.loads(path.read_text(encoding="utf-8"))
    panels = dashboard["panels"]

    assert dashboard["uid"] and dashboard["title"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
        if panel["type"] != "row":
            assert panel["title"] and panel["targets"]
            assert panel["datasource"]["uid"] == "${datasource}"
            assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])
    # No two panels overlap on the grid.
    cells = set()
    for panel in panels:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, panel["title"]
                cells.add((x, y))


def test_the_sre_board_covers_latency_errors_saturation_and_outbox_lag():
    sre = json.loads((ROOT / "deploy/grafana/oms-sre.json").read_text(encoding="utf-8"))
    read = set().union(*(metric_names(e) for e in expressions(sre)))
    assert {
        "oms_rpc_duration_seconds_bucket",
        "oms_rpc_requests_total",
        "oms_event_loop_lag_seconds",
        "oms_db_pool_connections",
        "oms_outbox_oldest_unpublished_age_seconds",
    } <= read


def test_the_operations_board_covers_waiting_sla_exceptions_and_the_health_index():
    operations = json.loads((ROOT / "deploy/grafana/oms-operations.json").read_text(encoding="utf-8"))
    read = set().union(*(metric_names(e) for e in expressions(operations)))
    assert {
        "oms_orders_waiting",
        "oms_orders_over_sla",
        "oms_exceptions_open",
        "oms_order_health_index",
        "oms_refund_latency_seconds_bucket",
    } <= read
